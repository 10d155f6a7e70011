// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { join } from 'node:path'
import DatasetView from '../../../src/renderer/src/views/DatasetView.vue'
import { useBridge } from '../../../src/renderer/src/api'
import { useDatasetStore } from '../../../src/renderer/src/stores/dataset'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { openDatabase } from '../../../src/core/store/db'
import type { RunSummary, SplitImageResult } from '../../../src/shared/types'
import { tempDir } from '../../helpers/temp'
import { closeAfterTrainers, settle, waitUntil } from '../../helpers/vue-wait'
import { serviceBridge } from '../../helpers/service-bridge'
import { trainTinyRun } from '../../helpers/tiny-run'

// The Dataset view's "Misclassified" filter on a real tiny run: real trainer, real evaluation, real SQLite.
describe('the misclassified filter of a real tiny run', () => {
  const dir = tempDir()
  let service: CohortService
  let wrapper: VueWrapper
  let datasetId: number
  let run: RunSummary
  /** the run's class names in class order, which is also the label keys' order (1, 2, 3) */
  const classes = ['blue', 'green', 'red']
  /** the run's wrong answers on validation and test, as the service reports them, most confident first */
  let mistakes: (SplitImageResult & { split: string })[]

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    useBridge(serviceBridge(service))
    ;({ datasetId, run } = await trainTinyRun(service, dir.path))
    // mislabel two validation images and one test image, so the run surely disagrees with some labels
    const labels = (await service['datasets.list']())[0]!.labels
    for (const split of ['validation', 'test'] as const) {
      const report = await service['runs.evaluateSplit'](run.id, split)
      for (const image of report.images.slice(0, split === 'validation' ? 2 : 1)) {
        const wrong = labels.find((l) => l.name !== classes[image.predicted])!
        await service['images.label'](datasetId, [image.imageId], wrong.id)
      }
    }
    mistakes = []
    for (const split of ['validation', 'test'] as const) {
      const report = await service['runs.evaluateSplit'](run.id, split)
      mistakes.push(...report.images.filter((i) => i.predicted !== i.label).map((i) => ({ ...i, split })))
    }
    mistakes.sort((a, b) => b.confidence - a.confidence)
    setActivePinia(createPinia())
    wrapper = mount(DatasetView, { attachTo: document.body })
    await useDatasetStore().open(datasetId)
  }, 120_000)
  afterAll(async () => {
    wrapper?.unmount()
    // every trainer process has exited before the library closes
    await closeAfterTrainers(service, () => dir.cleanup())
  })

  const until = (check: () => boolean, timeout = 20_000): Promise<void> => waitUntil(check, timeout)
  const thumbs = () => wrapper.findAll('[data-test=thumb]')
  const choice = () => wrapper.find(`[data-filter="Misclassified (run ${run.id})"]`)
  function labelInSqlite(imageId: number): string | null {
    const db = openDatabase(service.paths.db)
    try {
      return db
        .prepare<[number], { name: string | null }>(
          'SELECT l.name FROM images i LEFT JOIN labels l ON l.id = i.label_id WHERE i.id = ?',
        )
        .get(imageId)!.name
    } finally {
      db.close()
    }
  }

  it("lists exactly the run's mistakes on validation and test, most confident first, with its answer", async () => {
    expect(mistakes.length).toBeGreaterThanOrEqual(3)
    expect(new Set(mistakes.map((m) => m.split))).toEqual(new Set(['validation', 'test']))
    await until(() => choice().exists())
    await choice().trigger('click')
    await until(() => thumbs().length === mistakes.length && thumbs().every((t) => t.find('img').exists()))

    expect(thumbs().map((t) => Number(t.attributes('data-id')))).toEqual(mistakes.map((m) => m.imageId))
    expect(thumbs().map((t) => t.find('[data-test=thumb-predicted]').text())).toEqual(
      mistakes.map((m) => `→ ${classes[m.predicted]} ${Math.round(m.confidence * 100)}%`),
    )
    expect(choice().text()).toContain(String(mistakes.length))
    expect(choice().classes()).toContain('active')
    expect(wrapper.find('[data-test=status-filter]').text()).toBe(
      `Misclassified by run ${run.id}: ${mistakes.length} images`,
    )
    expect(wrapper.find('[data-test=mistakes-hint]').text()).toContain('stay listed')
  })

  it('relabels the focused mistake with one key, in SQLite, and moves on to the next one', async () => {
    const first = mistakes[0]!
    const answer = classes[first.predicted]!
    expect(labelInSqlite(first.imageId)).not.toBe(answer)
    await thumbs()[0]!.trigger('click')
    await settle()
    window.dispatchEvent(new KeyboardEvent('keydown', { key: String(first.predicted + 1), bubbles: true }))
    await until(() => labelInSqlite(first.imageId) === answer)
    // auto-advance: the next mistake is focused; the fixed one stays listed until the filter is chosen again
    await until(() => thumbs()[1]!.classes().includes('focused'))
    expect(thumbs()[0]!.find('[data-test=thumb-label]').text()).toBe(answer)
    expect(thumbs()).toHaveLength(mistakes.length)

    // choosing the filter again evaluates the run afresh: the fixed image is no longer a mistake
    await choice().trigger('click')
    await until(() => thumbs().length === mistakes.length - 1)
    expect(thumbs().map((t) => Number(t.attributes('data-id')))).not.toContain(first.imageId)
  })
})
