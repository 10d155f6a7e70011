import { renameSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CheckpointError,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from '../../../../src/core/training/checkpoint'
import { parseTrainingConfig } from '../../../../src/core/training/config'
import { initialTrainerState } from '../../../../src/core/training/trainer'
import { tempDir } from '../../../helpers/temp'

const dirs: { cleanup: () => void }[] = []
function runDir(): string {
  const d = tempDir('cohort-checkpoint-')
  dirs.push(d)
  return d.path
}
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()))

function checkpoint(epoch: number): Checkpoint {
  const config = parseTrainingConfig({ dataset: 1 })
  return {
    runId: 7,
    epoch,
    trainer: { ...initialTrainerState(config), epoch },
    normalisation: { mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.2] },
    classNames: ['a', 'b'],
    metrics: {
      epoch,
      networks: [],
      teacher: null,
      ensemble: { valAcc: 0.5, weights: [0.5, 0.5] },
      lr: 0.1,
      seconds: 1,
    },
    networks: [
      {
        arch: 'cnn',
        weights: {
          names: ['k', 'b'],
          shapes: [[2, 2], [2]],
          values: [Float32Array.of(1, 2, 3, epoch), Float32Array.of(-1, 0.5)],
        },
        optimizer: {
          names: ['iter'],
          shapes: [[]],
          dtypes: ['int32'],
          values: [Float32Array.of(epoch * 10)],
        },
      },
    ],
  }
}

describe('checkpoints', () => {
  it('round-trips every tensor and the trainer state; a new one replaces the old', async () => {
    const dir = runDir()
    expect(await readCheckpoint(dir)).toBeNull()
    await writeCheckpoint(dir, checkpoint(1))
    await writeCheckpoint(dir, checkpoint(2))
    expect(await readCheckpoint(dir)).toEqual(checkpoint(2))
  })

  it('falls back to the previous checkpoint when killed between the two renames', async () => {
    const dir = runDir()
    await writeCheckpoint(dir, checkpoint(3))
    renameSync(join(dir, 'checkpoint'), join(dir, 'checkpoint.old'))
    expect((await readCheckpoint(dir))?.epoch).toBe(3)
  })

  it('refuses a damaged tensor file with a clear error', async () => {
    const dir = runDir()
    await writeCheckpoint(dir, checkpoint(1))
    truncateSync(join(dir, 'checkpoint', 'tensors.bin'), 8)
    await expect(readCheckpoint(dir)).rejects.toThrow(CheckpointError)
    await expect(readCheckpoint(dir)).rejects.toThrow(/is damaged: its tensors are 8 bytes/)
  })
})
