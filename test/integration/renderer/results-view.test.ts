// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import ResultsView from '../../../src/renderer/src/views/ResultsView.vue'
import { useBridge } from '../../../src/renderer/src/api'
import { useDatasetStore } from '../../../src/renderer/src/stores/dataset'
import { useResultsStore } from '../../../src/renderer/src/stores/results'
import { createCohortService, type CohortService } from '../../../src/core/service'
import type { RunSummary } from '../../../src/shared/types'
import { serviceBridge } from '../../helpers/service-bridge'
import { tempDir } from '../../helpers/temp'
import { closeAfterTrainers, settle, waitUntil } from '../../helpers/vue-wait'
import { trainTinyRun } from '../../helpers/tiny-run'

// The Results view of a real run trained once by the real trainer process.
describe('ResultsView of a real tiny run', () => {
  const dir = tempDir('cohort-results-view-')
  let service: CohortService
  let wrapper: VueWrapper
  let datasetId: number
  let run: RunSummary
  /** the run's class names in class order: blue, green, red */
  const classes = ['blue', 'green', 'red']

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    useBridge(serviceBridge(service))
    ;({ datasetId, run } = await trainTinyRun(service, dir.path))
    // two mislabelled validation images, so the misclassified gallery surely has work to do
    const report = await service['runs.evaluateSplit'](run.id, 'validation')
    const labels = (await service['datasets.list']())[0]!.labels
    for (const image of report.images.slice(0, 2)) {
      const wrong = labels.find((l) => l.name !== classes[image.predicted])!
      await service['images.label'](datasetId, [image.imageId], wrong.id)
    }
    setActivePinia(createPinia())
    await useDatasetStore().open(datasetId)
    wrapper = mount(ResultsView, { attachTo: document.body })
  })
  afterAll(async () => {
    wrapper?.unmount()
    // every trainer process has exited before the library closes
    await closeAfterTrainers(service, () => dir.cleanup())
  })

  const until = (check: () => boolean, timeout = 30_000): Promise<void> => waitUntil(check, timeout)
  const cells = () => wrapper.findAll('[data-test=confusion-cell]')
  const evaluation = () => useResultsStore().evaluation!

  it('opens the newest finished run: each network, the ensemble with its weights, validation and test', async () => {
    await until(() => wrapper.find('[data-test=confusion]').exists())
    const rows = wrapper.findAll('[data-test=network-row]')
    expect(rows.map((r) => r.find('td').text())).toEqual(['1 · cnn', '2 · resnet-8'])
    const last = run.last!
    const kept = run.kept!
    // the kept model: each network's best validated epoch, and which one it was
    const best = kept.best![0]!
    expect(rows[0]!.text()).toContain(`${(kept.networks[0]!.valAcc * 100).toFixed(1)}%`)
    expect(rows[0]!.find('[data-test=best-epoch]').text()).toBe(
      `best at epoch ${best.epoch} of ${last.epoch}`,
    )
    expect(rows[1]!.text()).toContain(kept.ensemble.weights[1]!.toFixed(2))
    expect(wrapper.find('[data-test=networks-table] thead').text()).toContain('Test')
    const test = await service['runs.evaluateSplit'](run.id, 'test')
    await until(() => wrapper.find('[data-test=ensemble-row]').text().includes('%'))
    expect(wrapper.find('[data-test=ensemble-row]').text()).toContain(
      `${(test.ensemble.accuracy * 100).toFixed(1)}%`,
    )
  })

  it('shows the validation confusion matrix, and a cell opens exactly its images', async () => {
    expect(cells()).toHaveLength(9)
    const counts = cells().map((c) => Number(c.text()))
    expect(counts.reduce((a, b) => a + b, 0)).toBe(
      await service['images.count']({ datasetId, split: 'validation' }),
    )
    const open = cells().find((c) => Number(c.text()) > 0)!
    await open.trigger('click')
    await settle()
    const gallery = wrapper.find('[data-test=cell-gallery]')
    expect(gallery.find('h4').text()).toContain(
      `${open.attributes('data-true')} recognised as ${open.attributes('data-predicted')}`,
    )
    const images = gallery.findAll('[data-test=gallery-image]')
    expect(images).toHaveLength(Number(open.text()))
    expect(images[0]!.find('img').attributes('src')).toMatch(/^\/image\/\d+\/thumb$/)
    expect(images[0]!.text()).toMatch(new RegExp(`${open.attributes('data-predicted')} \\d+\\.\\d%`))
  })

  it('switches to the test split', async () => {
    await wrapper.find('[data-test=split-switch][data-split=test]').trigger('click')
    await until(() => evaluation()?.split === 'test')
    const total = cells().reduce((s, c) => s + Number(c.text()), 0)
    expect(total).toBe(await service['images.count']({ datasetId, split: 'test' }))
    expect(wrapper.find('[data-test=cell-gallery]').exists()).toBe(false)
    await wrapper.find('[data-test=split-switch][data-split=validation]').trigger('click')
    await until(() => evaluation()?.split === 'validation')
  })

  it('lists the mistakes, most confident first, and fixes a label by click and by key', async () => {
    const gallery = () => wrapper.find('[data-test=misclassified]')
    const shown = () => gallery().findAll('[data-test=gallery-image]')
    const wrong = evaluation().images.filter((i) => i.predicted !== i.label)
    expect(wrong.length).toBeGreaterThanOrEqual(2)
    expect(shown()).toHaveLength(wrong.length)
    const confidences = useResultsStore().misclassified.map((i) => i.confidence)
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a))

    // a mistake less sure than the run's validation answers support asks for a second look, no one-click fix
    // (the bar itself is logic/trust.ts, unit-tested); a tiny run's bar depends on its luck, so it is set here
    const results = useResultsStore()
    results.trust = { answers: 10, from: 1.01 }
    await settle()
    expect(shown()[0]!.find('[data-test=mark-as]').exists()).toBe(false)
    expect(shown()[0]!.find('[data-test=second-look]').text()).toBe('not sure — take a second look')
    results.trust = { answers: 10, from: 0 }
    await settle()

    // "mark as <predicted>" gives the image the label the model saw
    const first = shown()[0]!
    const firstId = Number(first.attributes('data-image'))
    const predicted = classes[wrong.find((i) => i.imageId === firstId)!.predicted]!
    await first.find('[data-test=mark-as]').trigger('click')
    await until(() => wrapper.find('[data-test=toast]').exists())
    let stored = await service['images.list']({ datasetId, split: 'validation' })
    expect(stored.find((i) => i.id === firstId)!.label).toBe(predicted)
    expect(first.find('[data-test=mark-as]').exists()).toBe(false)

    // a label's number key relabels the chosen image (keys follow the dataset's name-sorted labels)
    const second = shown()[1]!
    const secondId = Number(second.attributes('data-image'))
    await second.trigger('click')
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '3', bubbles: true }))
    await until(() => useResultsStore().fixed[secondId] === 'red')
    stored = await service['images.list']({ datasetId, split: 'validation' })
    expect(stored.find((i) => i.id === secondId)!.label).toBe('red')
  })

  it('compares the dataset’s finished runs, and exports the models to a folder', async () => {
    const second = await service['runs.start']({
      dataset: datasetId,
      imageSize: 16,
      networks: [
        { arch: 'cnn', width: 0.25 },
        { arch: 'mobilenet', width: 0.25 },
      ],
      teacher: 'none',
      batchSize: 8,
      epochs: 1,
    })
    expect((await service['runs.wait'](second.id)).status).toBe('completed')
    await useResultsStore().open(run.id)
    await until(() => wrapper.findAll('[data-test=compare-row]').length === 2)
    const rows = wrapper.findAll('[data-test=compare-row]').map((r) => r.text())
    expect(rows[0]).toMatch(new RegExp(`Run ${second.id}\\s*none\\s*cnn [\\d.]+%\\s*mobilenet [\\d.]+%`))
    expect(rows[1]).toMatch(new RegExp(`Run ${run.id}\\s*${String(run.config.teacher)}\\s*cnn`))

    const out = join(dir.path, 'exported')
    await wrapper.find('input[name=exportDir]').setValue(out)
    await wrapper.find('[data-test=export-form]').trigger('submit')
    await until(() => wrapper.find('[data-test=exported]').exists())
    expect(wrapper.find('[data-test=exported]').text()).toContain('Exported 2 networks')
    expect(existsSync(join(out, 'metadata.json'))).toBe(true)
    // a second export into the same, now full folder is refused in the service's words
    await wrapper.find('[data-test=export-form]').trigger('submit')
    await until(() => wrapper.find('[data-test=error]').exists())
    expect(wrapper.find('[data-test=error]').text().length).toBeGreaterThan(10)
  })

  it('says so for a dataset without a finished run', async () => {
    const empty = await service['datasets.create']('empty')
    wrapper.unmount()
    await useDatasetStore().open(empty.id)
    wrapper = mount(ResultsView, { attachTo: document.body })
    await until(() => wrapper.find('[data-test=no-results]').exists())
    expect(wrapper.find('[data-test=confusion]').exists()).toBe(false)
  })
})
