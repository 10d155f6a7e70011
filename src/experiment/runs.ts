/**
 * One experiment run and a resumable grid of them. A run is the product's loop (`trainGroup`) on the
 * reference recipe, then one pass over the 10k test set after the last epoch — the test set chooses nothing.
 * Runs are paired by construction: the trainer derives the initial weights (spec seed = seed·8 + i + 1), the
 * batch order (stream 0) and every network's augmentation draws (stream 1 + i) from `config.seed` alone, so
 * two teachers with the same seed start from the same weights and see the same batches and views.
 */
import { appendFile, readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { type BackendInfo, initBackend } from '../core/engine/backend'
import { NetworkGroup } from '../core/engine/network-group'
import {
  AUGMENT_PRESETS,
  augmentPixels,
  type AugmentPolicy,
  type Normalisation,
} from '../core/training/augment'
import { parseTrainingConfig, type TrainingConfig, type WeightDecayScope } from '../core/training/config'
import { Random } from '../core/training/random'
import { groupNetworks } from '../core/training/config'
import type { TeacherName } from '../core/training/teacher-names'
import {
  accuracy,
  trainGroup,
  type LabelledImages,
  type TrainingData,
  type TrainResult,
} from '../core/training/trainer'
import type { EnsembleRule, ValidationRule } from '../core/training/validation-weights'
import type { EpochMetrics } from '../shared/types'
import { loadExperimentData } from './data'
import { recognitionEnsembles, type EnsembleResult } from './ensembles'

/** The reference's input statistics and augmentation (kdcl_ref.py): zero-pad 2, random crop, flip. */
export const REFERENCE_NORMALISATION: Normalisation = { mean: [0.286], std: [0.353] }
export const REFERENCE_AUGMENT: AugmentPolicy = {
  crop: 'zero',
  pad: 2,
  flip: true,
  brightness: 0,
  contrast: 0,
}

/** Augmentation strengths for the search: the reference's, none, and a stronger one (wider shift, colour jitter). */
export const EXPERIMENT_AUGMENTS = {
  reference: REFERENCE_AUGMENT,
  none: AUGMENT_PRESETS.none,
  strong: { crop: 'zero', pad: 4, flip: true, brightness: 0.2, contrast: 0.2 },
} satisfies Record<string, AugmentPolicy>
export type ExperimentAugment = keyof typeof EXPERIMENT_AUGMENTS
export const EXPERIMENT_AUGMENT_NAMES = Object.keys(EXPERIMENT_AUGMENTS) as ExperimentAugment[]

export class ExperimentError extends Error {
  override name = 'ExperimentError'
}

/** What distinguishes one run from another; also its identity in a results file. */
export interface RunSpec {
  teacher: TeacherName
  seed: number
  epochs: number
  /** training images per class; all 55k when absent */
  perClass?: number | undefined
  /** validation images per class (500 in the reference) */
  valPerClass: number
  nets: string[]
  /** width multiplier per network; absent = the zoo's default (1) */
  widths?: number[] | undefined
  tau: number
  T: number
  lambda: number
  validateEvery: number
  /** epochs over which λ ramps up from 0 (absent = none, as in the reference) */
  distillWarmup?: number | undefined
  /** how the validation teacher turns accuracies into weights (absent = softmax with `tau`) */
  validationRule?: ValidationRule | undefined
  /** every network's augmentation (absent = the reference's) */
  augment?: ExperimentAugment | undefined
  /** which parameters weight decay applies to (absent = kernels only, the product's; the reference: all) */
  decay?: WeightDecayScope | undefined
}

export interface NetworkResult {
  arch: string
  width: number
  valAcc: number
  testAcc: number
}

/** One line of a results file. */
export interface RunRecord {
  key: string
  spec: RunSpec
  config: TrainingConfig
  sizes: { train: number; validation: number; test: number }
  backend: string
  epochs: EpochMetrics[]
  final: {
    networks: NetworkResult[]
    /** the run's teacher on the validation split (uses the labels, so not a predictor); null for `none` */
    teacher: EpochMetrics['teacher']
    /** plain logit average, as in the reference */
    ensemble: { valAcc: number; testAcc: number }
    /** the app's recognition ensemble under each weight rule (absent in results recorded before it) */
    ensembles?: Record<EnsembleRule, EnsembleResult>
  }
  seconds: { total: number; training: number; test: number }
  finishedAt: string
}

/** A stable identity: the same spec always gives the same key, whatever order the fields were given in. */
export function runKey(spec: RunSpec): string {
  const widths = spec.nets.map((_, i) => spec.widths?.[i] ?? 1)
  return [
    `teacher=${spec.teacher}`,
    `seed=${spec.seed}`,
    `epochs=${spec.epochs}`,
    `perClass=${spec.perClass ?? 'all'}`,
    `valPerClass=${spec.valPerClass}`,
    `nets=${spec.nets.map((n, i) => `${n}x${widths[i]}`).join('+')}`,
    `tau=${spec.tau}`,
    `T=${spec.T}`,
    `lambda=${spec.lambda}`,
    `validateEvery=${spec.validateEvery}`,
    // named only when used, so the keys of earlier results files stay valid
    ...(spec.distillWarmup ? [`distillWarmup=${spec.distillWarmup}`] : []),
    ...(spec.validationRule && spec.validationRule !== 'softmax' ? [`rule=${spec.validationRule}`] : []),
    ...(spec.augment && spec.augment !== 'reference' ? [`augment=${spec.augment}`] : []),
    ...(spec.decay === 'all' ? ['decay=all'] : []),
  ].join(' ')
}

/** The product's settings for a run: the reference recipe (SGD 0.05 Nesterov, wd 5e-4, cosine to 0, batch 128). */
export function trainingConfigFor(spec: RunSpec): TrainingConfig {
  if (spec.widths && spec.widths.length !== spec.nets.length) {
    throw new ExperimentError(`--widths gives ${spec.widths.length} values for ${spec.nets.length} networks`)
  }
  return parseTrainingConfig({
    dataset: 'fashion-mnist',
    imageSize: 28,
    channels: 1,
    networks: spec.nets.map((arch, i) => ({
      arch,
      augment: EXPERIMENT_AUGMENTS[spec.augment ?? 'reference'],
      ...(spec.widths ? { width: spec.widths[i] } : {}),
    })),
    teacher: spec.teacher,
    teacherOptions: { validationRule: spec.validationRule ?? 'softmax', tau: spec.tau },
    T: spec.T,
    lambda: spec.lambda,
    distillWarmupEpochs: spec.distillWarmup ?? 0,
    epochs: spec.epochs,
    batchSize: 128,
    optimiser: 'sgd',
    momentum: 0.9,
    nesterov: true,
    lr: 0.05,
    schedule: { kind: 'cosine', endFraction: 0 },
    weightDecay: 5e-4,
    weightDecayScope: spec.decay ?? 'kernels',
    seed: spec.seed,
    validateEvery: spec.validateEvery,
  })
}

/** A split's pixels as the networks see them: normalised, not augmented. */
export function normalised(
  split: LabelledImages,
  imageSize: number,
  channels: number,
  normalisation: Normalisation,
): Float32Array {
  return augmentPixels(
    { pixels: split.pixels, shape: [split.labels.length, imageSize, imageSize, channels] },
    AUGMENT_PRESETS.none,
    Random.fromSeed(0),
    normalisation,
  )
}

export interface RunHooks {
  dataDir?: string
  onEpoch?: (metrics: EpochMetrics) => void
  onProgress?: (p: { epoch: number; step: number; steps: number }) => void
  /** run the networks in this process instead of one worker each (tests) */
  inProcess?: boolean
}

/**
 * The group an experiment trains: one worker per network where there is more than one core (tfjs-node runs
 * its own threads, so there in process), on the backend Cohort picks. `cohort bench epoch` times the same group.
 */
export async function experimentGroup(
  config: TrainingConfig,
  classes: number,
  inProcess = false,
): Promise<{ group: NetworkGroup; backend: BackendInfo }> {
  const backend = await initBackend()
  const parallel = !inProcess && availableParallelism() > 1 && backend.name !== 'tensorflow'
  const group = new NetworkGroup(groupNetworks(config, classes), { parallel, backend: backend.name })
  return { group, backend }
}

/** What one trained group measured: on validation with the weights it ended with, and once on the test set. */
export interface TrainedAndTested {
  backend: string
  epochs: EpochMetrics[]
  /** the completed run's result (its `kept`: each network's best validated epoch, restored in the group) */
  result: TrainResult
  networks: NetworkResult[]
  ensembles: Record<EnsembleRule, EnsembleResult>
  seconds: { training: number; test: number }
}

/**
 * Trains a group with the product's loop (`trainGroup`) to its end, then measures the weights the group ends
 * with on the validation split and once on the test set. Shared by every experiment command.
 */
export async function trainAndTest(options: {
  config: TrainingConfig
  data: TrainingData
  test: LabelledImages
  normalisation: Normalisation
  /** the validation softmax temperature of the recognition ensemble's weights */
  tau: number
  hooks: RunHooks
}): Promise<TrainedAndTested> {
  const { config, data, test, normalisation, hooks } = options
  const classes = data.classNames.length
  const { group, backend } = await experimentGroup(config, classes, hooks.inProcess)
  try {
    await group.ready()
    const epochs: EpochMetrics[] = []
    const trainStarted = performance.now()
    const result = await trainGroup({
      config,
      data,
      group,
      normalisation,
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
      onEpoch: async (report) => {
        epochs.push(report.metrics)
        hooks.onEpoch?.(report.metrics)
      },
    })
    const training = (performance.now() - trainStarted) / 1000
    if (result.status !== 'completed' || !result.last)
      throw new ExperimentError('the run stopped before its last epoch')

    const testStarted = performance.now()
    const pixels = (split: LabelledImages) => normalised(split, data.imageSize, data.channels, normalisation)
    const valLogits = await group.predict(pixels(data.validation))
    const testLogits = await group.predict(pixels(test))
    const seconds = { training, test: (performance.now() - testStarted) / 1000 }
    const ensembles = recognitionEnsembles(
      { logits: valLogits, labels: data.validation.labels },
      { logits: testLogits, labels: test.labels },
      classes,
      options.tau,
    )
    const networks = config.networks.map((net, i) => ({
      arch: net.arch,
      width: net.width ?? 1,
      valAcc: accuracy(valLogits[i]!, data.validation.labels, classes),
      testAcc: accuracy(testLogits[i]!, test.labels, classes),
    }))
    return { backend: backend.name, epochs, result, networks, ensembles, seconds }
  } finally {
    await group.dispose()
  }
}

/** Trains one group to its last epoch and measures it once on the test set. */
export async function runExperiment(spec: RunSpec, hooks: RunHooks = {}): Promise<RunRecord> {
  const started = performance.now()
  const config = trainingConfigFor(spec)
  const { data, test } = await loadExperimentData({
    valPerClass: spec.valPerClass,
    perClass: spec.perClass,
    ...(hooks.dataDir ? { dir: hooks.dataDir } : {}),
  })
  const run = await trainAndTest({
    config,
    data,
    test,
    normalisation: REFERENCE_NORMALISATION,
    tau: spec.tau,
    hooks,
  })
  const last = run.result.last!
  return {
    key: runKey(spec),
    spec,
    config,
    sizes: {
      train: data.train.labels.length,
      validation: data.validation.labels.length,
      test: test.labels.length,
    },
    backend: run.backend,
    epochs: run.epochs,
    final: {
      // this command's records keep the last epoch's validation figures (its reports compare last epochs)
      networks: run.networks.map((n, i) => ({ ...n, valAcc: last.metrics.networks[i]!.valAcc })),
      teacher: last.metrics.teacher,
      ensemble: { valAcc: run.ensembles.equal.valAcc, testAcc: run.ensembles.equal.testAcc },
      ensembles: run.ensembles,
    },
    seconds: { total: (performance.now() - started) / 1000, ...run.seconds },
    finishedAt: new Date().toISOString(),
  }
}

/** A text file's contents, or null when it does not exist. */
export async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** The records of a results file (JSON lines); a missing file is an empty one. */
export async function readResults<R = RunRecord>(file: string): Promise<R[]> {
  const text = (await readIfExists(file)) ?? ''
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, n }) => {
      try {
        return JSON.parse(line) as R
      } catch {
        // a run killed mid-write leaves a partial last line: say where, do not guess
        throw new ExperimentError(`${file} line ${n} is not a JSON record; remove it and rerun the grid`)
      }
    })
}

/** Appends one record as one line: a run is either in the file completely or not at all (for `grid`). */
export async function appendResult(file: string, record: { key: string }): Promise<void> {
  await appendFile(file, JSON.stringify(record) + '\n')
}

export interface GridOptions<S = RunSpec, R extends { key: string } = RunRecord> {
  out: string
  /** one spec per run, in the order to run them */
  specs: S[]
  /** does the work; `runExperiment` by default (tests substitute a fast stand-in) */
  run?: (spec: S) => Promise<R>
  /** a spec's identity in the results file; `runKey` by default */
  key?: (spec: S) => string
  log?: (line: string) => void
}

/** Runs every spec whose key is not yet in `out`; returns the keys it ran and the keys it skipped. */
export async function runGrid<S = RunSpec, R extends { key: string } = RunRecord>(
  options: GridOptions<S, R>,
): Promise<{ ran: string[]; skipped: string[] }> {
  const run = options.run ?? ((spec: S) => runExperiment(spec as RunSpec) as Promise<unknown> as Promise<R>)
  const keyOf = options.key ?? ((spec: S) => runKey(spec as RunSpec))
  const done = new Set((await readResults<{ key: string }>(options.out)).map((r) => r.key))
  const ran: string[] = []
  const skipped: string[] = []
  for (const [i, spec] of options.specs.entries()) {
    const key = keyOf(spec)
    if (done.has(key)) {
      skipped.push(key)
      options.log?.(`[${i + 1}/${options.specs.length}] skip (already in ${options.out}): ${key}`)
      continue
    }
    options.log?.(`[${i + 1}/${options.specs.length}] run: ${key}`)
    const record = await run(spec)
    await appendResult(options.out, record)
    done.add(key)
    ran.push(key)
  }
  return { ran, skipped }
}

/** The specs of a grid: every teacher × seed, seed-major so that a partial grid already holds whole pairs. */
export function gridSpecs(
  base: Omit<RunSpec, 'teacher' | 'seed'>,
  teachers: TeacherName[],
  seeds: number[],
): RunSpec[] {
  return seeds.flatMap((seed) => teachers.map((teacher) => ({ ...base, teacher, seed })))
}
