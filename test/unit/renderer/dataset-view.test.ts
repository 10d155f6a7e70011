// @vitest-environment happy-dom
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { join } from 'node:path'
import { rmSync } from 'node:fs'
import DatasetView from '../../../src/renderer/src/views/DatasetView.vue'
import { useBridge } from '../../../src/renderer/src/api'
import { useDatasetStore } from '../../../src/renderer/src/stores/dataset'
import { useSelectionStore } from '../../../src/renderer/src/stores/selection'
import { useSplitsStore } from '../../../src/renderer/src/stores/splits'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { tempDir } from '../../helpers/temp'
import { serviceBridge } from '../../helpers/service-bridge'
import { makeDatasetFolder } from '../../helpers/dataset-fixture'
import { settle } from '../../helpers/vue-wait'

// The Dataset view on a real library: real import, real SQLite, the same validating dispatch.
describe('DatasetView on a real library', () => {
  const dir = tempDir()
  let service: CohortService
  let wrapper: VueWrapper
  let datasetId: number
  let n = 0

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    useBridge(serviceBridge(service))
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  // Each test gets a fresh dataset (cat 4, dog 3, 5 unlabelled) and a freshly mounted view.
  beforeEach(async () => {
    wrapper?.unmount()
    const folder = join(dir.path, `pets-${++n}`)
    await makeDatasetFolder(folder, { cat: 4, dog: 3 }, 5)
    const report = await service['imports.folder']({ folder, dataset: `pets-${n}` })
    expect(report.imported).toBe(12)
    datasetId = (await service['datasets.list']()).find((d) => d.name === `pets-${n}`)!.id
    setActivePinia(createPinia())
    wrapper = mount(DatasetView, { attachTo: document.body })
    await useDatasetStore().open(datasetId)
    await settle()
  })

  const thumbs = () => wrapper.findAll('[data-test=thumb]')
  const text = (sel: string) => wrapper.find(sel).text().replace(/\s+/g, ' ')
  async function press(key: string, mods: Partial<KeyboardEventInit> = {}): Promise<void> {
    window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, ...mods }))
    await settle()
  }
  async function pick(
    index: number,
    mods: { shiftKey?: boolean; ctrlKey?: boolean; metaKey?: boolean } = {},
  ) {
    await thumbs()[index]!.trigger('click', mods)
    await settle()
  }
  async function filterBy(name: string): Promise<void> {
    await wrapper.find(`[data-filter="${name}"]`).trigger('click')
    await settle()
  }
  function labelCount(name: string): string {
    return wrapper.find(`[data-test=label-row][data-label="${name}"] [data-test=label-count]`).text()
  }

  it('shows every image with its label, and the labels with keys and counts', async () => {
    await expect
      .poll(async () => (await settle(), thumbs().filter((t) => t.find('img').exists()).length))
      .toBe(12)
    expect(
      wrapper
        .findAll('[data-test=thumb-label]')
        .map((t) => t.text())
        .sort(),
    ).toEqual([...Array(4).fill('cat'), ...Array(3).fill('dog')])
    const rows = wrapper.findAll('[data-test=label-row]').map((r) => r.text().replace(/\s+/g, ' '))
    expect(rows[0]).toMatch(/^1\s*cat\s*4\s*Apply/)
    expect(rows[1]).toMatch(/^2\s*dog\s*3\s*Apply/)
    expect(text('[data-test=status-filter]')).toBe('All images: 12 images')
  })

  it('click selects one, shift-click a range, ctrl-click toggles', async () => {
    const selection = useSelectionStore()
    await pick(2)
    expect(text('[data-test=status-selected]')).toBe('1 selected')
    await pick(6, { shiftKey: true })
    expect(text('[data-test=status-selected]')).toBe('5 selected')
    expect(wrapper.findAll('.thumb.selected').map((t) => t.attributes('data-index'))).toEqual([
      '2',
      '3',
      '4',
      '5',
      '6',
    ])
    await pick(4, { ctrlKey: true })
    expect(selection.size).toBe(4)
    expect(thumbs()[4]!.classes()).not.toContain('selected')
    await pick(9, { metaKey: true })
    expect(selection.size).toBe(5)
    // arrows move a single selection
    await pick(0)
    await press('ArrowRight')
    expect(selection.focus).toBe(1)
    expect(selection.size).toBe(1)
  })

  it('filters unlabelled; key 1 labels the image and moves on to the next unlabelled; Ctrl+Z undoes', async () => {
    await filterBy('Unlabelled')
    expect(text('[data-test=status-filter]')).toBe('Unlabelled: 5 images')
    expect(thumbs()).toHaveLength(5)
    expect(wrapper.findAll('[data-test=thumb-label]')).toHaveLength(0)
    const ids = thumbs().map((t) => Number(t.attributes('data-id')))

    await pick(0)
    await press('1')
    expect(thumbs()).toHaveLength(4)
    expect(text('[data-test=status-filter]')).toBe('Unlabelled: 4 images')
    expect(labelCount('cat')).toBe('5')
    // the labelled image left the filter; the next unlabelled one is selected in its place
    expect([...useSelectionStore().ids]).toEqual([ids[1]])
    expect(wrapper.find('.thumb.selected').attributes('data-id')).toBe(String(ids[1]))
    expect(text('[data-test=toast]')).toBe("Labelled 1 image 'cat'")

    await press('2')
    expect([...useSelectionStore().ids]).toEqual([ids[2]])
    expect(labelCount('dog')).toBe('4')

    await press('z', { ctrlKey: true })
    expect(text('[data-test=toast]')).toBe("Undid: Label 1 image as 'dog'")
    expect(labelCount('dog')).toBe('3')
    expect(thumbs()).toHaveLength(4)
    await press('Z', { ctrlKey: true, shiftKey: true })
    expect(text('[data-test=toast]')).toBe("Redid: Label 1 image as 'dog'")
    expect(labelCount('dog')).toBe('4')
    expect((await service['images.count']({ datasetId, labelId: null })).valueOf()).toBe(3)
  })

  it('labels the whole filter with Ctrl+A, including the unlabel key', async () => {
    await filterBy('Unlabelled')
    await press('a', { ctrlKey: true })
    expect(text('[data-test=status-selected]')).toBe('5 selected')
    await press('2')
    expect(text('[data-test=status-filter]')).toBe('Unlabelled: 0 images')
    expect(wrapper.find('[data-test=grid-empty]').exists()).toBe(true)
    expect(labelCount('dog')).toBe('8')
    expect(text('[data-test=status-selected]')).toBe('0 selected')
    await wrapper.find('[data-test=label-row][data-label=cat] button.name').trigger('click')
    await settle()
    expect(text('[data-test=status-filter]')).toBe("Label 'cat': 4 images")
    await pick(0)
    await press('0')
    expect(labelCount('cat')).toBe('3')
  })

  it('the palette filters labels and creates a new one from what was typed', async () => {
    await filterBy('Unlabelled')
    await pick(0)
    await press('l')
    const input = wrapper.find('[data-test=palette] input')
    await input.setValue('do')
    expect(wrapper.findAll('[data-test=palette-option]').map((o) => o.text())).toEqual([
      'dog 2',
      'Create label “do”',
    ])
    await input.setValue('bird')
    await input.trigger('keydown', { key: 'Enter' })
    await settle()
    expect(wrapper.find('[data-test=palette]').exists()).toBe(false)
    expect(labelCount('bird')).toBe('1')
    // sorted first by name, but it takes the free key 3: creating a label renumbers no other
    expect(wrapper.find('[data-test=label-row][data-label=bird]').text()).toMatch(/^3\s*bird/)
    // auto-advance went on to the next unlabelled image, which 'dog' (still key 2) labels
    expect(useSelectionStore().size).toBe(1)
    await press('2')
    expect(labelCount('dog')).toBe('4')
    expect(text('[data-test=status-filter]')).toBe('Unlabelled: 3 images')
  })

  it('renames, merges and deletes labels from the side panel', async () => {
    const row = (name: string) => wrapper.find(`[data-test=label-row][data-label="${name}"]`)
    await row('dog').find('[data-test=edit-label]').trigger('click')
    await row('dog').find('input[name=rename]').setValue('cat')
    await row('dog').find('[data-test=label-edit] form').trigger('submit')
    await settle()
    expect(text('[data-test=error]')).toMatch(/cat/) // the service's own sentence about the clash
    await row('dog').find('input[name=rename]').setValue('puppy')
    await row('dog').find('[data-test=label-edit] form').trigger('submit')
    await settle()
    expect(wrapper.find('[data-test=error]').exists()).toBe(false)
    expect(labelCount('puppy')).toBe('3')

    await row('puppy').find('[data-test=edit-label]').trigger('click')
    await row('puppy')
      .find('select[name=merge-into]')
      .setValue(String(useDatasetStore().labels.find((l) => l.name === 'cat')!.id))
    await row('puppy').findAll('[data-test=label-edit] form')[1]!.trigger('submit')
    await settle()
    expect(row('puppy').exists()).toBe(false)
    expect(labelCount('cat')).toBe('7')
    expect(text('[data-test=toast]')).toBe("Merged 'puppy' into 'cat'")

    await row('cat').find('[data-test=edit-label]').trigger('click')
    await row('cat').find('button.danger').trigger('click')
    expect(text('[data-test=confirm-delete]')).toMatch(/Its 7 images become unlabelled/)
    await row('cat').find('[data-test=confirm-delete] button.danger').trigger('click')
    await settle()
    expect(wrapper.findAll('[data-test=label-row]')).toHaveLength(0)
    expect(await service['images.count']({ datasetId, labelId: null })).toBe(12)
  })

  it('re-splits with the chosen fractions and shows the counts and warnings; overrides one image', async () => {
    // happy-dom does not toggle <details> on a summary click; open it as the browser would
    const details = wrapper.find('[data-test=split-details]')
    expect(wrapper.find('[data-test=split-panel]').exists()).toBe(false)
    ;(details.element as HTMLDetailsElement).open = true
    await details.trigger('toggle')
    await settle()
    const panel = () => wrapper.find('[data-test=split-panel]')
    const cell = (label: string, split: string) =>
      panel().find(`tr[data-label="${label}"] td[data-split="${split}"]`).text()
    expect(cell('cat', 'unassigned')).toBe('4')
    await panel().find('input[name=validation]').setValue('25')
    await panel().find('input[name=test]').setValue('25')
    await panel().find('input[name=seed]').setValue('7')
    await panel().find('form').trigger('submit')
    await settle()
    await expect.poll(async () => (await settle(), cell('cat', 'train'))).toBe('2')
    expect(cell('cat', 'validation')).toBe('1')
    expect(cell('cat', 'test')).toBe('1')
    expect(cell('dog', 'unassigned')).toBe('0')
    expect(cell('', 'unassigned')).toBe('5')
    expect(wrapper.find('[data-test=split-warnings]').text()).toMatch(/cat|dog/)
    expect(wrapper.find('[data-filter=Train] .count').text()).toBe(
      String(Number(cell('cat', 'train')) + Number(cell('dog', 'train'))),
    )

    await pick(0)
    await panel().find('[data-test=override-test]').trigger('click')
    await settle()
    expect(text('[data-test=toast]')).toBe('Put 1 image in test')
    expect(thumbs()[0]!.find('.split-badge').classes()).toContain('locked')
    expect(thumbs()[0]!.find('.split-badge').text()).toBe('test')
  })

  it('keeps a share typed into the split form when the counts refresh before the field loses focus', async () => {
    const details = wrapper.find('[data-test=split-details]')
    ;(details.element as HTMLDetailsElement).open = true
    await details.trigger('toggle')
    await settle()
    const panel = () => wrapper.find('[data-test=split-panel]')
    const test = panel().find('input[name=test]').element as HTMLInputElement
    test.value = '0' // typed: an input event, no change event yet
    await panel().find('input[name=test]').trigger('input')
    await useSplitsStore().load() // the counts table refreshes, and the panel renders again
    await settle()
    expect(test.value).toBe('0')
    await panel().find('form').trigger('submit')
    await settle()
    await expect
      .poll(async () => (await settle(), service['images.count']({ datasetId, split: 'test' })))
      .toBe(0)
    expect(await service['images.count']({ datasetId, split: 'validation' })).toBeGreaterThan(0)
  })

  it('Space opens a large preview where label keys work and arrows move; Esc closes', async () => {
    await filterBy('Unlabelled')
    await pick(0)
    await press(' ')
    const preview = () => wrapper.find('[data-test=preview]')
    expect(preview().exists()).toBe(true)
    const [first, second, third] = thumbs().map((t) => t.attributes('data-id'))
    expect(preview().find('img').attributes('src')).toBe(`/image/${first}/full`)
    expect(text('[data-test=preview-label]')).toBe('unlabelled')
    await press('2')
    expect(labelCount('dog')).toBe('4')
    expect(preview().find('img').attributes('src')).toBe(`/image/${second}/full`) // advanced
    await press('ArrowRight')
    expect(preview().find('img').attributes('src')).toBe(`/image/${third}/full`)
    await press('ArrowLeft')
    await press('ArrowUp') // only left and right move in the preview
    expect(preview().find('img').attributes('src')).toBe(`/image/${second}/full`)
    await press('Escape')
    expect(preview().exists()).toBe(false)
  })

  it('marks images whose file went missing, and filters them', async () => {
    rmSync(join(dir.path, `pets-${n}`, 'loose-00.png'))
    await wrapper.find('[data-test=check-files]').trigger('click')
    // the check stats every file on disk: real I/O, so wait for it rather than for a few microtasks
    await expect
      .poll(async () => {
        await settle()
        const toast = wrapper.find('[data-test=toast]')
        return toast.exists() ? toast.text().replace(/\s+/g, ' ') : null
      })
      .toBe('1 missing, 0 back')
    expect(wrapper.find('[data-filter="Missing files"] .count').text()).toBe('1')
    await filterBy('Missing files')
    expect(thumbs()).toHaveLength(1)
    expect(thumbs()[0]!.classes()).toContain('missing')
    expect(thumbs()[0]!.find('[data-test=missing]').text()).toBe('file missing')
  })
})
