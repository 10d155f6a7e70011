/**
 * The collaborative loop (docs/ARCHITECTURE.md, "Training"): every epoch a seeded shuffle of the training split; for each batch
 * every network gets its own augmented view, the group takes one step against the teacher fused from all
 * their logits, with the learning rate of that step; after the epoch a validation pass in inference mode
 * measures each network, the teacher and the validation-weighted ensemble. No IO here: the caller restores
 * a checkpoint into the group before, and writes one in `onEpoch`, which is awaited before the next epoch.
 */
import * as tf from '@tensorflow/tfjs'
import { weightedLogits } from '../engine/ensemble'
import { crossEntropy } from '../engine/losses'
import type { NetworkGroup } from '../engine/network-group'
import type { NetworkWeights } from '../engine/protocol'
import type { EpochMetrics, NetworkEpochMetrics } from '../../shared/types'
import {
  AUGMENT_PRESETS,
  augmentPixels,
  resolvePolicy,
  type AugmentPolicy,
  type Normalisation,
} from './augment'
import type { TrainingConfig } from './config'
import { Random, type RandomState } from './random'
import { distillationWeightAt, learningRateAt, planFor } from './schedule'
import { effectiveLambda } from './teacher-names'
import { fuse } from './teachers'
import { ensembleWeights, validationWeights } from './validation-weights'
import { answerWeights } from '../../shared/learning'

/** Labelled uint8 NHWC images of one split. */
export interface LabelledImages {
  pixels: Uint8Array
  labels: Int32Array
}

export interface TrainingData {
  classNames: string[]
  imageSize: number
  channels: 1 | 3
  train: LabelledImages
  validation: LabelledImages
}

/** What the validation pass measured; carried into epochs that do not validate (validateEvery > 1). */
export interface ValidationResult {
  networks: { valLoss: number; valAcc: number }[]
  teacher: EpochMetrics['teacher']
  ensemble: EpochMetrics['ensemble']
  /** the `validation` teacher's weights for the epochs until the next pass (its rule, not the ensemble's) */
  nextTeacherWeights?: number[]
}

/** Everything besides the networks that a resumed run needs to continue exactly. */
export interface TrainerState {
  /** epochs completed */
  epoch: number
  streams: { order: RandomState; views: RandomState[]; subsets: RandomState[] }
  /** the weights the `validation` teacher uses in the next epoch (equal before the first validation) */
  teacherWeights: number[]
  lastValidation: ValidationResult | null
  /** per network, the validated epoch with the best validation accuracy so far (absent in older checkpoints) */
  best?: { epoch: number; valAcc: number }[]
  /** the run stopped early (patience): a resume has nothing left to train */
  stoppedEarly?: boolean
}

export interface EpochReport {
  metrics: EpochMetrics
  state: TrainerState
  validation: ValidationResult
  /** per network, the weights of its best validated epoch so far (what the run keeps) */
  bestWeights: (NetworkWeights | null)[]
}

/** One step as the trainer saw it: for tests and diagnostics. */
export interface StepInspection {
  epoch: number
  step: number
  views: Float32Array[]
  labels: Int32Array
  logits: Float32Array[]
  /** how many times the group called the fuse closure during this step */
  fuseCalls: number
  /** the logits that fuse received, per call */
  fusedLogits: Float32Array[][]
}

export interface TrainOptions {
  config: TrainingConfig
  data: TrainingData
  group: NetworkGroup
  normalisation: Normalisation
  /** continue after a checkpoint (its weights and optimiser state already restored into the group) */
  resumeFrom?: TrainerState | undefined
  /** with resumeFrom: each network's best weights as the checkpoint kept them */
  resumeBestWeights?: (NetworkWeights | null)[] | undefined
  /** asked between steps; true stops the run before the next step */
  shouldStop?: () => boolean
  onProgress?: (p: { epoch: number; step: number; steps: number }) => void
  onEpoch?: (report: EpochReport) => Promise<void>
  onStep?: (s: StepInspection) => void
}

export interface TrainResult {
  status: 'completed' | 'cancelled'
  /** epochs completed, including those before a resume */
  epochs: number
  /** the patience ran out before the last epoch: no network improved for that many epochs */
  stoppedEarly?: boolean
  last: EpochReport | null
  /**
   * A completed run: each network's best validated epoch's weights, now in the group, measured together on the
   * validation split (the model the run keeps); null when no epoch was validated.
   */
  kept?: { validation: ValidationResult; best: { epoch: number; valAcc: number }[] } | null
}

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError'
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly value: number,
  ) {
    super(
      `training diverged at epoch ${epoch} step ${step} (loss ${Number.isNaN(value) ? 'NaN' : value}) — lower the learning rate`,
    )
  }
}

export class TrainingSetupError extends Error {
  override name = 'TrainingSetupError'
}

/** Stream numbers under the run's seed: 0 the shuffle, 1+i network i's views, 101+i network i's subset. */
const VIEW_STREAM = 1
const SUBSET_STREAM = 101

/** The state of a run that has not trained yet. */
export function initialTrainerState(config: TrainingConfig): TrainerState {
  const n = config.networks.length
  return {
    epoch: 0,
    streams: {
      order: Random.stream(config.seed, 0).state(),
      views: config.networks.map((_, i) => Random.stream(config.seed, VIEW_STREAM + i).state()),
      subsets: config.networks.map((_, i) => Random.stream(config.seed, SUBSET_STREAM + i).state()),
    },
    teacherWeights: new Array<number>(n).fill(1 / n),
    lastValidation: null,
  }
}

/**
 * Batches per epoch: every training image is used every epoch (a person's small dataset cannot spare any),
 * in ceil(images / batchSize) batches of near-equal size, so there is never a last batch of one or two
 * images to make BatchNorm statistics noisy.
 */
export function stepsPerEpoch(images: number, batchSize: number): number {
  return Math.max(1, Math.ceil(images / batchSize))
}

/** The permutation positions batch `step` of `steps` takes: [start, end), sizes differing by at most one. */
export function batchBounds(images: number, steps: number, step: number): [number, number] {
  return [Math.floor((step * images) / steps), Math.floor(((step + 1) * images) / steps)]
}

function checkData(data: TrainingData, config: TrainingConfig): void {
  const frame = data.imageSize * data.imageSize * data.channels
  const classes = data.classNames.length
  if (classes < 2) throw new TrainingSetupError('training needs at least 2 labels with images')
  for (const [name, split] of [
    ['training', data.train],
    ['validation', data.validation],
  ] as const) {
    if (split.labels.length === 0) {
      throw new TrainingSetupError(
        `there are no labelled ${name} images; split the dataset first, with a validation share (20 % is usual)`,
      )
    }
    if (split.pixels.length !== split.labels.length * frame) {
      throw new TrainingSetupError(
        `the ${name} pixels (${split.pixels.length} bytes) do not match ${split.labels.length} images of ${data.imageSize}×${data.imageSize}×${data.channels}`,
      )
    }
    if (split.labels.some((y) => y < 0 || y >= classes)) {
      throw new TrainingSetupError(`a ${name} label is outside the ${classes} classes`)
    }
  }
  if (data.imageSize !== config.imageSize || data.channels !== config.channels) {
    throw new TrainingSetupError(
      `the images are ${data.imageSize} px × ${data.channels} channels but the settings ask for ${config.imageSize} px × ${config.channels}`,
    )
  }
}

/** Copies images `indices` of a split into one uint8 batch. */
function gather(split: LabelledImages, indices: ArrayLike<number>, frame: number) {
  const pixels = new Uint8Array(indices.length * frame)
  const labels = new Int32Array(indices.length)
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!
    pixels.set(split.pixels.subarray(i * frame, (i + 1) * frame), k * frame)
    labels[k] = split.labels[i]!
  }
  return { pixels, labels }
}

function argmax(row: Float32Array, offset: number, classes: number): number {
  let best = 0
  for (let c = 1; c < classes; c++) if (row[offset + c]! > row[offset + best]!) best = c
  return best
}

/** Fraction of rows of `logits` whose argmax is the label. */
export function accuracy(logits: Float32Array, labels: Int32Array, classes: number): number {
  let right = 0
  for (let n = 0; n < labels.length; n++) if (argmax(logits, n * classes, classes) === labels[n]) right++
  return labels.length === 0 ? 0 : right / labels.length
}

/** Mean cross-entropy of softmax(logits) against the labels: the training loss's own cross-entropy. */
function meanCrossEntropy(logits: Float32Array, labels: Int32Array, classes: number): number {
  return tf.tidy(
    () =>
      crossEntropy(
        tf.tensor2d(logits, [labels.length, classes]),
        tf.tensor1d(labels, 'int32'),
      ).dataSync()[0]!,
  )
}

/** Per network, 1 for each image it gets wrong and 0 for each it gets right (what the weight rules need). */
export function errorsOf(
  logits: readonly Float32Array[],
  labels: Int32Array,
  classes: number,
): Float64Array[] {
  return logits.map((z) =>
    Float64Array.from(labels, (y, n) => (argmax(z, n * classes, classes) === y ? 0 : 1)),
  )
}

/** The validation pass: each network in inference mode, the run's teacher, the weighted ensemble. */
export async function validate(
  group: NetworkGroup,
  images: Float32Array,
  labels: Int32Array,
  classes: number,
  config: TrainingConfig,
  teacherWeights: number[],
): Promise<ValidationResult> {
  const logits = await group.predict(images)
  const networks = logits.map((z) => ({
    valLoss: meanCrossEntropy(z, labels, classes),
    valAcc: accuracy(z, labels, classes),
  }))
  let teacher: EpochMetrics['teacher'] = null
  if (config.teacher !== 'none') {
    // the teacher uses the labels, as during training: its accuracy shows what it teaches, not what it predicts
    const fused = fuse(logits, labels, classes, config.teacher, {
      minLoss: config.teacherOptions.minLoss,
      weights: teacherWeights,
    })
    teacher = {
      valAcc: fused.teacher ? accuracy(fused.teacher, labels, classes) : 0,
      weights: fused.weights ?? null,
    }
  }
  const measure = { accuracies: networks.map((n) => n.valAcc), errors: errorsOf(logits, labels, classes) }
  const { validationRule, tau } = config.teacherOptions
  // a network that did not learn has no say in the app's answer (src/shared/learning.ts)
  const weights = answerWeights(
    ensembleWeights(config.ensembleRule, measure, tau),
    measure.accuracies,
    classes,
  )
  const ensemble = { valAcc: accuracy(weightedLogits(logits, weights), labels, classes), weights }
  if (config.teacher !== 'validation') return { networks, teacher, ensemble }
  return { networks, teacher, ensemble, nextTeacherWeights: validationWeights(validationRule, measure, tau) }
}

/** Each network's training images: everything, or its own seeded subset (bagging style) when dataFraction < 1. */
export function networkSubsets(
  config: TrainingConfig,
  images: number,
  streams: Random[],
): (Int32Array | null)[] {
  return config.networks.map((net, i) => {
    if (net.dataFraction >= 1) return null
    const all = streams[i]!.shuffle(Array.from({ length: images }, (_, k) => k))
    const keep = Math.max(1, Math.round(images * net.dataFraction))
    return Int32Array.from(all.slice(0, keep)).sort()
  })
}

/**
 * Per-sample membership of a batch in each network's subset, as loss weights (1 in, 0 out), or null when the
 * network sees every image. The networks still see the same images, so the teacher stays meaningful; a
 * network just learns nothing from the images outside its subset.
 */
export function batchMasks(
  batch: ArrayLike<number>,
  members: (Int32Array | null)[],
): (Float32Array | null)[] {
  return members.map((m) => {
    if (!m) return null
    const set = new Set(m)
    return Float32Array.from({ length: batch.length }, (_, k) => (set.has(batch[k]!) ? 1 : 0))
  })
}

/** What stays fixed for the whole run: the checked data's sizes, the batches, the schedule, λ, the policies. */
interface Setup {
  classes: number
  frame: number
  shape: (images: number) => [number, number, number, number]
  trainCount: number
  steps: number
  plan: ReturnType<typeof planFor>
  /** λ after the teacher: 0 for independent training */
  lambda: number
  policies: AugmentPolicy[]
}

/** What an epoch changes: the random streams, the `validation` teacher's weights, the last validation. */
interface Progress {
  order: Random
  views: Random[]
  members: (Int32Array | null)[]
  /** the subsets are drawn once per run from fixed streams, so the saved streams stay the initial ones */
  subsetStates: RandomState[]
  teacherWeights: number[]
  lastValidation: ValidationResult | null
}

/** Per network, the sums of one epoch's steps. */
interface EpochSums {
  loss: number
  ce: number
  kd: number
  right: number
  seen: number
}

function setUp({ config, data, group }: TrainOptions): Setup {
  checkData(data, config)
  const n = config.networks.length
  if (group.size !== n) {
    throw new TrainingSetupError(`the group has ${group.size} networks but the settings ask for ${n}`)
  }
  const trainCount = data.train.labels.length
  const steps = stepsPerEpoch(trainCount, Math.min(config.batchSize, trainCount))
  return {
    classes: data.classNames.length,
    frame: data.imageSize * data.imageSize * data.channels,
    shape: (b) => [b, data.imageSize, data.imageSize, data.channels],
    trainCount,
    steps,
    plan: planFor(config, steps),
    lambda: effectiveLambda(config.teacher, config.lambda),
    policies: config.networks.map((net) => resolvePolicy(net.augment)),
  }
}

/** The run's streams and teacher weights, fresh or as a checkpoint left them. */
function restoreProgress(config: TrainingConfig, setup: Setup, state: TrainerState): Progress {
  return {
    order: Random.restore(state.streams.order),
    views: state.streams.views.map((s) => Random.restore(s)),
    members: networkSubsets(
      config,
      setup.trainCount,
      state.streams.subsets.map((s) => Random.restore(s)),
    ),
    subsetStates: state.streams.subsets,
    teacherWeights: state.teacherWeights.slice(),
    lastValidation: state.lastValidation,
  }
}

/** The validation images, normalised once without augmentation. */
function validationImages({ data, normalisation }: TrainOptions, setup: Setup): Float32Array {
  return augmentPixels(
    { pixels: data.validation.pixels, shape: setup.shape(data.validation.labels.length) },
    AUGMENT_PRESETS.none,
    Random.fromSeed(0),
    normalisation,
  )
}

/**
 * The closure the group calls with every network's logits to get this step's teacher; it records what it
 * received (for StepInspection). Independent training (λ = 0) never uses the teacher, so it skips fusing.
 */
function teacherForStep(
  config: TrainingConfig,
  setup: Setup,
  progress: Progress,
  received: Float32Array[][],
) {
  return (logits: Float32Array[], labels: Int32Array): Float32Array => {
    received.push(logits)
    const none = () => new Float32Array(labels.length * setup.classes)
    if (setup.lambda === 0) return none()
    const fused = fuse(logits, labels, setup.classes, config.teacher, {
      minLoss: config.teacherOptions.minLoss,
      weights: progress.teacherWeights,
    })
    return fused.teacher ?? none()
  }
}

/** One collaborative step on batch `s` of the epoch: views, learning rate, group step, the sums. Returns the lr. */
async function trainStep(
  options: TrainOptions,
  setup: Setup,
  progress: Progress,
  at: { epoch: number; step: number; permutation: number[] },
  sums: EpochSums[],
): Promise<number> {
  const { config, data, group, normalisation } = options
  const { epoch, step: s } = at
  const indices = at.permutation.slice(...batchBounds(setup.trainCount, setup.steps, s))
  const batch = gather(data.train, indices, setup.frame)
  const networkViews = setup.policies.map((policy, i) =>
    augmentPixels(
      { pixels: batch.pixels, shape: setup.shape(indices.length) },
      policy,
      progress.views[i]!,
      normalisation,
    ),
  )
  const globalStep = (epoch - 1) * setup.steps + s
  const lr = learningRateAt(globalStep, setup.plan)
  await group.setLearningRate(lr)
  const lambdaNow = distillationWeightAt(globalStep, setup.lambda, config.distillWarmupEpochs, setup.steps)
  const fusedLogits: Float32Array[][] = []
  const result = await group.step(
    networkViews,
    batch.labels,
    teacherForStep(config, setup, progress, fusedLogits),
    lambdaNow,
    config.T,
    batchMasks(indices, progress.members),
  )
  result.losses.forEach((l, i) => {
    const total = l.ce + lambdaNow * l.kd
    if (!Number.isFinite(total)) throw new TrainingDivergedError(epoch, s + 1, total)
    const sum = sums[i]!
    sum.loss += total
    sum.ce += l.ce
    sum.kd += setup.lambda === 0 ? 0 : l.kd
    sum.right += accuracy(result.logits[i]!, batch.labels, setup.classes) * indices.length
    sum.seen += indices.length
  })
  options.onStep?.({
    epoch,
    step: s + 1,
    views: networkViews,
    labels: batch.labels,
    logits: result.logits,
    fuseCalls: fusedLogits.length,
    fusedLogits,
  })
  options.onProgress?.({ epoch, step: s + 1, steps: setup.steps })
  return lr
}

/** Every step of one epoch over a fresh shuffle; null when asked to stop before a step. */
async function trainEpoch(
  options: TrainOptions,
  setup: Setup,
  progress: Progress,
  epoch: number,
): Promise<{ sums: EpochSums[]; lr: number } | null> {
  const permutation = progress.order.shuffle(Array.from({ length: setup.trainCount }, (_, k) => k))
  const sums = options.config.networks.map(() => ({ loss: 0, ce: 0, kd: 0, right: 0, seen: 0 }))
  let lr = 0
  for (let step = 0; step < setup.steps; step++) {
    if (options.shouldStop?.()) return null
    lr = await trainStep(options, setup, progress, { epoch, step, permutation }, sums)
  }
  return { sums, lr }
}

/**
 * Validates when the epoch is due (every validateEvery epochs, the last, or when nothing was measured yet),
 * else carries the last validation; a due validation gives the `validation` teacher its next weights.
 */
async function validateIfDue(
  { config, data, group }: TrainOptions,
  setup: Setup,
  progress: Progress,
  epoch: number,
  valImages: Float32Array,
): Promise<{ validation: ValidationResult; validates: boolean }> {
  const validates = epoch % config.validateEvery === 0 || epoch === config.epochs
  let validation = progress.lastValidation
  if (validates || !validation) {
    validation = await validate(
      group,
      valImages,
      data.validation.labels,
      setup.classes,
      config,
      progress.teacherWeights,
    )
    const bad = validation.networks.findIndex((v) => !Number.isFinite(v.valLoss))
    if (bad >= 0) throw new TrainingDivergedError(epoch, setup.steps, validation.networks[bad]!.valLoss)
    if (validation.nextTeacherWeights) progress.teacherWeights = validation.nextTeacherWeights.slice()
  }
  progress.lastValidation = validation
  return { validation, validates }
}

/** The epoch as the app sees it (step means, the validation) and the state a checkpoint keeps. */
function epochReport(
  config: TrainingConfig,
  setup: Setup,
  progress: Progress,
  epoch: { epoch: number; sums: EpochSums[]; lr: number; seconds: number },
  { validation, validates }: { validation: ValidationResult; validates: boolean },
  keeping: Keeping,
): EpochReport {
  const { steps } = setup
  const networks: NetworkEpochMetrics[] = epoch.sums.map((sum, i) => ({
    index: i,
    arch: config.networks[i]!.arch,
    trainLoss: sum.loss / steps,
    trainCe: sum.ce / steps,
    trainKd: sum.kd / steps,
    trainAcc: sum.seen === 0 ? 0 : sum.right / sum.seen,
    valLoss: validation.networks[i]!.valLoss,
    valAcc: validation.networks[i]!.valAcc,
  }))
  const metrics: EpochMetrics = {
    epoch: epoch.epoch,
    networks,
    teacher: validation.teacher,
    ensemble: validation.ensemble,
    lr: epoch.lr,
    seconds: epoch.seconds,
    validated: validates,
    best: keeping.best.map((b) => ({ ...b })),
  }
  const state: TrainerState = {
    epoch: epoch.epoch,
    streams: {
      order: progress.order.state(),
      views: progress.views.map((v) => v.state()),
      subsets: progress.subsetStates,
    },
    teacherWeights: progress.teacherWeights.slice(),
    lastValidation: progress.lastValidation,
    best: keeping.best.map((b) => ({ ...b })),
  }
  return { metrics, state, validation, bestWeights: keeping.weights.slice() }
}

/** Each network's best validated epoch so far and its weights: early stopping that never looks at a test split. */
interface Keeping {
  best: { epoch: number; valAcc: number }[]
  weights: (NetworkWeights | null)[]
}

function startKeeping(options: TrainOptions, state: TrainerState): Keeping {
  const n = options.config.networks.length
  const weights = options.resumeBestWeights ?? []
  if (state.best && weights.length === n && weights.every((w) => w !== null)) {
    return { best: state.best.map((b) => ({ ...b })), weights: weights.slice() }
  }
  // nothing kept yet (or a checkpoint from before best epochs were kept): start from this epoch on
  return {
    best: Array.from({ length: n }, () => ({ epoch: 0, valAcc: -1 })),
    weights: new Array(n).fill(null),
  }
}

/** After a validated epoch: a network that did better than ever keeps this epoch's weights (ties keep the earlier). */
async function keepBest(group: NetworkGroup, keeping: Keeping, epoch: number, validation: ValidationResult) {
  const better = validation.networks.map((v, i) => v.valAcc > keeping.best[i]!.valAcc)
  if (!better.some(Boolean)) return
  const weights = await group.getWeights()
  better.forEach((yes, i) => {
    if (!yes) return
    keeping.best[i] = { epoch, valAcc: validation.networks[i]!.valAcc }
    keeping.weights[i] = weights[i]!
  })
}

/**
 * Trains the group epoch by epoch: set up, restore the streams, then per epoch train every step, validate
 * when due and hand the report to `onEpoch` (awaited: the caller writes its checkpoint there).
 */
export async function trainGroup(options: TrainOptions): Promise<TrainResult> {
  const { config } = options
  const setup = setUp(options)
  const state = options.resumeFrom ?? initialTrainerState(config)
  const progress = restoreProgress(config, setup, state)
  const valImages = validationImages(options, setup)
  const keeping = startKeeping(options, state)
  let last: EpochReport | null = null
  let stoppedEarly = state.stoppedEarly === true
  let epochs = stoppedEarly ? state.epoch : config.epochs
  for (let epoch = state.epoch + 1; epoch <= config.epochs && !stoppedEarly; epoch++) {
    const started = Date.now()
    const trained = await trainEpoch(options, setup, progress, epoch)
    if (!trained) return { status: 'cancelled', epochs: epoch - 1, last }
    const validation = await validateIfDue(options, setup, progress, epoch, valImages)
    if (validation.validates) await keepBest(options.group, keeping, epoch, validation.validation)
    const seconds = (Date.now() - started) / 1000
    const newest = Math.max(...keeping.best.map((b) => b.epoch))
    stoppedEarly = config.patience !== undefined && epoch < config.epochs && epoch - newest >= config.patience
    if (stoppedEarly) epochs = epoch
    last = epochReport(config, setup, progress, { epoch, ...trained, seconds }, validation, keeping)
    if (stoppedEarly) last.state.stoppedEarly = true
    await options.onEpoch?.(last)
  }
  return {
    status: 'completed',
    epochs,
    ...(stoppedEarly ? { stoppedEarly } : {}),
    last,
    kept: await restoreBest(options, keeping, valImages, setup, progress),
  }
}

/** The end of a completed run: every network back to its best epoch's weights, measured together once more. */
async function restoreBest(
  { config, data, group }: TrainOptions,
  keeping: Keeping,
  valImages: Float32Array,
  setup: Setup,
  progress: Progress,
): Promise<TrainResult['kept']> {
  if (keeping.weights.some((w) => w === null)) return null
  await group.setWeights(keeping.weights as NetworkWeights[])
  const validation = await validate(
    group,
    valImages,
    data.validation.labels,
    setup.classes,
    config,
    progress.teacherWeights,
  )
  return { validation, best: keeping.best.map((b) => ({ ...b })) }
}
