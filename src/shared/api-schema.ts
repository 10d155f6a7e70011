/**
 * Argument schemas for every API channel. Shells validate with these before calling the
 * service, so nothing a renderer or an HTTP client sends reaches the core unchecked.
 */
import { z } from 'zod'
import type { ApiArgs, ApiChannel } from './api'
import { LABEL_ORDERS, MAX_PREVIEW_PICTURES, MAX_PREVIEW_VIEWS, MAX_QUERY_IDS } from './types'
import { augmentSettingSchema, WHOLE_SETTING_RANGES, type TrainingSettingsInput } from './training-settings'
import { base64Length, MAX_UPLOAD_BYTES, MAX_UPLOADS } from './uploads'

const id = z.number().int().positive()
const name = z.string().trim().min(1).max(200)
const split = z.enum(['unassigned', 'train', 'validation', 'test'])
const path = z.string().min(1).max(4096)
/** a run id (its final model) or the folder of a model bundle */
const model = z.union([id, path])

const imageUpload = z
  .object({ name: z.string().min(1).max(1000), data: z.string().min(1).max(base64Length(MAX_UPLOAD_BYTES)) })
  .strict()
const recogniseOptions = z
  .object({
    network: z.union([z.number().int().min(0), z.literal('ensemble')]).optional(),
    topK: z.number().int().min(1).max(1000).optional(),
    perNetwork: z.boolean().optional(),
  })
  .strict()
  .optional()

const imageQuery = z
  .object({
    datasetId: id,
    labelId: id.nullable().optional(),
    split: split.optional(),
    status: z.enum(['ok', 'missing']).optional(),
    ids: z.array(id).max(MAX_QUERY_IDS).optional(),
    offset: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()

const suggestionQuery = z
  .object({
    runId: id.optional(),
    order: z.enum(LABEL_ORDERS).optional(),
    limit: z.number().int().min(1).max(1_000_000).optional(),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
  })
  .strict()
const acceptAgreeing = z
  .object({
    minConfidence: z.number().min(0).max(1),
    filter: z
      .object({ split: split.optional(), ids: z.array(id).max(MAX_QUERY_IDS).optional() })
      .strict()
      .optional(),
    runId: id.optional(),
  })
  .strict()

/** A whole number in [min, max], refused in words that name the setting. */
const whole = (what: string, [min, max]: readonly [number, number]) => {
  const error = `${what} must be a whole number from ${min} to ${max}`
  return z.int({ error }).min(min, { error }).max(max, { error })
}
const augmentPreviewRequest = z.strictObject({
  augment: augmentSettingSchema,
  imageSize: whole('the image size', WHOLE_SETTING_RANGES.imageSize),
  channels: z.union([z.literal(1), z.literal(3)], { error: 'channels must be 1 (grey) or 3 (colour)' }),
  count: whole('the number of pictures', [1, MAX_PREVIEW_PICTURES]).optional(),
  views: whole('the number of views', [1, MAX_PREVIEW_VIEWS]).optional(),
  seed: whole('the seed', WHOLE_SETTING_RANGES.seed).optional(),
})

export const API_SCHEMAS = {
  'system.info': z.tuple([]),
  'datasets.list': z.tuple([]),
  'datasets.create': z.tuple([name]),
  'datasets.rename': z.tuple([id, name]),
  'datasets.remove': z.tuple([id]),
  'datasets.importSample': z.tuple([]),
  'datasets.exportCsv': z.tuple([id]),
  // optional last elements, not a rest: a stray extra argument is refused
  'datasets.applyCsv': z.tuple([id, z.string().max(64 * 1024 * 1024), path.optional()]),
  'datasets.exportFolder': z.tuple([id, path, split.optional()]),
  'labels.create': z.tuple([id, name]),
  'labels.rename': z.tuple([id, name]),
  'labels.merge': z.tuple([id, id]),
  'labels.remove': z.tuple([id]),
  'labels.setKey': z.tuple([id, z.number().int().min(1).max(9).nullable()]),
  'labels.setColour': z.tuple([id, z.string().max(20).nullable()]),
  'images.list': z.tuple([imageQuery]),
  'images.count': z.tuple([imageQuery]),
  'images.label': z.tuple([id, z.array(id).max(1_000_000), id.nullable()]),
  'images.setSplit': z.tuple([id, z.array(id).max(1_000_000), split]),
  'images.undo': z.tuple([id]),
  'images.redo': z.tuple([id]),
  'images.refresh': z.tuple([id]),
  'images.addRecognised': z.tuple([id, z.union([imageUpload, z.object({ path }).strict()]), name]),
  'splits.apply': z.tuple([
    z
      .object({
        datasetId: id,
        validation: z.number().min(0).max(0.9),
        test: z.number().min(0).max(0.9),
        seed: z
          .number()
          .int()
          .min(0)
          .max(2 ** 31),
      })
      .strict(),
  ]),
  'imports.folder': z.tuple([z.object({ folder: path, dataset: name }).strict()]),
  'imports.files': z.tuple([
    z
      .object({
        files: z.array(path).min(1).max(1_000_000),
        dataset: name,
        label: name.nullable().optional(),
      })
      .strict(),
  ]),
  'imports.cancel': z.tuple([]),
  // only that they are an object here: the service checks the settings themselves with parseTrainingConfig
  // (against the zoo's networks), naming every bad field in plain words
  'runs.start': z.tuple([
    z.custom<TrainingSettingsInput>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
      error: 'the settings must be an object of name: value pairs',
    }),
  ]),
  'runs.plan': z.tuple([
    z.custom<TrainingSettingsInput>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
      error: 'the settings must be an object of name: value pairs',
    }),
  ]),
  'runs.previewAugmentation': z.tuple([id, augmentPreviewRequest]),
  'runs.list': z.tuple([id.optional()]),
  'runs.get': z.tuple([id]),
  'runs.epochs': z.tuple([id]),
  'runs.cancel': z.tuple([id]),
  'runs.resume': z.tuple([id]),
  'runs.trainAlone': z.tuple([id]),
  'runs.wait': z.tuple([id]),
  'runs.remove': z.tuple([id]),
  // the options are a last optional element (not a rest), so a stray extra argument is still refused
  'recognise.files': z.tuple([model, z.array(path).min(1).max(1_000_000), recogniseOptions]),
  'recognise.folder': z.tuple([model, path, recogniseOptions]),
  'recognise.images': z.tuple([model, z.array(imageUpload).min(1).max(MAX_UPLOADS), recogniseOptions]),
  'runs.evaluate': z.tuple([model, path]),
  'runs.evaluateSplit': z.tuple([id, z.enum(['validation', 'test'])]),
  'models.zoo': z.tuple([
    z.number().int().min(8).max(256),
    z.union([z.literal(1), z.literal(3)]),
    z.number().int().min(2).max(10_000),
  ]),
  'models.export': z.tuple([id, path]),
  'models.list': z.tuple([]),
  'models.import': z.tuple([path]),
  'suggestions.list': z.tuple([id, suggestionQuery.optional()]),
  'suggestions.accept': z.tuple([id, z.array(id).min(1).max(1_000_000)]),
  'suggestions.acceptAgreeing': z.tuple([id, acceptAgreeing]),
} satisfies Record<ApiChannel, z.ZodTuple>

/** true when A and B are assignable both ways (the same arguments to a caller and to the service) */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false

/**
 * The channels whose schema accepts (input) or produces (output) other arguments than `CohortApi` declares;
 * `never` when every schema matches its method exactly.
 */
export type SchemaMismatches<S extends Record<ApiChannel, z.ZodType>> = {
  [C in ApiChannel]: Same<z.input<S[C]>, ApiArgs<C>> extends true
    ? Same<z.output<S[C]>, ApiArgs<C>> extends true
      ? never
      : C
    : C
}[ApiChannel]

/** Compiles only when `Mismatches` is never; otherwise the error names the channels that disagree. */
export type AssertNone<Mismatches extends never> = Mismatches

// A schema that disagrees with its method in api.ts fails the type check (npm test), naming its channel.
export type ApiSchemasMatch = AssertNone<SchemaMismatches<typeof API_SCHEMAS>>

export class InvalidArgumentsError extends Error {
  constructor(channel: string, detail: string) {
    super(`Invalid arguments for ${channel}: ${detail}`)
    this.name = 'InvalidArgumentsError'
  }
}

/** Validates raw arguments for a channel; throws InvalidArgumentsError with a readable summary. */
export function validateArgs(channel: string, args: unknown): unknown[] {
  if (!Object.hasOwn(API_SCHEMAS, channel)) throw new InvalidArgumentsError(channel, 'no such API channel')
  const schema = API_SCHEMAS[channel as ApiChannel]
  const parsed = schema.safeParse(args)
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.length ? `argument ${i.path.join('.')}` : 'arguments'}: ${i.message}`)
      .join('; ')
    throw new InvalidArgumentsError(channel, detail)
  }
  return parsed.data as unknown[]
}
