// @vitest-environment happy-dom
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mount, type VueWrapper } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import SuggestionPanel from '../../../src/renderer/src/components/SuggestionPanel.vue'
import { useBridge } from '../../../src/renderer/src/api'
import { useDatasetStore } from '../../../src/renderer/src/stores/dataset'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { colourPictures, completedTestRun } from '../../helpers/completed-run'
import { serviceBridge } from '../../helpers/service-bridge'
import { tempDir } from '../../helpers/temp'
import { settle, waitUntil } from '../../helpers/vue-wait'

// The Dataset view's suggestions panel while a real background process answers for 400 pictures.
describe('SuggestionPanel while suggestions are computed', () => {
  const dir = tempDir('cohort-suggest-progress-')
  let service: CohortService
  let wrapper: VueWrapper
  let datasetId: number

  beforeAll(async () => {
    await tf.setBackend('cpu')
    service = await createCohortService({ home: join(dir.path, 'home') })
    useBridge(serviceBridge(service))
    const files = await colourPictures(join(dir.path, 'new'), 400)
    await service['imports.files']({ files, dataset: 'colours' })
    datasetId = (await service['datasets.list']())[0]!.id
    await completedTestRun(service, datasetId)
    setActivePinia(createPinia())
    await useDatasetStore().open(datasetId)
  })
  afterAll(() => {
    wrapper?.unmount()
    service?.close()
    dir.cleanup()
  })

  it('says how far the run is, then shows its suggestions', async () => {
    const seen: string[] = []
    wrapper = mount(SuggestionPanel, { attachTo: document.body })
    const progress = () => wrapper.find('[data-test=suggestions-progress]')
    await waitUntil(() => {
      if (progress().exists()) seen.push(progress().text())
      return wrapper.find('[data-test=suggestions-summary]').exists()
    }, 120_000)
    await settle()
    expect(seen.length).toBeGreaterThan(0)
    expect(seen[0]).toMatch(/^Run \d+ is suggesting labels: \d+ of 400 pictures…$/)
    expect(progress().exists()).toBe(false)
    expect(wrapper.find('[data-test=suggestions-summary]').text()).toMatch(
      /suggests a label for 400 pictures/,
    )
  })
})
