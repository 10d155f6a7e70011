import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../../src/core/service'
import { loadTrainingTensors, tensorCacheFile } from '../../../../src/core/dataset/tensor-cache'
import { openDatabase } from '../../../../src/core/store/db'
import { makeLabelledFolder } from '../../../helpers/labelled-folder'
import { tempDir } from '../../../helpers/temp'

// Deleting a dataset removes what it owns on disk, and only that: here its decoded training pixels.
describe('datasets.remove on a real library', () => {
  const dir = tempDir()
  let service: CohortService
  const ids: Record<string, number> = {}

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    for (const name of ['pets', 'birds']) {
      const folder = join(dir.path, name)
      await makeLabelledFolder(folder, { [`${name}-a`]: 3, [`${name}-b`]: 3 }, 8)
      await service['imports.folder']({ folder, dataset: name })
      ids[name] = (await service['datasets.list']()).find((d) => d.name === name)!.id
      await service['splits.apply']({ datasetId: ids[name]!, validation: 0.3, test: 0, seed: 1 })
    }
    // the cache the trainer builds, built here through a second connection to the same library file
    const db = openDatabase(service.paths.db)
    try {
      const ctx = { db, cacheDir: service.paths.cache }
      for (const imageSize of [8, 12])
        await loadTrainingTensors(ctx, { datasetId: ids.pets!, imageSize, channels: 3 })
      await loadTrainingTensors(ctx, { datasetId: ids.birds!, imageSize: 8, channels: 1 })
    } finally {
      db.close()
    }
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  it('deletes the dataset’s tensor cache files and keeps the other datasets’ ones', async () => {
    const cache = service.paths.cache
    const pets = [8, 12].map((size) => tensorCacheFile(cache, ids.pets!, size, 3))
    const birds = tensorCacheFile(cache, ids.birds!, 8, 1)
    for (const file of [...pets, birds]) expect(existsSync(file), file).toBe(true)

    await service['datasets.remove'](ids.pets!)

    expect(readdirSync(cache)).toEqual([birds.slice(cache.length + 1)])
  })
})
