/**
 * A run's checkpoint: everything needed to continue after the last completed epoch — every network's
 * weights and optimiser state, the trainer's random streams and teacher weights, the normalisation, and the
 * metrics of that epoch (so an epoch checkpointed but not yet recorded in SQLite is not lost).
 *
 * Layout: `<runDir>/checkpoint/{state.json, tensors.bin}`. It is written complete into a temporary folder
 * and swapped in with renames, so a kill at any moment leaves either the old or the new checkpoint whole
 * (`checkpoint.old` covers the instant between the two renames).
 */
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { NetworkWeights, OptimizerState } from '../engine/protocol'
import type { EpochMetrics } from '../../shared/types'
import type { Normalisation } from './augment'
import type { TrainerState } from './trainer'

export const CHECKPOINT_DIR = 'checkpoint'
/** In the run folder while a process trains the run: its pid, so others can tell a live run from a dead one. */
export const TRAINER_PID_FILE = 'trainer.pid'
const STATE_FILE = 'state.json'
const TENSORS_FILE = 'tensors.bin'
const VERSION = 1

export interface CheckpointNetwork {
  arch: string
  weights: NetworkWeights
  optimizer: OptimizerState
  /** the weights of its best validated epoch so far (trainer.best says which); absent in older checkpoints */
  best?: NetworkWeights | undefined
}

export interface Checkpoint {
  runId: number
  /** the identity of the run that wrote it (runs.uid); absent in checkpoints of runs made before uids */
  runUid?: string
  /** epochs completed */
  epoch: number
  trainer: TrainerState
  normalisation: Normalisation
  classNames: string[]
  metrics: EpochMetrics
  networks: CheckpointNetwork[]
}

export class CheckpointError extends Error {
  override name = 'CheckpointError'
}

/** Where a tensor's floats sit in tensors.bin. */
interface TensorEntry {
  name: string
  shape: number[]
  dtype?: 'float32' | 'int32'
  offset: number
  length: number
}

interface StateFile extends Omit<Checkpoint, 'networks'> {
  version: number
  networks: { arch: string; weights: TensorEntry[]; optimizer: TensorEntry[]; best?: TensorEntry[] }[]
  bytes: number
}

function describe(
  names: string[],
  shapes: number[][],
  values: Float32Array[],
  chunks: Float32Array[],
  cursor: { floats: number },
  dtypes?: ('float32' | 'int32')[],
): TensorEntry[] {
  return names.map((name, i) => {
    const v = values[i]!
    const entry: TensorEntry = { name, shape: shapes[i]!, offset: cursor.floats, length: v.length }
    if (dtypes) entry.dtype = dtypes[i]!
    chunks.push(v)
    cursor.floats += v.length
    return entry
  })
}

async function writeDurably(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(file, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/** Writes the checkpoint atomically under `<runDir>/checkpoint/`; returns that folder. */
export async function writeCheckpoint(runDir: string, checkpoint: Checkpoint): Promise<string> {
  const chunks: Float32Array[] = []
  const cursor = { floats: 0 }
  const networks = checkpoint.networks.map((n) => ({
    arch: n.arch,
    weights: describe(n.weights.names, n.weights.shapes, n.weights.values, chunks, cursor),
    optimizer: describe(
      n.optimizer.names,
      n.optimizer.shapes,
      n.optimizer.values,
      chunks,
      cursor,
      n.optimizer.dtypes,
    ),
    ...(n.best ? { best: describe(n.best.names, n.best.shapes, n.best.values, chunks, cursor) } : {}),
  }))
  const body = new Float32Array(cursor.floats)
  let at = 0
  for (const c of chunks) {
    body.set(c, at)
    at += c.length
  }
  const state: StateFile = { ...checkpoint, version: VERSION, networks, bytes: body.byteLength }

  const final = join(runDir, CHECKPOINT_DIR)
  const temp = join(runDir, `${CHECKPOINT_DIR}.tmp`)
  const old = join(runDir, `${CHECKPOINT_DIR}.old`)
  await rm(temp, { recursive: true, force: true })
  await mkdir(temp, { recursive: true })
  await writeDurably(join(temp, TENSORS_FILE), new Uint8Array(body.buffer))
  await writeDurably(join(temp, STATE_FILE), JSON.stringify(state))
  await rm(old, { recursive: true, force: true })
  if (await exists(final)) await rename(final, old)
  await rename(temp, final)
  await rm(old, { recursive: true, force: true })
  return final
}

function slice(body: Float32Array, e: TensorEntry, file: string): Float32Array {
  if (e.offset < 0 || e.offset + e.length > body.length) {
    throw new CheckpointError(`${file} is damaged: tensor ${e.name} lies outside the tensor file`)
  }
  return body.slice(e.offset, e.offset + e.length)
}

async function readFrom(dir: string): Promise<Checkpoint> {
  const file = join(dir, STATE_FILE)
  let state: StateFile
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as StateFile
  } catch (err) {
    throw new CheckpointError(`The checkpoint ${file} cannot be read: ${(err as Error).message}`)
  }
  if (state.version !== VERSION) {
    throw new CheckpointError(`The checkpoint ${file} has format version ${state.version}, not ${VERSION}`)
  }
  const bytes = await readFile(join(dir, TENSORS_FILE))
  if (bytes.length !== state.bytes) {
    throw new CheckpointError(
      `The checkpoint in ${dir} is damaged: its tensors are ${bytes.length} bytes, not ${state.bytes}`,
    )
  }
  const body = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length))
  const { version: _version, bytes: _bytes, networks, ...rest } = state
  return {
    ...rest,
    networks: networks.map((n) => ({
      arch: n.arch,
      weights: {
        names: n.weights.map((e) => e.name),
        shapes: n.weights.map((e) => e.shape),
        values: n.weights.map((e) => slice(body, e, file)),
      },
      optimizer: {
        names: n.optimizer.map((e) => e.name),
        shapes: n.optimizer.map((e) => e.shape),
        dtypes: n.optimizer.map((e) => e.dtype ?? 'float32'),
        values: n.optimizer.map((e) => slice(body, e, file)),
      },
      ...(n.best
        ? {
            best: {
              names: n.best.map((e) => e.name),
              shapes: n.best.map((e) => e.shape),
              values: n.best.map((e) => slice(body, e, file)),
            },
          }
        : {}),
    })),
  }
}

/** The run's last checkpoint, or null when it has none (it never finished an epoch). */
export async function readCheckpoint(runDir: string): Promise<Checkpoint | null> {
  for (const name of [CHECKPOINT_DIR, `${CHECKPOINT_DIR}.old`]) {
    const dir = join(runDir, name)
    if (await exists(join(dir, STATE_FILE))) return readFrom(dir)
  }
  return null
}
