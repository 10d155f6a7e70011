// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { join } from 'node:path'
import LibraryView from '../../../src/renderer/src/views/LibraryView.vue'
import ImportProgressBar from '../../../src/renderer/src/components/ImportProgressBar.vue'
import { useBridge } from '../../../src/renderer/src/api'
import { useLibraryStore } from '../../../src/renderer/src/stores/library'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { tempDir } from '../../helpers/temp'
import { makeLabelledFolder } from '../../helpers/labelled-folder'
import { serviceBridge } from '../../helpers/service-bridge'

describe('LibraryView on a real library', () => {
  const dir = tempDir()
  let service: CohortService

  beforeAll(async () => {
    await makeLabelledFolder(join(dir.path, 'leaves'), { oak: 3, maple: 2 })
    service = await createCohortService({ home: join(dir.path, 'home') })
    useBridge(serviceBridge(service))
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  it('imports through the form and lists the dataset with its labels', async () => {
    setActivePinia(createPinia())
    const wrapper = mount(LibraryView)
    const library = useLibraryStore()
    await library.refresh()
    await flushPromises()
    expect(wrapper.text()).toContain('No datasets yet')
    expect(wrapper.find('button[type=submit]').attributes('disabled')).toBeDefined()

    await wrapper.find('input[name=folder]').setValue(join(dir.path, 'leaves'))
    await wrapper.find('input[name=dataset]').setValue('leaves')
    await wrapper.find('form').trigger('submit')
    await expect
      .poll(async () => (await flushPromises(), wrapper.findAll('[data-test=dataset-row]').length))
      .toBe(1)
    expect(wrapper.find('[data-test=dataset-row]').text()).toMatch(/leaves\s*5\s*5\s*maple \(2\), oak \(3\)/)
    expect(wrapper.find('[data-test=import-report]').text()).toMatch(/Imported 5 images/)
  })

  it('shows the service’s own message when an import cannot run', async () => {
    setActivePinia(createPinia())
    const wrapper = mount(LibraryView)
    await wrapper.find('input[name=folder]').setValue(join(dir.path, 'missing'))
    await wrapper.find('input[name=dataset]').setValue('x')
    await wrapper.find('form').trigger('submit')
    await expect
      .poll(async () => (await flushPromises(), wrapper.find('[data-test=import-error]').exists()))
      .toBe(true)
    expect(wrapper.find('[data-test=import-error]').text()).toBe(
      `Folder not found: ${join(dir.path, 'missing')}`,
    )
  })
})

describe('ImportProgressBar', () => {
  it('shows done/total, rate and time left, and emits cancel', async () => {
    const wrapper = mount(ImportProgressBar, {
      props: {
        progress: { phase: 'importing', done: 250, total: 1000, ratePerSecond: 180.4, etaSeconds: 125 },
      },
    })
    expect(wrapper.find('[data-test=progress-text]').text().replace(/\s+/g, ' ')).toBe(
      '250 / 1000 · 180/s · 3 min left',
    )
    expect(wrapper.attributes('aria-valuenow')).toBe('25')
    await wrapper.find('button').trigger('click')
    expect(wrapper.emitted('cancel')).toHaveLength(1)
  })
})

describe('the sample offered on first start', () => {
  const dir = tempDir()
  let service: CohortService
  beforeAll(async () => {
    // under happy-dom module URLs are not file URLs, so the test names the sample folder as a shell would
    const sampleFolder = join(__dirname, '..', '..', '..', 'resources', 'sample', 'fashion-mnist')
    service = await createCohortService({ home: join(dir.path, 'home'), sampleFolder })
    useBridge(serviceBridge(service))
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  it('imports the bundled Fashion-MNIST sample, labelled and split, in one click', async () => {
    setActivePinia(createPinia())
    const wrapper = mount(LibraryView)
    await useLibraryStore().refresh()
    await flushPromises()
    await wrapper.find('[data-test=import-sample]').trigger('click')
    await expect
      .poll(async () => (await flushPromises(), wrapper.findAll('[data-test=dataset-row]').length), {
        timeout: 30_000,
      })
      .toBe(1)
    const [sample] = await service['datasets.list']()
    expect(sample).toMatchObject({ name: 'fashion-mnist-sample', imageCount: 500, labeledCount: 500 })
    expect(sample!.labels).toHaveLength(10)
    expect(sample!.splits.validation).toBe(100)
    expect(sample!.splits.train).toBe(400)
    // a second click adds nothing and keeps the split; the sample's LICENSE is a document, not a rejected picture
    const again = await service['datasets.importSample']()
    expect(again.rejected).toEqual([])
    expect(again.skipped).toBeGreaterThanOrEqual(1)
    expect((await service['datasets.list']())[0]!.splits.validation).toBe(100)
  })
})

describe('dropping folders and files on the import form', () => {
  const dir = tempDir()
  let service: CohortService
  let files: string[] = []
  beforeAll(async () => {
    files = await makeLabelledFolder(join(dir.path, 'shells'), { conch: 2, cowrie: 2 })
    service = await createCohortService({ home: join(dir.path, 'home') })
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  /** The desktop app's bridge knows where a dropped file is (Electron's webUtils); here the name is the path. */
  function mountWith(paths: boolean) {
    const bridge = serviceBridge(service)
    useBridge(paths ? { ...bridge, pathForFile: (file: File) => file.name } : bridge)
    setActivePinia(createPinia())
    return mount(LibraryView)
  }
  const drop = (names: string[]) => ({ dataTransfer: { files: names.map((n) => new File(['x'], n)) } })

  it('fills the form with a dropped folder', async () => {
    const wrapper = mountWith(true)
    await wrapper.find('[data-test=import-form]').trigger('drop', drop([join(dir.path, 'shells')]))
    expect((wrapper.find('input[name=folder]').element as HTMLInputElement).value).toBe(
      join(dir.path, 'shells'),
    )
    expect((wrapper.find('input[name=dataset]').element as HTMLInputElement).value).toBe('shells')
  })

  it('imports several dropped files into the named dataset', async () => {
    const wrapper = mountWith(true)
    await wrapper.find('input[name=dataset]').setValue('beach')
    await wrapper.find('[data-test=import-form]').trigger('drop', drop(files))
    await expect
      .poll(async () => (await flushPromises(), wrapper.find('[data-test=import-report]').exists()))
      .toBe(true)
    expect(wrapper.find('[data-test=import-report]').text()).toMatch(/Imported 4 images into “beach”/)
  })

  it('explains that a browser cannot import dropped files by path', async () => {
    const wrapper = mountWith(false)
    await wrapper.find('[data-test=import-form]').trigger('drop', drop(['a.png']))
    expect(wrapper.find('[data-test=import-error]').text()).toMatch(/type the folder’s path/)
  })
})
