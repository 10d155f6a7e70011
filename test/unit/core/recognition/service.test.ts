import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { createCohortService, type CohortService } from '../../../../src/core/service'
import { dispatch } from '../../../../src/core/service/dispatch'
import { openDatabase, type Db } from '../../../../src/core/store/db'
import { createRun, setRunStatus } from '../../../../src/core/store/runs'
import type { EvaluationReport, ModelCopyReport, RecognitionReport } from '../../../../src/shared/types'
import { CLASS_NAMES, makeTestBundle, writeColourImage } from '../../../helpers/model-bundle'
import { tempDir } from '../../../helpers/temp'

describe('the recognition channels of the service', () => {
  const tmp = tempDir()
  const home = join(tmp.path, 'home')
  const photos = join(tmp.path, 'photos')
  let service: CohortService
  let db: Db
  let trained: number
  let untrained: number

  /** Calls a channel as a shell does (arguments validated); returns the value or throws the message. */
  async function call<T>(channel: string, ...args: unknown[]): Promise<T> {
    const result = await dispatch(service, channel, args)
    if (!result.ok) throw new Error(result.error.message)
    return result.value as T
  }

  beforeAll(async () => {
    await tf.setBackend('cpu')
    service = await createCohortService({ home })
    db = openDatabase(service.paths.db)
    const dataset = await service['datasets.create']('colours')
    const run = { datasetId: dataset.id, config: {}, classNames: CLASS_NAMES, networks: [] }
    trained = createRun(db, run)
    untrained = createRun(db, run)
    setRunStatus(db, trained, 'completed') // only a completed run has a model
    const made = await makeTestBundle(join(service.paths.runs, String(trained), 'final'), { runId: trained })
    for (const m of made.models) m.dispose()
    for (const [i, label] of CLASS_NAMES.entries()) {
      await writeColourImage(join(photos, label, `${label}.png`), label, { seed: 30 + i })
    }
  })
  afterAll(() => {
    db?.close()
    service?.close()
    tmp.cleanup()
  })

  it('recognises files with a run id, resolved to the run’s final model', async () => {
    const files = CLASS_NAMES.map((label) => join(photos, label, `${label}.png`))
    const report = await call<RecognitionReport>('recognise.files', trained, files, { topK: 1 })
    expect(report.results.map((r) => ('predictions' in r ? r.predictions[0]!.label : r.error))).toEqual(
      CLASS_NAMES,
    )
    const one = await call<RecognitionReport>('recognise.files', trained, [photos], { network: 1, topK: 2 })
    expect(one.network).toBe(1)
    expect(one.results).toHaveLength(3)
  })

  it('evaluates a run on a labelled folder', async () => {
    const report = await call<EvaluationReport>('runs.evaluate', trained, photos)
    expect(report.images).toBe(3)
    expect(report.ensemble.accuracy).toBe(1)
    expect(report.confusion).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ])
  })

  it('exports a run’s model, imports it back and recognises with the imported copy', async () => {
    const out = join(tmp.path, 'exported')
    const exported = await call<ModelCopyReport>('models.export', trained, out)
    expect(exported.dir).toBe(out)
    const imported = await call<ModelCopyReport>('models.import', out)
    expect(imported.dir.startsWith(join(home, 'models'))).toBe(true)
    const rows = db.prepare("SELECT run_id, kind, path FROM models WHERE kind = 'imported'").all()
    expect(rows).toEqual([{ run_id: null, kind: 'imported', path: imported.dir }])
    const report = await call<RecognitionReport>('recognise.files', imported.dir, [join(photos, 'red')])
    const first = report.results[0]!
    expect('predictions' in first && first.predictions[0]!.label).toBe('red')
  })

  it('lists imported models in later sessions, leaving out folders that were deleted since', async () => {
    const again = await createCohortService({ home })
    try {
      const listed = await dispatch(again, 'models.list', [])
      expect(listed.ok).toBe(true)
      const models = (listed as { value: { dir: string; metadata: { classNames: string[] } }[] }).value
      expect(models).toHaveLength(1)
      expect(models[0]!.metadata.classNames).toEqual(CLASS_NAMES)
      rmSync(models[0]!.dir, { recursive: true })
      expect(await again['models.list']()).toEqual([])
    } finally {
      again.close()
    }
  })

  it('says clearly when a run has no model, does not exist, or the arguments are wrong', async () => {
    await expect(call('recognise.files', untrained, [photos])).rejects.toThrow(
      `Run ${untrained} has no trained model yet (it is queued)`,
    )
    await expect(call('models.export', 99, join(tmp.path, 'x'))).rejects.toThrow(/No run with id 99/)
    await expect(call('recognise.files', trained, [photos], { network: -1 })).rejects.toThrow(
      /Invalid arguments for recognise.files/,
    )
    await expect(call('recognise.files', trained, [photos], { network: 5 })).rejects.toThrow(
      /there is no network 5/,
    )
    await expect(call('recognise.files', join(tmp.path, 'nothing'), [photos])).rejects.toThrow(
      /not a Cohort model folder/,
    )
  })
})
