/**
 * The training settings of one run: their zod schema, defaults and limits, and the names and titles of the
 * teachers and of the app's answer's weight rules. Shared so that the service (which validates with the schema,
 * src/core/training/config.ts), the API's types (`runs.start` takes the schema's input), the Train view and the
 * CLI use one copy of each. Every field has a default a first-time user never needs to touch (only the dataset
 * is required), and every mistake is reported in plain words with the field it concerns.
 */
import { z } from 'zod'

/** Every teacher, the default first (their descriptions and rules: src/core/training/teacher-names.ts, teachers.ts). */
export type TeacherName = 'min-logit' | 'validation' | 'min-loss' | 'linear' | 'mean' | 'none'
export const TEACHER_NAMES: TeacherName[] = ['min-logit', 'validation', 'min-loss', 'linear', 'mean', 'none']

/** What the Train view calls each teacher. */
export const TEACHER_TITLES: Record<TeacherName, string> = {
  'min-logit': 'Learn from the surest “no” of any network',
  validation: 'Learn from the group, trusting the better networks more',
  none: 'No teaching: each network learns alone',
  'min-loss': 'Learn from the network that got each picture most right',
  linear: 'Learn from the best blend of the networks',
  mean: 'Learn from the average of the networks',
}

/** The `validation` teacher's weight rules (src/core/training/validation-weights.ts). */
export type ValidationRule = 'softmax' | 'standard-error' | 'proportional' | 'covariance'
export const VALIDATION_RULES: readonly ValidationRule[] = [
  'softmax',
  'standard-error',
  'proportional',
  'covariance',
]

/** How the recognition ensemble weighs its networks: equally, or by one of the validation rules. */
export type EnsembleRule = 'equal' | ValidationRule
export const ENSEMBLE_RULES: readonly EnsembleRule[] = ['equal', ...VALIDATION_RULES]

/** What the Train view calls each of the app's answer's weight rules. */
export const ENSEMBLE_RULE_TITLES: Record<EnsembleRule, string> = {
  equal: 'Average of the networks',
  'standard-error': 'Weighted: standard error',
  covariance: 'Weighted: error covariance',
  softmax: 'Weighted: softmax of accuracy',
  proportional: 'Weighted: proportional to accuracy',
}

/** Which parameters weight decay applies to: kernels only (the product's), or all (PyTorch's `weight_decay`). */
export const WEIGHT_DECAY_SCOPES = ['kernels', 'all'] as const
export type WeightDecayScope = (typeof WEIGHT_DECAY_SCOPES)[number]

export const KNOWN_ARCHS = ['cnn', 'resnet-8', 'resnet-14', 'resnet-20', 'mobilenet'] as const

/** A group has this many networks at least and at most. */
/** The picture sizes a model file and the tensor cache accept: wider than a run's setting, so bundles made elsewhere load. */
export const MIN_IMAGE_SIZE = 4
export const MAX_IMAGE_SIZE = 1024

export const MIN_NETWORKS = 2
export const MAX_NETWORKS = 4

/** Augmentation presets (their policies: src/core/training/augment.ts), the default first. */
export const AUGMENT_PRESET_NAMES = ['safe', 'light', 'standard', 'none'] as const
export type AugmentPresetName = (typeof AUGMENT_PRESET_NAMES)[number]
const PRESETS = AUGMENT_PRESET_NAMES

/** One line each for the Train view: what the preset does, and when it is wrong. */
export const AUGMENT_PRESET_TITLES: Record<AugmentPresetName, string> = {
  safe: 'Safe: small shifts only (cannot change what a picture shows)',
  light: 'Shifts and mirror images: only if a mirrored picture keeps its label (not digits, text or arrows)',
  standard: 'Shifts, mirror images, brightness and contrast: for photos whose label survives a mirror',
  none: 'None: every network sees the pictures as they are',
}

/** What a run gets for a setting it does not give (the Train view shows these as its fields' placeholders). */
export const TRAINING_DEFAULTS = {
  imageSize: 32,
  channels: 3,
  networks: ['cnn', 'resnet-8'],
  teacher: 'min-logit',
  T: 2,
  lambda: 1,
  epochs: 20,
  batchSize: 64,
  optimiser: 'sgd',
  /** learning rate by optimiser: what the reference used for SGD, and Adam's usual default */
  lr: { sgd: 0.05, adam: 0.001 },
} as const

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

/**
 * One network's augmentation: a preset's name or a policy. The training settings and the Train view's preview
 * (`runs.previewAugmentation`) take it alike.
 */
export const augmentSettingSchema = z.union(
  [z.enum(PRESETS), policySchema()],
  say('augmentation must be "safe", "light", "standard", "none" or { crop, flip, brightness, contrast }'),
)
export type AugmentSetting = z.output<typeof augmentSettingSchema>

function networkSchema(archs: readonly string[]) {
  return z.strictObject({
    arch: z
      .string(say(`the architecture must be one of ${archs.join(', ')}`))
      .refine((a) => archs.includes(a), say(`unknown architecture; choose one of ${archs.join(', ')}`)),
    /** channel-width multiplier; the network zoo's own default when absent */
    width: number('width multiplier', 0.25, 4).optional(),
    // a mirror image changes the label of digits, text and arrows: only shifts unless asked (issue 17)
    augment: augmentSettingSchema.default('safe'),
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
export function trainingSettingsSchema(archs: readonly string[] = KNOWN_ARCHS) {
  return z
    .strictObject(
      {
        dataset: z.union(
          [z.string().min(1), z.int().positive()],
          say('choose a dataset by its name or its id'),
        ),
        imageSize: number('image size (pixels per side)', ...WHOLE_SETTING_RANGES.imageSize, true).default(
          TRAINING_DEFAULTS.imageSize,
        ),
        channels: z
          .union([z.literal(1), z.literal(3)], say('channels must be 1 (grey) or 3 (colour)'))
          .default(TRAINING_DEFAULTS.channels),
        networks: z
          .array(networkSchema(archs), say('networks must be a list'))
          .min(MIN_NETWORKS, say(`choose between ${MIN_NETWORKS} and ${MAX_NETWORKS} networks`))
          .max(MAX_NETWORKS, say(`choose between ${MIN_NETWORKS} and ${MAX_NETWORKS} networks`))
          .prefault(TRAINING_DEFAULTS.networks.map((arch) => ({ arch }))),
        teacher: z
          .enum(TEACHER_NAMES, say(`unknown teacher; choose one of ${TEACHER_NAMES.join(', ')}`))
          .default(TRAINING_DEFAULTS.teacher),
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
        T: number('the distillation temperature T', 0.1, 20).default(TRAINING_DEFAULTS.T),
        lambda: number('λ (the weight of the distillation loss)', 0, 100).default(TRAINING_DEFAULTS.lambda),
        // λ ramps up from 0 over these epochs (see distillationWeightAt)
        distillWarmupEpochs: number('distillation warm-up epochs', 0, 1000).default(0),
        epochs: number('epochs', ...WHOLE_SETTING_RANGES.epochs, true).default(TRAINING_DEFAULTS.epochs),
        batchSize: number('batch size', ...WHOLE_SETTING_RANGES.batchSize, true).default(
          TRAINING_DEFAULTS.batchSize,
        ),
        optimiser: z
          .enum(['sgd', 'adam'], say('the optimiser must be "sgd" or "adam"'))
          .default(TRAINING_DEFAULTS.optimiser),
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
        // stop when no network's validation accuracy improved for this many validated epochs (absent: never)
        patience: number('patience (epochs without improvement)', 1, 1000, true).optional(),
        // start every network from this earlier run's kept weights (same dataset and networks; issue 19)
        fromRun: z
          .int(say('the run to start from must be a run id (a whole number)'))
          .positive(say('the run to start from must be a run id (a whole number)'))
          .optional(),
        // this run trains that run's networks alone (teacher none), for the comparison in Results (issue 17)
        aloneFor: z
          .int(say('the run to compare with must be a run id (a whole number)'))
          .positive(say('the run to compare with must be a run id (a whole number)'))
          .optional(),
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
      if (c.aloneFor !== undefined && c.teacher !== 'none') {
        ctx.addIssue({
          code: 'custom',
          path: ['aloneFor'],
          message: 'a run trained alone has the teacher "none"',
        })
      }
      if (c.aloneFor !== undefined && c.fromRun !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['aloneFor'],
          message: 'a run trained alone starts from scratch',
        })
      }
    })
    .transform((c) => ({ ...c, lr: c.lr ?? TRAINING_DEFAULTS.lr[c.optimiser] }))
}

export type TrainingSettings = z.output<ReturnType<typeof trainingSettingsSchema>>
/** What `runs.start` takes: only `dataset` is required, every other setting has its default. */
export type TrainingSettingsInput = z.input<ReturnType<typeof trainingSettingsSchema>>
