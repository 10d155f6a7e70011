// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { join } from 'node:path'
import ResultsView from '../../../src/renderer/src/views/ResultsView.vue'
import { useBridge } from '../../../src/renderer/src/api'
import { useDatasetStore } from '../../../src/renderer/src/stores/dataset'
import { useRecogniseStore } from '../../../src/renderer/src/stores/recognise'
import { useResultsStore } from '../../../src/renderer/src/stores/results'
import { createCohortService, type CohortService } from '../../../src/core/service'
import type { RunSummary } from '../../../src/shared/types'
import { serviceBridge } from '../../helpers/service-bridge'
import { tempDir } from '../../helpers/temp'
import { closeAfterTrainers, waitUntil } from '../../helpers/vue-wait'
import { trainTinyRun } from '../../helpers/tiny-run'

// Results: "Train each network alone to compare" trains the twin run and shows what training together added
// (issue 17), with real runs through the same validating bridge as the app.
describe('ResultsView: together or alone', () => {
  const dir = tempDir('cohort-results-alone-')
  let service: CohortService
  let wrapper: VueWrapper
  let together: RunSummary

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    useBridge(serviceBridge(service))
    const trained = await trainTinyRun(service, dir.path)
    together = trained.run
    setActivePinia(createPinia())
    await useDatasetStore().open(trained.datasetId)
    wrapper = mount(ResultsView, { attachTo: document.body })
  }, 180_000)
  afterAll(async () => {
    wrapper?.unmount()
    await closeAfterTrainers(service, () => dir.cleanup())
  })

  it('offers to train the networks alone, trains them, then shows both with a verdict', async () => {
    await waitUntil(() => wrapper.find('[data-test=train-alone]').exists(), 30_000)
    expect(wrapper.find('[data-test=alone-table]').exists()).toBe(false)
    await wrapper.find('[data-test=train-alone]').trigger('click')
    await waitUntil(() => wrapper.find('[data-test=alone-table]').exists(), 120_000)
    const alone = (await service['runs.list']()).find((r) => r.config.aloneFor === together.id)!
    expect(alone.status).toBe('completed')
    const rows = wrapper.findAll('[data-test=alone-row]').map((r) => r.findAll('td').map((td) => td.text()))
    expect(rows.map((r) => r[0])).toEqual(['1 · cnn', '2 · resnet-8', "The app's answer"])
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`
    expect(rows[2]!.slice(1, 3)).toEqual([
      pct(together.kept!.ensemble.valAcc),
      pct(alone.kept!.ensemble.valAcc),
    ])
    expect(wrapper.find('[data-test=alone-verdict]').text()).toMatch(
      /^(Training together helped|Training together did not help here|No clear difference)/,
    )
    // the run made to compare says so, and is not the one Results opens first
    await useResultsStore().open(alone.id)
    await waitUntil(() => wrapper.find('[data-test=alone-for]').exists(), 30_000)
    expect(wrapper.find('[data-test=alone-for]').text()).toContain(`run ${together.id}'s networks alone`)
    expect(wrapper.find('[data-test=train-alone]').exists()).toBe(false)
    // Recognise lists it as what it is
    const recognise = useRecogniseStore()
    await recognise.refresh()
    expect(recognise.runs.map((r) => r.title)).toEqual([
      `Run ${together.id} · squares · cnn + resnet-8`,
      `Run ${alone.id} · squares · cnn + resnet-8 (trained alone, for run ${together.id})`,
    ])
  }, 180_000)
})
