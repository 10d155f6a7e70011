/**
 * `cohort experiment defaults` (issue 17): does a run started with no settings get what these networks can do?
 * Per size and seed it trains the pair three ways: with the settings the product chooses (the same
 * `automaticSettings` that `runs.plan` applies), the same automatic schedule with `teacher: none`, and a small
 * hand grid of epochs × learning rate × batch around the automatic schedule, with the automatic teacher; and,
 * when asked, the automatic schedule with other teachers (to re-choose the default teacher on the same runs).
 */
import { automaticSettings, batchesPerEpoch, type AutomaticChoices } from '../shared/automatic-settings'
import { datasetStatistics } from '../core/dataset/tensor-cache'
import { parseTrainingConfig, type TrainingConfig } from '../core/training/config'
import type { EnsembleRule } from '../core/training/validation-weights'
import type { TeacherName } from '../shared/training-settings'
import { validationPerClass } from './data'
import type { EnsembleResult } from './ensembles'
import { HELD_BACK } from './profiles'
import { subsetData, type PictureSource } from './picture-source'
import { ExperimentError, trainAndTest, type NetworkResult, type RunHooks } from './runs'

/** One point of the hand grid: multiples of the automatic epochs and learning rate, and a batch size. */
export interface GridPoint {
  epochs: number
  lr: number
  /** a batch size, or 'auto' for the automatic one */
  batch: number | 'auto'
}

export type Arm = 'defaults' | 'none' | 'grid' | 'teacher'

export interface DefaultsSpec {
  arm: Arm
  /** 'fashion-mnist' or the folder's absolute path */
  dataset: string
  perClass: number
  valPerClass: number
  /** test pictures per label; absent = Fashion-MNIST's whole 10k test set */
  testPerClass?: number | undefined
  seed: number
  /** absent = the product's default networks */
  nets?: string[] | undefined
  /** replaces the automatic epochs in every arm (quick checks and tests; the report says so) */
  epochs?: number | undefined
  /** grid arm only */
  point?: GridPoint | undefined
  /** teacher arm only: the teacher in place of the automatic one */
  teacher?: TeacherName | undefined
}

export interface DefaultsRecord {
  key: string
  spec: DefaultsSpec
  config: TrainingConfig
  /** the reasons Cohort gave for what it chose */
  chosen: AutomaticChoices['chosen']
  sizes: { train: number; validation: number; test: number }
  backend: string
  epochs: number
  steps: number
  final: {
    /** valAcc: of the kept weights (each network's best validation epoch) */
    networks: NetworkResult[]
    /** the app's answer: the ensemble under the run's ensemble rule */
    ensemble: EnsembleResult & { rule: EnsembleRule }
    best: { epoch: number; valAcc: number }[]
  }
  seconds: { total: number; training: number; test: number }
  finishedAt: string
}

/** The default hand grid: epochs and learning rate at ½, 1 and 2 × the automatic, and batch 16 and 64. */
export const DEFAULT_GRID = 'epochs=0.5,1,2 lr=0.5,1,2; batch=16,64'

/**
 * The points of a grid text: blocks separated by ";", each a product of "name=v,v,…" lists (names epochs, lr,
 * batch); a name a block leaves out is 1 × (batch: automatic). The automatic point itself is dropped: it is
 * the `defaults` run.
 */
export function parseGrid(text: string): GridPoint[] {
  const points: GridPoint[] = []
  for (const block of text.split(';').map((b) => b.trim())) {
    if (block === '') continue
    const lists: Record<'epochs' | 'lr' | 'batch', (number | 'auto')[]> = {
      epochs: [1],
      lr: [1],
      batch: ['auto'],
    }
    for (const part of block.split(/\s+/)) {
      const match = /^(epochs|lr|batch)=(.+)$/.exec(part)
      if (!match)
        throw new ExperimentError(`grid part "${part}" is not name=v,v,… with name epochs, lr or batch`)
      const name = match[1] as keyof typeof lists
      lists[name] = match[2]!.split(',').map((v) => {
        if (name === 'batch' && v === 'auto') return 'auto'
        const n = Number(v)
        const whole = name === 'batch'
        if (!(n > 0) || (whole && !Number.isInteger(n)))
          throw new ExperimentError(
            `grid ${name} value "${v}" must be ${whole ? 'a whole batch size or auto' : 'a positive multiple'}`,
          )
        return n
      })
    }
    for (const epochs of lists.epochs)
      for (const lr of lists.lr)
        for (const batch of lists.batch) points.push({ epochs: epochs as number, lr: lr as number, batch })
  }
  const seen = new Set<string>()
  return points.filter((p) => {
    const id = pointName(p)
    if (seen.has(id) || id === pointName({ epochs: 1, lr: 1, batch: 'auto' })) return false
    seen.add(id)
    return true
  })
}

export const pointName = (p: GridPoint) => `epochs ${p.epochs}× lr ${p.lr}× batch ${p.batch}`

/** Every run of the experiment, seed-major within a size so a partial grid already holds whole comparisons. */
export function defaultsSpecs(options: {
  dataset: string
  sizes: number[]
  seeds: number[]
  grid: GridPoint[]
  /** other teachers, each run on the automatic schedule */
  teachers?: TeacherName[] | undefined
  nets?: string[] | undefined
  testPerClass?: number | undefined
  epochs?: number | undefined
}): DefaultsSpec[] {
  return options.sizes.flatMap((perClass) =>
    options.seeds.flatMap((seed) => {
      const base = {
        dataset: options.dataset,
        perClass,
        valPerClass: validationPerClass(perClass, HELD_BACK),
        ...(options.testPerClass !== undefined ? { testPerClass: options.testPerClass } : {}),
        seed,
        ...(options.nets ? { nets: options.nets } : {}),
        ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
      }
      return [
        { ...base, arm: 'defaults' as const },
        { ...base, arm: 'none' as const },
        ...options.grid.map((point) => ({ ...base, arm: 'grid' as const, point })),
        ...(options.teachers ?? []).map((teacher) => ({ ...base, arm: 'teacher' as const, teacher })),
      ]
    }),
  )
}

/** A stable identity in the results file. */
export function defaultsKey(spec: DefaultsSpec): string {
  return [
    `arm=${spec.arm}`,
    ...(spec.point ? [`point=${pointName(spec.point).replaceAll(' ', '_')}`] : []),
    ...(spec.teacher ? [`teacher=${spec.teacher}`] : []),
    `dataset=${spec.dataset}`,
    `perClass=${spec.perClass}`,
    `valPerClass=${spec.valPerClass}`,
    `test=${spec.testPerClass ?? 'all'}`,
    `seed=${spec.seed}`,
    `nets=${spec.nets?.join('+') ?? 'default'}`,
    ...(spec.epochs !== undefined ? [`epochs=${spec.epochs}`] : []),
  ].join(' ')
}

/**
 * The settings of one run: what the product would choose for a dataset of this size (`automaticSettings`,
 * given only the networks and the seed), then the arm's change — `none` or another teacher, or the grid point.
 */
export async function defaultsConfig(
  spec: DefaultsSpec,
  source: Pick<PictureSource, 'classNames' | 'facts'>,
): Promise<{ config: TrainingConfig; chosen: AutomaticChoices['chosen'] }> {
  const input: Record<string, unknown> = {
    dataset: 'experiment',
    seed: spec.seed,
    ...(spec.nets ? { networks: spec.nets.map((arch) => ({ arch })) } : {}),
    ...(spec.epochs !== undefined ? { epochs: spec.epochs } : {}),
    ...(spec.arm === 'none' ? { teacher: 'none' } : {}),
    ...(spec.arm === 'teacher' ? { teacher: spec.teacher } : {}),
  }
  const labels = source.classNames.map(() => ({
    trainCount: spec.perClass,
    validationCount: spec.valPerClass,
  }))
  const given = parseTrainingConfig(input)
  const { values, chosen } = await automaticSettings(input, given.batchSize, labels, source.facts)
  const automatic = parseTrainingConfig({ ...input, ...values })
  if (spec.arm !== 'grid') return { config: automatic, chosen }
  const point = spec.point
  if (!point) throw new ExperimentError('a grid run needs its grid point')
  return {
    config: parseTrainingConfig({
      ...input,
      ...values,
      epochs: Math.max(1, Math.round(automatic.epochs * point.epochs)),
      lr: automatic.lr * point.lr,
      batchSize: point.batch === 'auto' ? automatic.batchSize : point.batch,
    }),
    chosen,
  }
}

/** Trains one run of the experiment and measures its kept weights on validation and the test set. */
export async function runDefaults(
  spec: DefaultsSpec,
  source: PictureSource,
  hooks: RunHooks = {},
): Promise<DefaultsRecord> {
  const started = performance.now()
  const { config, chosen } = await defaultsConfig(spec, source)
  const { data, test } = await subsetData(source, {
    perClass: spec.perClass,
    valPerClass: spec.valPerClass,
    imageSize: config.imageSize,
    channels: config.channels,
  })
  // as the product's trainer does: the training split's own statistics
  const normalisation = datasetStatistics(data.train.pixels, config.channels)
  const run = await trainAndTest({
    config,
    data,
    test,
    normalisation,
    tau: config.teacherOptions.tau,
    hooks,
  })
  const rule = config.ensembleRule
  const trainPictures = data.train.labels.length
  return {
    key: defaultsKey(spec),
    spec,
    config,
    chosen,
    sizes: { train: trainPictures, validation: data.validation.labels.length, test: test.labels.length },
    backend: run.backend,
    epochs: run.result.epochs,
    steps: run.result.epochs * batchesPerEpoch(trainPictures, config.batchSize),
    final: {
      networks: run.networks,
      ensemble: { ...run.ensembles[rule], rule },
      best: run.result.kept?.best ?? [],
    },
    seconds: { total: (performance.now() - started) / 1000, ...run.seconds },
    finishedAt: new Date().toISOString(),
  }
}
