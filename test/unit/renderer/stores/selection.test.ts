// @vitest-environment happy-dom
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { join } from 'node:path'
import { useBridge } from '../../../../src/renderer/src/api'
import { useDatasetStore } from '../../../../src/renderer/src/stores/dataset'
import { useSelectionStore } from '../../../../src/renderer/src/stores/selection'
import { createCohortService, type CohortService } from '../../../../src/core/service'
import { tempDir } from '../../../helpers/temp'
import { serviceBridge } from '../../../helpers/service-bridge'
import { makeDatasetFolder } from '../../../helpers/dataset-fixture'

// Select all fetches every id of the view; the view may change (or the selection be cleared)
// while they load, and then the answer belongs to a view the user has left.
describe('selection store: select all on a real library', () => {
  const dir = tempDir()
  let service: CohortService
  const ids: Record<string, number> = {}

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    useBridge(serviceBridge(service))
    for (const [name, counts] of [
      ['pets', { cat: 3, dog: 2 }],
      ['birds', { owl: 2 }],
    ] as const) {
      const folder = join(dir.path, name)
      await makeDatasetFolder(folder, counts, 2, 8)
      await service['imports.folder']({ folder, dataset: name })
      ids[name] = (await service['datasets.list']()).find((d) => d.name === name)!.id
    }
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })
  beforeEach(() => setActivePinia(createPinia()))

  async function opened(name: string) {
    const dataset = useDatasetStore()
    await dataset.open(ids[name]!)
    return { dataset, selection: useSelectionStore() }
  }

  it('selects every image of the filter, including pages not fetched yet', async () => {
    const { selection } = await opened('pets')
    await selection.selectAll()
    expect(selection.size).toBe(7)
  })

  it('drops the ids when the filter changes while they load', async () => {
    const { dataset, selection } = await opened('pets')
    const selecting = selection.selectAll()
    const filtering = dataset.setFilter({ kind: 'unlabelled' })
    await Promise.all([selecting, filtering])
    expect(dataset.total).toBe(2)
    expect(selection.size).toBe(0)
  })

  it('drops the ids when another dataset opens while they load', async () => {
    const { dataset, selection } = await opened('pets')
    const selecting = selection.selectAll()
    const opening = dataset.open(ids['birds']!)
    await Promise.all([selecting, opening])
    expect(dataset.total).toBe(4)
    expect(selection.size).toBe(0)
  })

  it('keeps a clear made while the ids load', async () => {
    const { selection } = await opened('pets')
    const selecting = selection.selectAll()
    selection.clear()
    await selecting
    expect(selection.size).toBe(0)
  })

  it('keeps a click made while the ids load', async () => {
    const { dataset, selection } = await opened('pets')
    await dataset.ensureRange(0, 6) // the click's page is cached, so the click lands first
    const selecting = selection.selectAll()
    const clicking = selection.click(1, 'single')
    await Promise.all([selecting, clicking])
    expect(selection.size).toBe(1)
    expect(selection.focus).toBe(1)
  })
})
