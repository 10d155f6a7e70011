import { rmSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { openDatabase, type Db } from '../../../src/core/store/db'
import { createRun, setRunStatus } from '../../../src/core/store/runs'
import { picturesWithoutSuggestion } from '../../../src/core/store/suggestions'
import { CLASS_NAMES, makeTestBundle, writeColourImage } from '../../helpers/model-bundle'
import { tempDir } from '../../helpers/temp'

// Two completed runs of one dataset with real model bundles (small networks trained on coloured noise).
describe('suggestions follow the newest run', () => {
  const tmp = tempDir('cohort-suggest-refresh-')
  const home = join(tmp.path, 'home')
  let service: CohortService
  let db: Db
  let datasetId: number
  let runs: number[]
  let broken: string

  const rowsOf = (runId: number) =>
    db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM suggestions WHERE run_id = ?').get(runId)!
      .n

  beforeAll(async () => {
    await tf.setBackend('cpu')
    service = await createCohortService({ home })
    const files: string[] = []
    for (const [i, label] of CLASS_NAMES.entries()) {
      for (let k = 0; k < 2; k++)
        files.push(
          await writeColourImage(join(tmp.path, 'new', `${label}-${k}.png`), label, { seed: 10 * i + k }),
        )
    }
    await service['imports.files']({ files, dataset: 'colours' })
    datasetId = (await service['datasets.list']())[0]!.id
    db = openDatabase(service.paths.db)
    runs = []
    for (let r = 0; r < 2; r++) {
      const id = createRun(db, { datasetId, config: {}, classNames: CLASS_NAMES, networks: [] })
      setRunStatus(db, id, 'completed')
      const made = await makeTestBundle(join(service.paths.runs, String(id), 'final'), {
        runId: id,
        epochs: 2,
      })
      for (const m of made.models) m.dispose()
      runs.push(id)
    }
    broken = files[0]!
  })
  afterAll(() => {
    db?.close()
    service?.close()
    tmp.cleanup()
  })

  it('answers with an older run only when asked for it, and the newest run’s answers replace it', async () => {
    const [older, newer] = runs as [number, number]
    const old = await service['suggestions.list'](datasetId, { runId: older })
    expect(old.suggestions).toHaveLength(6)
    expect(rowsOf(older)).toBe(6)
    // an older run completing (e.g. resumed) does not take over
    await service.suggestions.refreshAfterRun(older)
    expect(rowsOf(newer)).toBe(0)

    const ready: { datasetId: number; runId: number }[] = []
    service.events.on('suggestions.ready', (e) => ready.push(e))
    await service.suggestions.refreshAfterRun(newer)
    expect(ready).toEqual([{ datasetId, runId: newer }])
    expect(rowsOf(newer)).toBe(6)
    expect(rowsOf(older)).toBe(0)
    expect((await service['suggestions.list'](datasetId)).runId).toBe(newer)
  })

  it('leaves out a picture that cannot be read, without trying it again on every call', async () => {
    const [, newer] = runs as [number, number]
    const fresh = createRun(db, { datasetId, config: {}, classNames: CLASS_NAMES, networks: [] })
    setRunStatus(db, fresh, 'completed')
    const made = await makeTestBundle(join(service.paths.runs, String(fresh), 'final'), {
      runId: fresh,
      epochs: 0,
    })
    for (const m of made.models) m.dispose()
    rmSync(broken)
    const list = await service['suggestions.list'](datasetId, { runId: fresh })
    expect(list.suggestions).toHaveLength(5)
    expect(list.suggestions.map((s) => s.path)).not.toContain(broken)
    expect(picturesWithoutSuggestion(db, fresh, datasetId)).toEqual([])
    const error = db
      .prepare<[number], { error: string }>(
        'SELECT error FROM suggestions WHERE run_id = ? AND label IS NULL',
      )
      .all(fresh)
    expect(error).toHaveLength(1)
    expect(error[0]!.error).toMatch(/not|missing|found|read/i)
    expect(rowsOf(newer)).toBe(6)
  })
})
