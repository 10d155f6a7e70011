// @vitest-environment happy-dom
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import * as tf from '@tensorflow/tfjs'
import { existsSync } from 'node:fs'
import RecogniseView from '../../../src/renderer/src/views/RecogniseView.vue'
import { useBridge } from '../../../src/renderer/src/api'
import { uploadGroups, UPLOAD_BATCH_CHARS } from '../../../src/renderer/src/stores/recognise'
import { tempDir } from '../../helpers/temp'
import { serviceBridge } from '../../helpers/service-bridge'
import { recogniseLibrary, type RecogniseLibrary } from '../../helpers/recognise-fixture'
import { settle as settleVue } from '../../helpers/vue-wait'

describe('RecogniseView on a real library and model', () => {
  const dir = tempDir()
  let lib: RecogniseLibrary
  let wrapper: VueWrapper

  beforeAll(async () => {
    await tf.setBackend('cpu')
    lib = await recogniseLibrary(dir.path)
    useBridge(serviceBridge(lib.service))
  })
  afterAll(() => {
    lib?.service.close()
    dir.cleanup()
  })
  beforeEach(async () => {
    wrapper?.unmount()
    setActivePinia(createPinia())
    wrapper = mount(RecogniseView, { attachTo: document.body })
    await settle()
  })

  const settle = () => settleVue(6)
  const cards = () => wrapper.findAll('[data-test=recognition]')
  const count = () => lib.service['images.count']({ datasetId: lib.datasetId })
  async function press(key: string): Promise<void> {
    window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }))
    await settle()
  }
  /** a drop of pictures as a browser makes it: File objects with bytes and no path */
  async function drop(...labels: string[]): Promise<void> {
    const files = labels.map(
      (l) => new File([new Uint8Array(lib.bytes[l]!)], `${l}.png`, { type: 'image/png' }),
    )
    await wrapper.find('[data-test=drop-zone]').trigger('drop', { dataTransfer: { files } })
    await expect
      .poll(async () => (await settle(), wrapper.findAll('[data-test=recognition] [data-test=top-k]').length))
      .toBeGreaterThanOrEqual(labels.length)
  }

  it('chooses the completed run with the ensemble by default', () => {
    const model = wrapper.find<HTMLSelectElement>('[data-test=model-select]')
    expect(model.element.value).toBe(String(lib.runId))
    expect(model.text()).toMatch(/Run \d+ · colours · cnn \+ resnet-8/)
    expect(wrapper.find<HTMLSelectElement>('[data-test=network-select]').element.value).toBe('ensemble')
    expect(wrapper.find('[data-test=target-dataset]').text()).toMatch(/Adds to colours \(0 images\)/)
  })

  it('shows top-k bars for the ensemble and each network’s guess for dropped bytes', async () => {
    await drop('red', 'blue')
    expect(cards()).toHaveLength(2)
    const red = cards()[0]!
    const bars = red.findAll('[data-test=bar]')
    expect(bars).toHaveLength(3)
    // the dataset has no labels yet, so no key: keys are the dataset's, not the model's class order
    expect(bars[0]!.text()).toMatch(/^red\s*\d+(\.\d)?%$/)
    expect(red.findAll('[data-test=network-guess]').map((n) => n.text().replace(/\s+/g, ' '))).toEqual([
      expect.stringMatching(/^cnn red \d/),
      expect.stringMatching(/^resnet-8 red \d/),
    ])
    expect(red.find('img').attributes('src')).toMatch(/^blob:/)
    expect(cards()[1]!.find('[data-test=bar]').text()).toMatch(/blue/)
  })

  it('Enter takes no answer of a run with nothing to judge it by (no validation pictures)', async () => {
    await drop('green', 'red')
    expect(cards()[0]!.attributes('aria-current')).toBe('true')
    const refusal =
      'Not checked (this model has no validation pictures to judge it by) — pick the label with 1–9 or L'
    expect(cards()[0]!.find('[data-test=enter-hint]').text()).toBe(refusal)
    await press('Enter')
    expect(wrapper.find('[data-test=toast]').text()).toBe(refusal)
    expect(cards()[0]!.find('[data-test=added]').exists()).toBe(false)
    expect(cards()[0]!.attributes('aria-current')).toBe('true')
    expect(await count()).toBe(0)
    // the next view opened knows the label green, with key 1
    await lib.service['labels.create'](lib.datasetId, 'green')
  })

  it('1 adds the picture with the dataset’s label of key 1 (green, made first), whatever the networks think', async () => {
    const before = await count()
    await drop('blue')
    await press('1')
    await expect
      .poll(async () => (await settle(), cards()[0]!.find('[data-test=added]').text()))
      .toBe('added as green')
    expect(await count()).toBe(before + 1)
    const blue = (await lib.service['images.list']({ datasetId: lib.datasetId })).at(-1)!
    expect(blue.label).toBe('green')
  })

  it('↑/↓ move between pictures; a picture that cannot be read says why and cannot be added', async () => {
    const broken = new File([new Uint8Array(lib.bytes.red!.subarray(0, 70))], 'broken.png', {
      type: 'image/png',
    })
    const good = new File([new Uint8Array(lib.bytes.red!)], 'fine.png', { type: 'image/png' })
    await wrapper.find('[data-test=drop-zone]').trigger('drop', { dataTransfer: { files: [broken, good] } })
    await expect
      .poll(async () => (await settle(), wrapper.find('[data-test=recognition-error]').exists()))
      .toBe(true)
    expect(wrapper.find('[data-test=recognition-error]').text()).toMatch(
      /Could not read this picture: the image data is truncated or corrupt/,
    )
    const before = await count()
    await press('Enter') // the broken one is current: nothing to confirm
    expect(await count()).toBe(before)
    await press('ArrowDown')
    expect(cards()[1]!.attributes('aria-current')).toBe('true')
    await press('ArrowUp')
    expect(cards()[0]!.attributes('aria-current')).toBe('true')
  })

  it('a single network gives its own bars and no per-network row', async () => {
    await drop('red')
    await wrapper.find('[data-test=network-select]').setValue('1')
    await expect.poll(async () => (await settle(), cards()[0]!.find('[data-test=top-k]').exists())).toBe(true)
    expect(cards()[0]!.find('[data-test=per-network]').exists()).toBe(false)
    expect(cards()[0]!.find('[data-test=bar]').text()).toMatch(/red/)
  })

  it('recognises a folder and offers its CSV', async () => {
    await wrapper.find('input[name=batch-folder]').setValue(`${dir.path}/photos`)
    await wrapper.find('[data-test=batch] form').trigger('submit')
    await expect.poll(async () => (await settle(), wrapper.findAll('[data-test=batch-row]').length)).toBe(3)
    expect(wrapper.find('[data-test=batch-summary]').text()).toMatch(/3 files in .* · 3 recognised/)
    expect(wrapper.find('[data-test=batch-csv]').attributes('href')).toMatch(/^blob:/)
  })
})

describe('the desktop app, where a dropped file has a path', () => {
  const dir = tempDir()
  let lib: RecogniseLibrary
  let channels: string[] = []

  beforeAll(async () => {
    await tf.setBackend('cpu')
    lib = await recogniseLibrary(dir.path)
    await lib.service['labels.create'](lib.datasetId, 'green') // key 1
    // the preload's pathForFile (webUtils.getPathForFile) stands for Electron here
    const calls: string[] = []
    const bridge = serviceBridge(lib.service)
    useBridge({
      ...bridge,
      call: (channel, args) => (calls.push(channel), bridge.call(channel, args)),
      pathForFile: (file) => lib.files[file.name.replace('.png', '')] ?? '',
    })
    channels = calls
  })
  afterAll(() => {
    lib?.service.close()
    dir.cleanup()
  })

  it('recognises the file by its path and adds the file where it is', async () => {
    setActivePinia(createPinia())
    const wrapper = mount(RecogniseView, { attachTo: document.body })
    const settle = async () => {
      for (let i = 0; i < 6; i++) await flushPromises()
    }
    await settle()
    const file = new File([new Uint8Array(lib.bytes.green!)], 'green.png', { type: 'image/png' })
    await wrapper.find('[data-test=drop-zone]').trigger('drop', { dataTransfer: { files: [file] } })
    await expect.poll(async () => (await settle(), wrapper.find('[data-test=top-k]').exists())).toBe(true)
    expect(channels).toContain('recognise.files')
    expect(channels).not.toContain('recognise.images')
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '1', bubbles: true }))
    await expect.poll(async () => (await settle(), wrapper.find('[data-test=added]').exists())).toBe(true)
    const images = await lib.service['images.list']({ datasetId: lib.datasetId })
    expect(images.map((i) => [i.sourcePath, i.label])).toEqual([[lib.files.green, 'green']])
    wrapper.unmount()
  })
})

describe('exporting and importing a model in the Recognise view', () => {
  const dir = tempDir()
  let lib: RecogniseLibrary

  beforeAll(async () => {
    await tf.setBackend('cpu')
    lib = await recogniseLibrary(dir.path)
    useBridge(serviceBridge(lib.service))
  })
  afterAll(() => {
    lib?.service.close()
    dir.cleanup()
  })

  it('exports the run’s model, imports it back, and adds pictures to the dataset chosen for it', async () => {
    setActivePinia(createPinia())
    const other = await lib.service['datasets.create']('other')
    await lib.service['labels.create'](other.id, 'blue') // key 1
    const wrapper = mount(RecogniseView, { attachTo: document.body })
    const settle = async () => {
      for (let i = 0; i < 6; i++) await flushPromises()
    }
    await settle()
    const out = `${dir.path}/exported`
    await wrapper.find('input[name=export-folder]').setValue(out)
    await wrapper.find<HTMLInputElement>('input[name=export-folder]').element.form!.requestSubmit()
    await expect.poll(async () => (await settle(), existsSync(`${out}/metadata.json`))).toBe(true)

    await wrapper.find('input[name=import-folder]').setValue(out)
    await wrapper.find<HTMLInputElement>('input[name=import-folder]').element.form!.requestSubmit()
    await expect
      .poll(async () => (await settle(), wrapper.find('[data-test=dataset-select]').exists()))
      .toBe(true)
    const model = wrapper.find<HTMLSelectElement>('[data-test=model-select]')
    expect(model.element.value).toMatch(/models/)
    expect(model.text()).toMatch(/Imported · 3 labels · cnn \+ resnet-8/)
    expect(wrapper.find('input[name=export-folder]').exists()).toBe(false) // only a run can be exported

    await wrapper.find('[data-test=dataset-select]').setValue(String(other.id))
    const file = new File([new Uint8Array(lib.bytes.blue!)], 'blue.png', { type: 'image/png' })
    await wrapper.find('[data-test=drop-zone]').trigger('drop', { dataTransfer: { files: [file] } })
    await expect.poll(async () => (await settle(), wrapper.find('[data-test=top-k]').exists())).toBe(true)
    // an imported model has no validation answers here: Enter stays manual, the dataset's key adds
    expect(wrapper.find('[data-test=enter-hint]').text()).toMatch(/^Not checked /)
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    await settle()
    expect(await lib.service['images.count']({ datasetId: other.id })).toBe(0)
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '1', bubbles: true }))
    await expect.poll(async () => (await settle(), wrapper.find('[data-test=added]').exists())).toBe(true)
    const images = await lib.service['images.list']({ datasetId: other.id })
    expect(images.map((i) => i.label)).toEqual(['blue'])
    expect(await lib.service['images.count']({ datasetId: lib.datasetId })).toBe(0)
    wrapper.unmount()
  })
})

describe('uploadGroups', () => {
  it('keeps each call under the body budget and 200 pictures, in order', () => {
    const big = { data: 'x'.repeat(UPLOAD_BATCH_CHARS / 2 + 1) }
    const small = { data: 'y' }
    expect(uploadGroups([big, big, small]).map((g) => g.length)).toEqual([1, 2])
    expect(uploadGroups(Array.from({ length: 401 }, () => small)).map((g) => g.length)).toEqual([200, 200, 1])
    expect(uploadGroups([])).toEqual([])
  })
})
