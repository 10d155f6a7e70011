import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { libraryPaths, type LibraryPaths } from '../../../src/core/paths'
import { createDataset } from '../../../src/core/store/datasets'
import { openDatabase, type Db } from '../../../src/core/store/db'
import { createRun, listEpochs, requireRun } from '../../../src/core/store/runs'
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../../../src/core/training/checkpoint'
import { parseTrainingConfig } from '../../../src/core/training/config'
import { trainerAlive } from '../../../src/core/training/run-folder'
import {
  claimRun,
  commitEpoch,
  failedOutcome,
  ownCheckpoint,
  stoppedOutcome,
  type ClaimedRun,
} from '../../../src/trainer/run-job'
import { initialTrainerState, TrainingSetupError } from '../../../src/core/training/trainer'
import type { EpochMetrics } from '../../../src/shared/types'
import { tempDir } from '../../helpers/temp'

let home: { path: string; cleanup: () => void }
let paths: LibraryPaths
let db: Db
let runId: number

beforeEach(() => {
  home = tempDir('cohort-run-job-')
  paths = libraryPaths(home.path)
  db = openDatabase(paths.db)
  const dataset = createDataset(db, 'pets').id
  const config = parseTrainingConfig({ dataset })
  runId = createRun(db, { datasetId: dataset, config: { ...config }, classNames: ['a', 'b'], networks: [] })
})
afterEach(() => {
  db.close()
  home.cleanup()
})

function checkpointOf(claimed: ClaimedRun, epoch: number, runUid = claimed.uid): Checkpoint {
  const metrics = {
    epoch,
    networks: [],
    teacher: null,
    ensemble: { valAcc: 0.5, weights: [] },
    lr: 0.1,
    seconds: 1,
  } as unknown as EpochMetrics
  return {
    runId: claimed.runId,
    ...(runUid === null ? {} : { runUid }),
    epoch,
    trainer: { ...initialTrainerState(claimed.config), epoch },
    normalisation: { mean: [0.5], std: [0.2] },
    classNames: ['a', 'b'],
    metrics,
    networks: claimed.config.networks.map((n) => ({
      arch: n.arch,
      weights: { names: ['k'], shapes: [[2]], values: [Float32Array.of(1, epoch)] },
      optimizer: { names: [], shapes: [], dtypes: [], values: [] },
    })),
  }
}

describe('a run job, step by step', () => {
  it('claims the run: pid record of this process, status running', () => {
    const claimed = claimRun({ db, paths }, runId)
    expect(requireRun(db, runId).status).toBe('running')
    expect(trainerAlive(claimed.runDir)).toBe(true)
    expect(claimed.uid).toMatch(/[0-9a-f-]{36}/)
  })

  it('resumes only a checkpoint the run wrote itself', async () => {
    const claimed = claimRun({ db, paths }, runId)
    expect(await ownCheckpoint(claimed)).toBeNull()
    await writeCheckpoint(claimed.runDir, checkpointOf(claimed, 2))
    expect((await ownCheckpoint(claimed))?.epoch).toBe(2)
    // a deleted run's, or another library's run with the same id
    await writeCheckpoint(claimed.runDir, checkpointOf(claimed, 3, 'someone-else'))
    await expect(ownCheckpoint(claimed)).rejects.toThrow(/was not written by this run/)
    await writeCheckpoint(claimed.runDir, checkpointOf(claimed, 3, null))
    await expect(ownCheckpoint(claimed)).rejects.toThrow(TrainingSetupError)
    // refused, never removed
    expect((await readCheckpoint(claimed.runDir))?.epoch).toBe(3)
  })

  it('commits an epoch durably: checkpoint, then both rows at once, then the message', async () => {
    const claimed = claimRun({ db, paths }, runId)
    const told: number[] = []
    await commitEpoch(db, claimed.runDir, checkpointOf(claimed, 1), (m) => {
      // by the time anyone is told, the epoch is on disk and in SQLite
      expect(listEpochs(db, runId).map((e) => e.epoch)).toEqual([m.epoch])
      expect(existsSync(join(claimed.runDir, 'checkpoint', 'state.json'))).toBe(true)
      told.push(m.epoch)
    })
    expect(told).toEqual([1])
    const models = db.prepare("SELECT epoch FROM models WHERE kind = 'checkpoint' AND run_id = ?").all(runId)
    expect(models).toEqual([{ epoch: 1 }])

    // the rows cannot be written (no such run): the checkpoint stays, no row, nobody told
    const orphan = { ...checkpointOf(claimed, 2), runId: runId + 100 }
    await expect(commitEpoch(db, claimed.runDir, orphan, () => told.push(2))).rejects.toThrow()
    expect(told).toEqual([1])
    expect((await readCheckpoint(claimed.runDir))?.epoch).toBe(2)
    expect(db.prepare('SELECT COUNT(*) AS n FROM models').get()).toEqual({ n: 1 })
  })

  it('says how a run ended in plain words', () => {
    const result = { status: 'cancelled' as const, epochs: 2, last: null }
    expect(stoppedOutcome(result, 'cancelled')).toEqual({
      status: 'cancelled',
      message: 'Cancelled after epoch 2; resume to continue.',
    })
    expect(stoppedOutcome({ ...result, epochs: 0 }, 'interrupted')).toEqual({
      status: 'interrupted',
      message: 'The app closed before the first epoch ended; resume to continue.',
    })
    expect(failedOutcome(new Error('boom'))).toEqual({ status: 'failed', message: 'boom' })
  })
})
