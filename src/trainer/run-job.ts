/**
 * One training run from start (or its last checkpoint) to its end, as the trainer process does it, in named
 * steps: claim the run → the checkpoint it wrote itself → decoded tensors → network group → resume repair →
 * the collaborative loop, committing each epoch durably (`commitEpoch`) → the final model bundle → status.
 */
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { initBackend, type BackendName } from '../core/engine/backend'
import {
  disposeModelBundle,
  readModelBundle,
  writeModelBundle,
  type ModelMetadata,
} from '../core/engine/model-metadata'
import { NetworkGroup } from '../core/engine/network-group'
import type { NetworkConfig as EngineNetworkConfig, NetworkWeights } from '../core/engine/protocol'
import { createNetwork } from '../core/engine/zoo'
import {
  datasetStatistics,
  loadTrainingTensors,
  TrainingDataError,
  type TensorSplit,
} from '../core/dataset/tensor-cache'
import type { LibraryPaths } from '../core/paths'
import type { Db } from '../core/store/db'
import {
  listEpochs,
  recordEpoch,
  recordKeptMetrics,
  recordModel,
  requireRun,
  runUid,
  setRunBackend,
  setRunStatus,
  truncateEpochs,
} from '../core/store/runs'
import type { EpochMetrics, RunNetwork, RunStatus, RunSummary } from '../shared/types'
import type { Normalisation } from '../core/training/augment'
import { readCheckpoint, writeCheckpoint, type Checkpoint } from '../core/training/checkpoint'
import { groupNetworks, parseTrainingConfig, type TrainingConfig } from '../core/training/config'
import { removeTrainerPid, runDirectory, writeTrainerPid } from '../core/training/run-folder'
import { carryWeights } from '../core/training/warm-start'
import {
  trainGroup,
  TrainingSetupError,
  type EpochReport,
  type LabelledImages,
  type TrainingData,
  type TrainResult,
} from '../core/training/trainer'

export interface RunJobContext {
  db: Db
  paths: LibraryPaths
}

export interface RunJobHooks {
  /** asked between steps: a reason to stop, or false to go on */
  shouldStop?: () => false | 'cancelled' | 'interrupted'
  onStarted?: (backend: BackendName) => void
  onProgress?: (p: { epoch: number; step: number; steps: number }) => void
  onEpoch?: (metrics: EpochMetrics) => void
  /** force in-process or worker networks (default: workers when there are cores and wasm/cpu) */
  parallel?: boolean
  backend?: BackendName
}

export interface RunJobResult {
  status: RunStatus
  message: string | null
}

/** Maps a split's class indices from the tensor cache's class list onto the run's frozen one. */
function remap(split: TensorSplit, from: string[], to: string[]): LabelledImages {
  const index = from.map((name) => to.indexOf(name))
  const unknown = from.filter((_, i) => index[i] === -1 && split.labels.includes(i))
  if (unknown.length > 0) {
    throw new TrainingSetupError(
      `the dataset gained labels since this run started (${unknown.join(', ')}); start a new run to train on them`,
    )
  }
  return { pixels: split.pixels, labels: split.labels.map((y) => index[y]!) }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A run as this trainer holds it: its row, settings, identity and folder. */
export interface ClaimedRun {
  runId: number
  /** the identity its checkpoints carry (null for runs made before identities) */
  uid: string | null
  run: RunSummary
  config: TrainingConfig
  runDir: string
}

/** Step 1: the run is this process's: its folder, the trainer's pid record, status 'running'. */
export function claimRun(ctx: RunJobContext, runId: number): ClaimedRun {
  const run = requireRun(ctx.db, runId)
  const config = parseTrainingConfig(run.config)
  const runDir = runDirectory(ctx.paths, runId)
  writeTrainerPid(runDir, process.pid)
  setRunStatus(ctx.db, runId, 'running')
  return { runId, uid: runUid(ctx.db, runId), run, config, runDir }
}

/**
 * Step 2: the checkpoint to continue from, only if this very run wrote it (same id and identity) for the
 * same group of networks. Anything else in its folder (a deleted run's, another library's) is refused and
 * left as it is, never resumed.
 */
export async function ownCheckpoint(claimed: ClaimedRun): Promise<Checkpoint | null> {
  const checkpoint = await readCheckpoint(claimed.runDir)
  if (!checkpoint) return null
  if (checkpoint.runId !== claimed.runId || (checkpoint.runUid ?? null) !== claimed.uid) {
    throw new TrainingSetupError(
      `the checkpoint in ${claimed.runDir} was not written by this run (it belongs to a deleted run or another ` +
        'library); it was left untouched — start a new run',
    )
  }
  if (checkpoint.networks.length !== claimed.config.networks.length) {
    throw new TrainingSetupError(
      `the checkpoint in ${claimed.runDir} belongs to a different group of networks`,
    )
  }
  return checkpoint
}

/** Step 3: the run's images decoded (epoch-0 progress, since the first time takes a while; cancel stops it). */
export async function loadRunData(
  ctx: RunJobContext,
  claimed: ClaimedRun,
  hooks: RunJobHooks,
): Promise<TrainingData> {
  const { config, run } = claimed
  const loading = new AbortController()
  const poll = setInterval(() => {
    if (hooks.shouldStop?.()) loading.abort()
  }, 200)
  const tensors = await loadTrainingTensors(
    { db: ctx.db, cacheDir: ctx.paths.cache },
    {
      datasetId: run.datasetId,
      imageSize: config.imageSize,
      channels: config.channels,
      signal: loading.signal,
      onProgress: (p) => hooks.onProgress?.({ epoch: 0, step: p.done, steps: p.total }),
    },
  ).finally(() => clearInterval(poll))
  const data: TrainingData = {
    classNames: run.classNames,
    imageSize: config.imageSize,
    channels: config.channels,
    train: remap(tensors.train, tensors.classNames, run.classNames),
    validation: remap(tensors.validation, tensors.classNames, run.classNames),
  }
  if (data.train.labels.length === 0) {
    throw new TrainingSetupError('the dataset has no labelled training images; split it first')
  }
  return data
}

/** Step 4: the backend, then the group of networks ready on it. */
export async function startGroup(
  ctx: RunJobContext,
  claimed: ClaimedRun,
  classes: number,
  hooks: RunJobHooks,
): Promise<{ group: NetworkGroup; networks: EngineNetworkConfig[] }> {
  const backend = await initBackend(hooks.backend)
  setRunBackend(ctx.db, claimed.runId, backend.name)
  hooks.onStarted?.(backend.name)
  // one network per worker thread uses every core when the backend itself computes on one
  const parallel = hooks.parallel ?? (availableParallelism() > 1 && backend.name !== 'tensorflow')
  const networks = groupNetworks(claimed.config, classes)
  const group = new NetworkGroup(networks, { parallel, backend: backend.name })
  await group.ready()
  return { group, networks }
}

/**
 * Step 5: the group and the epoch rows brought back to the checkpoint: its weights and optimiser state
 * restored, later epochs dropped, and its own epoch recorded if the trainer died between the two.
 */
export async function restoreCheckpoint(
  db: Db,
  runId: number,
  group: NetworkGroup,
  checkpoint: Checkpoint | null,
): Promise<void> {
  if (!checkpoint) return truncateEpochs(db, runId, 0)
  await group.setWeights(checkpoint.networks.map((n) => n.weights))
  await group.setOptimizerStates(checkpoint.networks.map((n) => n.optimizer))
  truncateEpochs(db, runId, checkpoint.epoch)
  if (!listEpochs(db, runId).some((e) => e.epoch === checkpoint.epoch)) {
    recordEpoch(db, runId, checkpoint.metrics)
  }
}

/**
 * Step 5b, a new run started from an earlier one (`fromRun`): every network takes that run's kept weights (its
 * final model), the output layer matched by label name; the optimiser starts fresh. Returns the earlier run's
 * normalisation, which its weights were trained under. A resumed run has its own checkpoint and skips this.
 */
export async function warmStart(
  ctx: RunJobContext,
  claimed: ClaimedRun,
  group: NetworkGroup,
): Promise<Normalisation | null> {
  const fromRun = claimed.config.fromRun
  if (fromRun === undefined) return null
  const bundle = await readModelBundle(join(runDirectory(ctx.paths, fromRun), 'final')).catch(
    (error: unknown) => {
      throw new TrainingSetupError(`cannot start from run ${fromRun}: ${message(error)}`)
    },
  )
  try {
    if (bundle.models.length !== claimed.config.networks.length) {
      throw new TrainingSetupError(
        `run ${fromRun} has ${bundle.models.length} networks and this run ${claimed.config.networks.length}`,
      )
    }
    const fresh = await group.getWeights()
    const carried = bundle.models.map((model, i) => {
      const earlier = {
        names: model.weights.map((w) => w.originalName),
        shapes: model.weights.map((w) => w.shape.map((d) => d ?? 0)),
        values: model.getWeights().map((t) => t.dataSync() as Float32Array),
      }
      return carryWeights(fresh[i]!, earlier, bundle.metadata.classNames, claimed.run.classNames)
    })
    await group.setWeights(carried)
    return bundle.metadata.normalisation
  } finally {
    disposeModelBundle(bundle)
  }
}

/** The checkpoint of an epoch just trained: the group's weights and optimiser states with the trainer's state. */
export async function epochCheckpoint(
  claimed: ClaimedRun,
  group: NetworkGroup,
  report: EpochReport,
  normalisation: Normalisation,
): Promise<Checkpoint> {
  const [weights, optimizers] = await Promise.all([group.getWeights(), group.getOptimizerStates()])
  return {
    runId: claimed.runId,
    ...(claimed.uid === null ? {} : { runUid: claimed.uid }),
    epoch: report.metrics.epoch,
    trainer: report.state,
    normalisation,
    classNames: claimed.run.classNames,
    metrics: report.metrics,
    networks: claimed.config.networks.map((n, i) => ({
      arch: n.arch,
      weights: weights[i]!,
      optimizer: optimizers[i]!,
      best: report.bestWeights[i] ?? undefined,
    })),
  }
}

/**
 * Step 6, the durability order of an epoch: the checkpoint written to a temporary folder and renamed,
 * then the epoch row and the checkpoint row in one transaction, then the message to the app. A kill at
 * any point loses at most this epoch, and nobody is told of an epoch that is not on disk.
 */
export async function commitEpoch(
  db: Db,
  runDir: string,
  checkpoint: Checkpoint,
  tell?: (metrics: EpochMetrics) => void,
): Promise<void> {
  const dir = await writeCheckpoint(runDir, checkpoint)
  db.transaction(() => {
    recordModel(db, {
      runId: checkpoint.runId,
      networkIndex: null,
      kind: 'checkpoint',
      path: dir,
      epoch: checkpoint.epoch,
    })
    recordEpoch(db, checkpoint.runId, checkpoint.metrics)
  })()
  tell?.(checkpoint.metrics)
}

/** The last epoch's metrics with the kept weights' validation figures (each network's best epoch). */
export function keptMetrics(last: EpochMetrics, result: TrainResult): EpochMetrics {
  const kept = result.kept
  if (!kept) return last
  return {
    ...last,
    networks: last.networks.map((n, i) => ({
      ...n,
      valAcc: kept.validation.networks[i]!.valAcc,
      valLoss: kept.validation.networks[i]!.valLoss,
    })),
    ensemble: kept.validation.ensemble,
    best: kept.best,
  }
}

/** Step 7: the trained group written as `<runDir>/final` and recorded as the run's models. */
async function saveFinalModel(
  db: Db,
  claimed: ClaimedRun,
  group: NetworkGroup,
  networks: EngineNetworkConfig[],
  normalisation: Normalisation,
  metrics: EpochMetrics,
): Promise<void> {
  const finalDir = join(claimed.runDir, 'final')
  await saveFinalBundle(finalDir, networks, await group.getWeights(), {
    runId: claimed.runId,
    described: claimed.run.networks,
    classNames: claimed.run.classNames,
    config: claimed.config,
    normalisation,
    metrics,
  })
  db.transaction(() => {
    recordKeptMetrics(db, claimed.runId, metrics)
    networks.forEach((_, i) =>
      recordModel(db, {
        runId: claimed.runId,
        networkIndex: i,
        kind: 'final',
        path: finalDir,
        epoch: metrics.epoch,
      }),
    )
  })()
}

/** Step 8a: how a run that stopped before its last epoch ended, in the user's words. */
export function stoppedOutcome(
  result: TrainResult,
  reason: false | 'cancelled' | 'interrupted',
): RunJobResult {
  const status = reason === 'interrupted' ? 'interrupted' : 'cancelled'
  const when = result.epochs > 0 ? `after epoch ${result.epochs}` : 'before the first epoch ended'
  const verb = status === 'interrupted' ? 'The app closed' : 'Cancelled'
  return { status, message: `${verb} ${when}; resume to continue.` }
}

/** Step 8b: how a run that threw ended. */
export function failedOutcome(error: unknown): RunJobResult {
  if (error instanceof TrainingDataError && error.code === 'cancelled') {
    return { status: 'cancelled', message: 'Cancelled while preparing the images; resume to continue.' }
  }
  return { status: 'failed', message: message(error) }
}

/** Runs (or resumes) run `runId` to its end and records its final status; never throws for training errors. */
export async function runTrainingJob(
  ctx: RunJobContext,
  runId: number,
  hooks: RunJobHooks = {},
): Promise<RunJobResult> {
  let group: NetworkGroup | undefined
  const finish = (outcome: RunJobResult): RunJobResult => {
    setRunStatus(ctx.db, runId, outcome.status, outcome.message)
    return outcome
  }
  try {
    return finish(await train(ctx, claimRun(ctx, runId), hooks, (g) => (group = g)))
  } catch (error) {
    return finish(failedOutcome(error))
  } finally {
    await group?.dispose()
    removeTrainerPid(runDirectory(ctx.paths, runId))
  }
}

/** Steps 2 to 8a for a claimed run; throws for anything that ends it as failed. */
async function train(
  ctx: RunJobContext,
  claimed: ClaimedRun,
  hooks: RunJobHooks,
  holdGroup: (group: NetworkGroup) => void,
): Promise<RunJobResult> {
  const checkpoint = await ownCheckpoint(claimed)
  const data = await loadRunData(ctx, claimed, hooks)
  const { group, networks } = await startGroup(ctx, claimed, data.classNames.length, hooks)
  holdGroup(group)
  await restoreCheckpoint(ctx.db, claimed.runId, group, checkpoint)
  const warm = checkpoint ? null : await warmStart(ctx, claimed, group)
  const normalisation =
    checkpoint?.normalisation ?? warm ?? datasetStatistics(data.train.pixels, claimed.config.channels)

  const stop: { reason: false | 'cancelled' | 'interrupted' } = { reason: false }
  const result = await trainGroup({
    config: claimed.config,
    data,
    group,
    normalisation,
    resumeFrom: checkpoint?.trainer,
    resumeBestWeights: checkpoint?.networks.map((n) => n.best ?? null),
    shouldStop: () => (stop.reason = hooks.shouldStop?.() ?? false) !== false,
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    onEpoch: async (report) =>
      commitEpoch(
        ctx.db,
        claimed.runDir,
        await epochCheckpoint(claimed, group, report, normalisation),
        hooks.onEpoch,
      ),
  })
  if (result.status === 'cancelled') return stoppedOutcome(result, stop.reason)

  const last = result.last?.metrics ?? checkpoint?.metrics
  if (!last) throw new TrainingSetupError('the run ended without a single epoch')
  // the group now holds each network's best validated epoch: the model records what those weights measure
  await saveFinalModel(ctx.db, claimed, group, networks, normalisation, keptMetrics(last, result))
  const early =
    result.stoppedEarly === true || checkpoint?.trainer.stoppedEarly === true
      ? `Stopped early after epoch ${result.epochs} of ${claimed.config.epochs}: no network improved on the validation pictures for ${claimed.config.patience ?? '?'} epochs.`
      : null
  return { status: 'completed', message: early }
}

/** Writes the trained group as a model bundle (recognition and export read it). */
async function saveFinalBundle(
  dir: string,
  networks: EngineNetworkConfig[],
  weights: NetworkWeights[],
  run: {
    runId: number
    described: RunNetwork[]
    classNames: string[]
    config: TrainingConfig
    normalisation: { mean: number[]; std: number[] }
    metrics: EpochMetrics
  },
): Promise<void> {
  const models = networks.map((n, i) => {
    const model = createNetwork(n.spec)
    const tensors = weights[i]!.values.map((v, k) => tf.tensor(v, weights[i]!.shapes[k]))
    model.setWeights(tensors)
    tf.dispose(tensors)
    return model
  })
  try {
    const metadata: ModelMetadata = {
      format: 'cohort-model',
      version: 1,
      classNames: run.classNames,
      imageSize: run.config.imageSize,
      channels: run.config.channels,
      normalisation: run.normalisation,
      networks: networks.map((n, i) => ({
        index: i,
        arch: n.spec.arch,
        params: models[i]!.countParams(),
        flops: run.described.find((d) => d.index === i)?.flops ?? 0,
        valAcc: run.metrics.networks[i]?.valAcc ?? null,
        dir: `network-${i}`,
      })),
      ensemble: { weights: run.metrics.ensemble.weights, valAcc: run.metrics.ensemble.valAcc },
      runId: run.runId,
      ...(run.config.fromRun === undefined ? {} : { fromRun: run.config.fromRun }),
      createdAt: new Date().toISOString(),
    }
    await writeModelBundle(dir, { models, metadata })
  } finally {
    for (const m of models) m.dispose()
  }
}
