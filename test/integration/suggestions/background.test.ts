import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { dispatch } from '../../../src/core/service/dispatch'
import { forkTrainer, type TrainerLauncher } from '../../../src/core/service/runs'
import { disposeModelBundle, readModelBundle } from '../../../src/core/engine/model-metadata'
import { openDatabase, type Db } from '../../../src/core/store/db'
import { suggestLabels } from '../../../src/core/suggestions/compute'
import { colourPictures, completedTestRun } from '../../helpers/completed-run'
import { tempDir } from '../../helpers/temp'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function gone(pid: number, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (!alive(pid)) return true
    await new Promise((r) => setTimeout(r, 50))
  }
  return false
}

// Suggestions computed by a real trainer process (the app's default), over real model bundles and pictures.
describe('suggestions in the background process', () => {
  const tmp = tempDir('cohort-suggest-child-')
  let service: CohortService
  let db: Db
  let datasetId: number
  /** the suggest jobs' child processes, newest last */
  const children: number[] = []
  let added = 0

  const rowsOf = (runId: number) =>
    db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM suggestions WHERE run_id = ?').get(runId)!
      .n

  async function addPictures(n: number): Promise<void> {
    const files = await colourPictures(join(tmp.path, 'new'), n, added)
    added += n
    await service['imports.files']({ files, dataset: 'colours' })
  }
  const completedRun = () => completedTestRun(service, datasetId)

  /** resolves at the first progress a run's job reports */
  const progressOf = (runId: number) =>
    new Promise<void>((resolve) => {
      const off = service.events.on('suggestions.progress', (e) => {
        if (e.runId !== runId) return
        off()
        resolve()
      })
    })

  beforeAll(async () => {
    await tf.setBackend('cpu')
    const launch: TrainerLauncher = () => {
      const child = forkTrainer()
      if (child.pid !== undefined) children.push(child.pid)
      return child
    }
    service = await createCohortService({ home: join(tmp.path, 'home'), launchTrainer: launch })
    await addPictures(30)
    datasetId = (await service['datasets.list']())[0]!.id
    db = openDatabase(service.paths.db)
  })
  afterAll(() => {
    db?.close()
    service?.close()
    tmp.cleanup()
  })

  it('answers in a child process, with progress, exactly as the service’s own process would', async () => {
    const run = await completedRun()
    const progress: { done: number; total: number }[] = []
    const off = service.events.on('suggestions.progress', (e) => {
      if (e.runId === run) progress.push({ done: e.done, total: e.total })
    })
    const ready = new Promise((resolve) => service.events.on('suggestions.ready', resolve))
    const before = children.length
    await service.suggestions.refreshAfterRun(run)
    off()
    expect(await ready).toEqual({ datasetId, runId: run })
    expect(children.length).toBe(before + 1)
    expect(progress[0]).toEqual({ done: 0, total: 30 })
    expect(progress.at(-1)).toEqual({ done: 30, total: 30 })
    expect(rowsOf(run)).toBe(30)

    const { suggestions } = await service['suggestions.list'](datasetId)
    const unlabelled = await service['images.list']({ datasetId, labelId: null })
    const bundle = await readModelBundle(join(service.paths.runs, String(run), 'final'))
    const here = await suggestLabels(
      bundle,
      unlabelled.map((i) => ({ id: i.id, path: i.sourcePath })),
    ).finally(() => disposeModelBundle(bundle))
    const byId = new Map(suggestions.map((s) => [s.imageId, s]))
    expect(byId.size).toBe(30)
    for (const row of here) {
      const s = byId.get(row.imageId)!
      expect(s.label).toBe(row.label)
      expect(s.agree).toBe(row.agree)
      expect(s.confidence).toBeCloseTo(row.confidence, 4)
    }
    // every picture answered: a second list starts no process
    await service['suggestions.list'](datasetId)
    expect(children.length).toBe(before + 1)
  })

  it('a child killed mid-job leaves the cache as it was and says so plainly; the next list answers', async () => {
    const run = (await service['suggestions.list'](datasetId)).runId!
    const cached = rowsOf(run)
    await addPictures(400)
    const started = progressOf(run)
    const listed = dispatch(service, 'suggestions.list', [datasetId])
    await started
    process.kill(children.at(-1)!, 'SIGKILL')
    const answer = await listed
    expect(answer).toEqual({
      ok: false,
      error: {
        name: 'SuggestionsError',
        message:
          'Suggesting labels stopped unexpectedly (it was ended by SIGKILL); the earlier suggestions are kept.',
      },
    })
    expect(rowsOf(run)).toBe(cached)
    const again = await service['suggestions.list'](datasetId)
    expect(again.suggestions).toHaveLength(430)
  })

  it('a newer run stops an older run’s job; its answers replace the older ones', async () => {
    const older = (await service['suggestions.list'](datasetId)).runId!
    await addPictures(300)
    const olderRows = rowsOf(older)
    const newer = await completedRun()
    const started = progressOf(older)
    const listed = dispatch(service, 'suggestions.list', [datasetId, { runId: older }])
    await started
    const olderChild = children.at(-1)!
    const ready = new Promise((resolve) => service.events.on('suggestions.ready', resolve))
    const refreshed = service.suggestions.refreshAfterRun(newer)
    expect(await listed).toEqual({
      ok: false,
      error: {
        name: 'SuggestionsError',
        message: `Suggestions of run ${older} stopped: Run ${newer} is newer; its suggestions replace these.`,
      },
    })
    expect(await gone(olderChild)).toBe(true)
    await refreshed
    expect(await ready).toEqual({ datasetId, runId: newer })
    expect(rowsOf(newer)).toBe(730)
    // the older answers are dropped whole, never half-written by the stopped job
    expect(olderRows).toBe(430)
    expect(rowsOf(older)).toBe(0)
  })

  it('closing the service ends a running job, plainly', async () => {
    await addPictures(300)
    const run = (await service['runs.list'](datasetId)).at(-1)!.id
    const started = progressOf(run)
    const listed = dispatch(service, 'suggestions.list', [datasetId])
    await started
    const child = children.at(-1)!
    service.close()
    const answer = await listed
    expect(answer.ok ? '' : answer.error.message).toBe(
      `Suggestions of run ${run} stopped: Cohort is closing.`,
    )
    expect(await gone(child)).toBe(true)
  })
})
