/**
 * The training settings of one run, validated with zod. Every field has a default a first-time user never
 * needs to touch (only the dataset is required), and every mistake is reported in plain words with the field
 * it concerns, because these settings come from the UI, the CLI and hand-written files alike.
 */
import { z } from 'zod'
import { TEACHER_NAMES } from './teacher-names'
import { ENSEMBLE_RULES, VALIDATION_RULES } from './validation-weights'

/** Which parameters weight decay applies to: kernels only (the product's), or all (PyTorch's `weight_decay`). */
export const WEIGHT_DECAY_SCOPES = ['kernels', 'all'] as const
export type WeightDecayScope = (typeof WEIGHT_DECAY_SCOPES)[number]

export const KNOWN_ARCHS = ['cnn', 'resnet-8', 'resnet-14', 'resnet-20', 'mobilenet'] as const

const PRESETS = ['none', 'light', 'standard'] as const

/** Learning rate when none is given: what the reference used for SGD, and Adam's usual default. */
const DEFAULT_LR = { sgd: 0.05, adam: 0.001 } as const

export class TrainingConfigError extends Error {
  override name = 'TrainingConfigError'
  constructor(readonly problems: string[]) {
    super(
      `The training settings have ${problems.length === 1 ? 'a problem' : 'problems'}:\n- ${problems.join('\n- ')}`,
    )
  }
}

const say = (error: string) => ({ error })

/** Ranges of the whole-number settings a person types (the CLI's options check them the same way). */
export const WHOLE_SETTING_RANGES = {
  epochs: [1, 1000],
  imageSize: [8, 256],
  batchSize: [2, 1024],
  seed: [0, 0xffffffff],
} as const

function number(what: string, min: number, max: number, whole = false) {
  const text = `${what} must be ${whole ? 'a whole number' : 'a number'} from ${min} to ${max}`
  const base = whole ? z.int(say(text)) : z.number(say(text))
  return base.min(min, say(text)).max(max, say(text))
}

function policySchema() {
  return z.strictObject({
    crop: z.enum(['off', 'reflect', 'zero'], say('crop must be "off", "reflect" or "zero"')),
    pad: number('crop padding', 0, 64, true).optional(),
    flip: z.boolean(say('flip must be true or false')),
    brightness: number('brightness jitter', 0, 1),
    contrast: number('contrast jitter', 0, 1),
  })
}

function networkSchema(archs: readonly string[]) {
  return z.strictObject({
    arch: z
      .string(say(`the architecture must be one of ${archs.join(', ')}`))
      .refine((a) => archs.includes(a), say(`unknown architecture; choose one of ${archs.join(', ')}`)),
    /** channel-width multiplier; the network zoo's own default when absent */
    width: number('width multiplier', 0.25, 4).optional(),
    augment: z
      .union(
        [z.enum(PRESETS), policySchema()],
        say('augmentation must be "none", "light", "standard" or { crop, flip, brightness, contrast }'),
      )
      .default('standard'),
    /** fraction of the training images this network sees (bagging-style subsets) */
    dataFraction: number('data fraction', 0.1, 1).default(1),
  })
}

const scheduleSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { kind: v } : v),
  z.discriminatedUnion(
    'kind',
    [
      z.strictObject({ kind: z.literal('constant') }),
      z.strictObject({
        kind: z.literal('cosine'),
        endFraction: number('cosine end fraction', 0, 1).default(0),
      }),
      z.strictObject({
        kind: z.literal('step'),
        gamma: number('step decay factor', 0.001, 1).default(0.1),
        everyEpochs: number('epochs between learning-rate drops', 1, 1000, true).default(10),
      }),
    ],
    say('the schedule must be "cosine", "step" or "constant"'),
  ),
)

/** The schema for a given list of architecture names (the network zoo's list, or KNOWN_ARCHS). */
export function trainingConfigSchema(archs: readonly string[] = KNOWN_ARCHS) {
  return z
    .strictObject(
      {
        dataset: z.union(
          [z.string().min(1), z.int().positive()],
          say('choose a dataset by its name or its id'),
        ),
        imageSize: number('image size (pixels per side)', ...WHOLE_SETTING_RANGES.imageSize, true).default(
          32,
        ),
        channels: z
          .union([z.literal(1), z.literal(3)], say('channels must be 1 (grey) or 3 (colour)'))
          .default(3),
        networks: z
          .array(networkSchema(archs), say('networks must be a list'))
          .min(2, say('choose between 2 and 4 networks'))
          .max(4, say('choose between 2 and 4 networks'))
          .prefault([{ arch: 'cnn' }, { arch: 'resnet-8' }]),
        teacher: z
          .enum(TEACHER_NAMES, say(`unknown teacher; choose one of ${TEACHER_NAMES.join(', ')}`))
          .default('min-logit'),
        teacherOptions: z
          .strictObject({
            minLoss: z
              .enum(['sample', 'batch'], say('min-loss must work per "sample" or per "batch"'))
              .default('sample'),
            validationRule: z
              .enum(
                VALIDATION_RULES,
                say(`the validation rule must be one of ${VALIDATION_RULES.join(', ')}`),
              )
              .default('softmax'),
            // sharp enough that a one-point accuracy lead matters (0.27/0.73); the reference's 0.05 was nearly flat
            tau: number('the validation softmax temperature τ', 0.0001, 1).default(0.01),
          })
          .prefault({}),
        // what the recognition ensemble (the app's predictions) weighs its networks by. Equal: weights learned
        // from a validation split of a few hundred images fit its noise (docs/EXPERIMENTS.md, "The recognition
        // ensemble's weights")
        ensembleRule: z
          .enum(ENSEMBLE_RULES, say(`the ensemble rule must be one of ${ENSEMBLE_RULES.join(', ')}`))
          .default('equal'),
        T: number('the distillation temperature T', 0.1, 20).default(2),
        lambda: number('λ (the weight of the distillation loss)', 0, 100).default(1),
        // λ ramps up from 0 over these epochs (see distillationWeightAt)
        distillWarmupEpochs: number('distillation warm-up epochs', 0, 1000).default(0),
        epochs: number('epochs', ...WHOLE_SETTING_RANGES.epochs, true).default(20),
        batchSize: number('batch size', ...WHOLE_SETTING_RANGES.batchSize, true).default(64),
        optimiser: z.enum(['sgd', 'adam'], say('the optimiser must be "sgd" or "adam"')).default('sgd'),
        momentum: number('SGD momentum', 0, 0.999).default(0.9),
        nesterov: z.boolean(say('nesterov must be true or false')).default(true),
        lr: number('the learning rate', 1e-6, 10).optional(),
        schedule: scheduleSchema.prefault('cosine'),
        warmupEpochs: number('warm-up epochs', 0, 1000).default(0),
        weightDecay: number('weight decay', 0, 0.1).default(5e-4),
        // 'all' decays biases and BatchNorm parameters too (PyTorch's weight_decay, the reference's recipe)
        weightDecayScope: z
          .enum(WEIGHT_DECAY_SCOPES, say('the weight decay scope must be "kernels" or "all"'))
          .default('kernels'),
        seed: number('the seed', ...WHOLE_SETTING_RANGES.seed, true).default(0),
        validateEvery: number('validate every (epochs)', 1, 1000, true).default(1),
      },
      say('the settings must be an object of name: value pairs'),
    )
    .superRefine((c, ctx) => {
      if (c.distillWarmupEpochs > c.epochs) {
        ctx.addIssue({
          code: 'custom',
          path: ['distillWarmupEpochs'],
          message: `cannot exceed the ${c.epochs} epochs`,
        })
      }
      if (c.warmupEpochs >= c.epochs) {
        ctx.addIssue({
          code: 'custom',
          path: ['warmupEpochs'],
          message: `warm-up must be shorter than the ${c.epochs} epochs`,
        })
      }
      if (c.validateEvery > c.epochs) {
        ctx.addIssue({
          code: 'custom',
          path: ['validateEvery'],
          message: `cannot exceed the ${c.epochs} epochs`,
        })
      }
    })
    .transform((c) => ({ ...c, lr: c.lr ?? DEFAULT_LR[c.optimiser] }))
}

export type TrainingConfig = z.output<ReturnType<typeof trainingConfigSchema>>
export type TrainingConfigInput = z.input<ReturnType<typeof trainingConfigSchema>>
export type NetworkConfig = TrainingConfig['networks'][number]

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input
  for (const key of path) {
    // a shorthand such as schedule: "linear" is checked as { kind: "linear" }: report what the user wrote
    if (v === null || typeof v !== 'object') return v
    v = (v as Record<PropertyKey, unknown>)[key]
  }
  return v
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return String(value.length)
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'object' && value !== null) return 'an object'
  return String(value)
}

/** "networks.1.arch" → "network 2 arch": users count networks from 1. */
function fieldName(path: readonly PropertyKey[]): string {
  const parts: string[] = []
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!
    const next = path[i + 1]
    if (key === 'networks' && typeof next === 'number') {
      parts.push(`network ${next + 1}`)
      i++
    } else parts.push(String(key))
  }
  return parts.join(' ') || 'settings'
}

function explain(issue: z.core.$ZodIssue, input: unknown): string {
  const where = fieldName(issue.path)
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
  }
  return `${where}: ${issue.message} (got ${describe(valueAt(input, issue.path))})`
}

/**
 * Validated settings with every default filled in. Throws TrainingConfigError naming each bad field, e.g.
 * "networks: choose between 2 and 4 networks (got 1)".
 */
export function parseTrainingConfig(input: unknown, archs: readonly string[] = KNOWN_ARCHS): TrainingConfig {
  const result = trainingConfigSchema(archs).safeParse(input)
  if (!result.success)
    throw new TrainingConfigError(result.error.issues.map((issue) => explain(issue, input)))
  return result.data
}
