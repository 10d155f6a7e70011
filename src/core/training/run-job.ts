/**
 * One training run from start (or its last checkpoint) to its end, as the trainer process does it:
 * settings → tensors → network group → the collaborative loop → checkpoints, metrics and status in SQLite →
 * the final model bundle. Every epoch is committed (checkpoint first, then metrics) before anyone is told.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { initBackend, type BackendName } from '../engine/backend'
import { writeModelBundle, type ModelMetadata } from '../engine/model-metadata'
import { NetworkGroup } from '../engine/network-group'
import type { NetworkConfig as EngineNetworkConfig, NetworkWeights } from '../engine/protocol'
import { createNetwork, type NetworkArch } from '../engine/zoo'
import {
  datasetStatistics,
  loadTrainingTensors,
  TrainingDataError,
  type TensorSplit,
} from '../dataset/tensor-cache'
import type { LibraryPaths } from '../paths'
import type { Db } from '../store/db'
import {
  listEpochs,
  recordEpoch,
  recordModel,
  requireRun,
  setRunBackend,
  setRunStatus,
  truncateEpochs,
} from '../store/runs'
import type { EpochMetrics, RunNetwork, RunStatus } from '../../shared/types'
import { readCheckpoint, TRAINER_PID_FILE, writeCheckpoint, type Checkpoint } from './checkpoint'
import { parseTrainingConfig, type TrainingConfig } from './config'
import { trainGroup, TrainingSetupError, type EpochReport, type LabelledImages } from './trainer'

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

/** The folder of a run's checkpoint and final model. */
export function runDirectory(paths: LibraryPaths, runId: number): string {
  return join(paths.runs, String(runId))
}

/** The engine's description of each network of a run: spec (seeded per network) and optimiser. */
export function groupNetworks(config: TrainingConfig, classes: number): EngineNetworkConfig[] {
  const decay = { weightDecay: config.weightDecay, decayAll: config.weightDecayScope === 'all' }
  return config.networks.map((net, i) => ({
    spec: {
      arch: net.arch as NetworkArch,
      inputSize: config.imageSize,
      channels: config.channels,
      classes,
      ...(net.width === undefined ? {} : { width: net.width }),
      // distinct initial weights per network, reproducible from the run's seed
      seed: config.seed * 8 + i + 1,
    },
    optimizer:
      config.optimiser === 'sgd'
        ? {
            kind: 'sgd',
            lr: config.lr,
            momentum: config.momentum,
            nesterov: config.nesterov,
            ...decay,
          }
        : { kind: 'adam', lr: config.lr, ...decay },
  }))
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

/** Runs (or resumes) run `runId` to its end and records its final status; never throws for training errors. */
export async function runTrainingJob(
  ctx: RunJobContext,
  runId: number,
  hooks: RunJobHooks = {},
): Promise<RunJobResult> {
  const { db } = ctx
  const finish = (status: RunStatus, text: string | null): RunJobResult => {
    setRunStatus(db, runId, status, text)
    return { status, message: text }
  }
  let group: NetworkGroup | undefined
  try {
    const run = requireRun(db, runId)
    const config = parseTrainingConfig(run.config)
    const runDir = runDirectory(ctx.paths, runId)
    await mkdir(runDir, { recursive: true })
    await writeFile(join(runDir, TRAINER_PID_FILE), String(process.pid))
    setRunStatus(db, runId, 'running')
    const checkpoint = await readCheckpoint(runDir)
    if (checkpoint && checkpoint.networks.length !== config.networks.length) {
      throw new TrainingSetupError(`the checkpoint in ${runDir} belongs to a different group of networks`)
    }

    // decoding a large dataset the first time takes a while: report it as epoch 0, and let cancel stop it
    const loading = new AbortController()
    const poll = setInterval(() => {
      if (hooks.shouldStop?.()) loading.abort()
    }, 200)
    const tensors = await loadTrainingTensors(
      { db, cacheDir: ctx.paths.cache },
      {
        datasetId: run.datasetId,
        imageSize: config.imageSize,
        channels: config.channels,
        signal: loading.signal,
        onProgress: (p) => hooks.onProgress?.({ epoch: 0, step: p.done, steps: p.total }),
      },
    ).finally(() => clearInterval(poll))
    const classNames = run.classNames
    const data = {
      classNames,
      imageSize: config.imageSize,
      channels: config.channels,
      train: remap(tensors.train, tensors.classNames, classNames),
      validation: remap(tensors.validation, tensors.classNames, classNames),
    }
    if (data.train.labels.length === 0) {
      throw new TrainingSetupError('the dataset has no labelled training images; split it first')
    }
    const normalisation =
      checkpoint?.normalisation ?? datasetStatistics(tensors.train.pixels, config.channels)

    const backend = await initBackend(hooks.backend)
    setRunBackend(db, runId, backend.name)
    hooks.onStarted?.(backend.name)
    // one network per worker thread uses every core when the backend itself computes on one
    const parallel = hooks.parallel ?? (availableParallelism() > 1 && backend.name !== 'tensorflow')
    const networks = groupNetworks(config, classNames.length)
    group = new NetworkGroup(networks, { parallel, backend: backend.name })
    await group.ready()

    if (checkpoint) {
      await group.setWeights(checkpoint.networks.map((n) => n.weights))
      await group.setOptimizerStates(checkpoint.networks.map((n) => n.optimizer))
      truncateEpochs(db, runId, checkpoint.epoch)
      // killed between the checkpoint and its metrics: the checkpoint carries them
      if (!listEpochs(db, runId).some((e) => e.epoch === checkpoint.epoch)) {
        recordEpoch(db, runId, checkpoint.metrics)
      }
    } else {
      truncateEpochs(db, runId, 0)
    }

    const stop: { reason: false | 'cancelled' | 'interrupted' } = { reason: false }
    const active = group
    const result = await trainGroup({
      config,
      data,
      group: active,
      normalisation,
      resumeFrom: checkpoint?.trainer,
      shouldStop: () => (stop.reason = hooks.shouldStop?.() ?? false) !== false,
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
      onEpoch: async (report: EpochReport) => {
        const [weights, optimizers] = await Promise.all([active.getWeights(), active.getOptimizerStates()])
        const saved: Checkpoint = {
          runId,
          epoch: report.metrics.epoch,
          trainer: report.state,
          normalisation,
          classNames,
          metrics: report.metrics,
          networks: config.networks.map((n, i) => ({
            arch: n.arch,
            weights: weights[i]!,
            optimizer: optimizers[i]!,
          })),
        }
        const dir = await writeCheckpoint(runDir, saved)
        db.transaction(() => {
          recordModel(db, { runId, networkIndex: null, kind: 'checkpoint', path: dir, epoch: saved.epoch })
          recordEpoch(db, runId, report.metrics)
        })()
        hooks.onEpoch?.(report.metrics)
      },
    })

    if (result.status === 'cancelled') {
      const reason = stop.reason === 'interrupted' ? 'interrupted' : 'cancelled'
      const when = result.epochs > 0 ? `after epoch ${result.epochs}` : 'before the first epoch ended'
      const verb = reason === 'interrupted' ? 'The app closed' : 'Cancelled'
      return finish(reason, `${verb} ${when}; resume to continue.`)
    }
    const last = result.last ?? (checkpoint ? { metrics: checkpoint.metrics } : null)
    if (!last) throw new TrainingSetupError('the run ended without a single epoch')
    const weights = await active.getWeights()
    const finalDir = join(runDir, 'final')
    await saveFinalBundle(finalDir, networks, weights, {
      runId,
      described: run.networks,
      classNames,
      config,
      normalisation,
      metrics: last.metrics,
    })
    db.transaction(() => {
      networks.forEach((_, i) =>
        recordModel(db, {
          runId,
          networkIndex: i,
          kind: 'final',
          path: finalDir,
          epoch: last.metrics.epoch,
        }),
      )
    })()
    return finish('completed', null)
  } catch (error) {
    if (error instanceof TrainingDataError && error.code === 'cancelled') {
      return finish('cancelled', 'Cancelled while preparing the images; resume to continue.')
    }
    return finish('failed', message(error))
  } finally {
    await group?.dispose()
    await rm(join(runDirectory(ctx.paths, runId), TRAINER_PID_FILE), { force: true })
  }
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
      createdAt: new Date().toISOString(),
    }
    await writeModelBundle(dir, { models, metadata })
  } finally {
    for (const m of models) m.dispose()
  }
}
