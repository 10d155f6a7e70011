import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../../src/core/service'
import { openDatabase } from '../../../../src/core/store/db'
import { createRun, recordEpoch, setRunStatus } from '../../../../src/core/store/runs'
import { runDirectory } from '../../../../src/core/training/run-folder'
import type { EpochMetrics, RunStatus } from '../../../../src/shared/types'
import { LABEL_COLORS } from '../../../../src/shared/label-colours'
import { tempDir } from '../../../helpers/temp'

// Deleting a run takes its row, epochs and folder, refuses one still training, and never leaves the library.
describe('runs.remove on a real library', () => {
  const dir = tempDir()
  let service: CohortService
  let datasetId: number

  /** a run in `status` with one recorded epoch and a folder holding a file, made as the trainer would */
  function makeRun(status: RunStatus): number {
    const db = openDatabase(service.paths.db)
    try {
      const id = createRun(db, {
        datasetId,
        config: {},
        classNames: ['a', 'b'],
        networks: [{ index: 0, arch: 'cnn', params: 1, flops: 1 }],
      })
      recordEpoch(db, id, { epoch: 1 } as unknown as EpochMetrics)
      setRunStatus(db, id, status)
      mkdirSync(join(runDirectory(service.paths, id), 'final'), { recursive: true })
      writeFileSync(join(runDirectory(service.paths, id), 'final', 'model.json'), '{}')
      return id
    } finally {
      db.close()
    }
  }
  const epochRows = (runId: number) => {
    const db = openDatabase(service.paths.db)
    try {
      return db.prepare('SELECT COUNT(*) AS n FROM epochs WHERE run_id = ?').get(runId)
    } finally {
      db.close()
    }
  }

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    datasetId = (await service['datasets.create']('pets')).id
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  it('deletes a finished run’s row, epochs and folder, and only that run’s', async () => {
    const gone = makeRun('completed')
    const kept = makeRun('failed')
    await service['runs.remove'](gone)
    expect((await service['runs.list'](datasetId)).map((r) => r.id)).toEqual([kept])
    expect(epochRows(gone)).toEqual({ n: 0 })
    expect(existsSync(runDirectory(service.paths, gone))).toBe(false)
    expect(existsSync(join(runDirectory(service.paths, kept), 'final', 'model.json'))).toBe(true)
    await expect(service['runs.get'](gone)).rejects.toThrow(`No run with id ${gone}`)
  })

  it('refuses a run that is training, saying to cancel it first, and keeps everything', async () => {
    const training = makeRun('running')
    await expect(service['runs.remove'](training)).rejects.toThrow(
      `Run ${training} is training; cancel it before deleting it.`,
    )
    expect((await service['runs.get'](training)).status).toBe('running')
    expect(existsSync(join(runDirectory(service.paths, training), 'final', 'model.json'))).toBe(true)
  })

  it('removes a run folder that is a link as a link, leaving what it points at', async () => {
    const linked = makeRun('cancelled')
    const outside = join(dir.path, 'outside')
    mkdirSync(outside)
    writeFileSync(join(outside, 'precious.txt'), 'keep me')
    const folder = runDirectory(service.paths, linked)
    const { rmSync } = await import('node:fs')
    rmSync(folder, { recursive: true })
    symlinkSync(outside, folder)
    await service['runs.remove'](linked)
    expect(existsSync(folder)).toBe(false)
    expect(readFileSync(join(outside, 'precious.txt'), 'utf8')).toBe('keep me')
  })

  it('says plainly when the run does not exist', async () => {
    await expect(service['runs.remove'](9999)).rejects.toThrow('No run with id 9999')
  })
})

describe('labels.setColour on a real library', () => {
  const dir = tempDir()
  let service: CohortService

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  it('keeps a chosen palette colour, goes back to the default with null, refuses other colours', async () => {
    const { id } = await service['datasets.create']('pets')
    const cat = await service['labels.create'](id, 'cat')
    expect(cat.colour).toBeNull()
    await service['labels.setColour'](cat.id, LABEL_COLORS[5])
    const label = async () => (await service['datasets.list']())[0]!.labels[0]!
    expect((await label()).colour).toBe(LABEL_COLORS[5])
    await expect(service['labels.setColour'](cat.id, '#ffff00')).rejects.toThrow(/A label colour is one of/)
    expect((await label()).colour).toBe(LABEL_COLORS[5])
    await service['labels.setColour'](cat.id, null)
    expect((await label()).colour).toBeNull()
  })
})
