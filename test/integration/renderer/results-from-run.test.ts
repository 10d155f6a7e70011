// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { join } from 'node:path'
import ResultsView from '../../../src/renderer/src/views/ResultsView.vue'
import { useBridge } from '../../../src/renderer/src/api'
import { useDatasetStore } from '../../../src/renderer/src/stores/dataset'
import { useResultsStore } from '../../../src/renderer/src/stores/results'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { serviceBridge } from '../../helpers/service-bridge'
import { tempDir } from '../../helpers/temp'
import { closeAfterTrainers, waitUntil } from '../../helpers/vue-wait'
import { TINY_SETTINGS, trainTinyRun } from '../../helpers/tiny-run'

// The Results view of a run retrained from an earlier one says which (issue 19), with real runs.
describe('ResultsView of a run started from an earlier run', () => {
  const dir = tempDir('cohort-results-from-run-')
  let service: CohortService
  let wrapper: VueWrapper
  let first: number
  let second: number

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    useBridge(serviceBridge(service))
    const { datasetId, run } = await trainTinyRun(service, dir.path)
    first = run.id
    const started = await service['runs.start']({
      dataset: datasetId,
      ...TINY_SETTINGS,
      epochs: 1,
      fromRun: first,
    })
    second = (await service['runs.wait'](started.id)).id
    setActivePinia(createPinia())
    await useDatasetStore().open(datasetId)
    wrapper = mount(ResultsView, { attachTo: document.body })
  }, 180_000)
  afterAll(async () => {
    wrapper?.unmount()
    await closeAfterTrainers(service, () => dir.cleanup())
  })

  it('says "Started from run N" for the retrained run, and nothing for the first', async () => {
    await waitUntil(() => wrapper.find('[data-test=started-from]').exists(), 30_000)
    expect(useResultsStore().run?.id).toBe(second)
    expect(wrapper.find('[data-test=started-from]').text()).toContain(`Started from run ${first}`)
    const rows = wrapper.findAll('[data-test=compare-row]')
    expect(rows.map((r) => r.find('td').text())).toEqual([`Run ${second} from run ${first}`, `Run ${first}`])
    await useResultsStore().open(first)
    await waitUntil(() => !wrapper.find('[data-test=started-from]').exists(), 30_000)
    // its evaluation has arrived before the library closes
    await waitUntil(() => wrapper.find('[data-test=confusion]').exists(), 30_000)
  })
})
