/**
 * A trained group of networks on disk — a "model bundle": one TF.js Layers model per network under
 * `network-<i>/` plus `metadata.json`, which says how to turn a picture into the networks' input (size,
 * channels, normalisation), what each output means (class names) and how to combine the networks (the
 * validation-weighted ensemble). Written at the end of a run, exported, imported, and read for recognition.
 */
import { lstat, rename, writeFile, mkdir } from 'node:fs/promises'
import { isAbsolute, join, normalize, sep } from 'node:path'
import type * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { MAX_IMAGE_SIZE, MIN_IMAGE_SIZE } from '../../shared/training-settings'
import type { ModelBundleInfo } from '../../shared/types'
import { FileRefusedError, readFileBounded, refusalText } from '../files/read'
import { modelFromFiles, ModelFileError, readModelFiles, saveModel, type ModelFiles } from './model-files'
import { releaseFolded } from './folded-inference'

export const METADATA_FILE = 'metadata.json'
export const BUNDLE_FORMAT = 'cohort-model'
export const BUNDLE_VERSION = 1
/** A run trains 2 to 4 networks; more than this is not a bundle Cohort wrote. */
export const MAX_BUNDLE_NETWORKS = 16
/** metadata.json with 1000 class names is ~20 KB. */
export const MAX_METADATA_BYTES = 1024 * 1024

/** The folder of network `index` inside a bundle. */
export function networkDirName(index: number): string {
  return `network-${index}`
}

const fraction = z.number().min(0).max(1)

export const modelMetadataSchema = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    version: z.literal(BUNDLE_VERSION),
    classNames: z.array(z.string().min(1)).min(2),
    imageSize: z.number().int().min(MIN_IMAGE_SIZE).max(MAX_IMAGE_SIZE),
    channels: z.union([z.literal(1), z.literal(3)]),
    /** x ↦ (x/255 − mean[c]) / std[c], as in training (src/core/training/augment.ts) */
    normalisation: z.object({
      mean: z.array(z.number().finite()),
      std: z.array(z.number().finite().positive()),
    }),
    networks: z
      .array(
        z.object({
          index: z.number().int().min(0),
          /** a zoo name (src/core/engine/zoo.ts); any name loads, since the topology is in model.json */
          arch: z.string().min(1),
          params: z.number().int().min(0),
          flops: z.number().min(0),
          /** validation accuracy of the saved weights; null when the run had no validation split */
          valAcc: fraction.nullable(),
          /** relative to the bundle folder */
          dir: z.string().min(1),
        }),
      )
      .min(1)
      .max(MAX_BUNDLE_NETWORKS),
    /** weights on the networks' logits, in `networks` order */
    ensemble: z.object({ weights: z.array(z.number().finite().min(0)), valAcc: fraction.nullable() }),
    runId: z.number().int().positive().optional(),
    fromRun: z.number().int().positive().optional(),
    /** ISO 8601 */
    createdAt: z.string().min(1),
  })
  .strict() satisfies z.ZodType<ModelBundleInfo>

export type ModelMetadata = z.infer<typeof modelMetadataSchema>

export interface ModelBundle {
  /** the folder it was read from */
  dir: string
  metadata: ModelMetadata
  /** in `metadata.networks` order */
  models: tf.LayersModel[]
}

export class ModelBundleError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelBundleError'
  }
}

/** Checks what the schema cannot: counts agree, indices are 0…n−1, folders stay inside the bundle. */
function checkConsistency(m: ModelMetadata, where: string): void {
  const problem = (text: string): never => {
    throw new ModelBundleError(`${where} is inconsistent: ${text}.`)
  }
  if (new Set(m.classNames).size !== m.classNames.length) problem('two classes have the same name')
  if (m.normalisation.mean.length !== m.channels || m.normalisation.std.length !== m.channels) {
    problem(`the normalisation needs one mean and one std per channel (${m.channels})`)
  }
  m.networks.forEach((n, i) => {
    if (n.index !== i) problem(`network ${i} in the list has index ${n.index}`)
    const dir = normalize(n.dir)
    if (isAbsolute(dir) || dir === '.' || dir.startsWith(`..${sep}`) || dir === '..' || dir.includes(sep)) {
      problem(`network ${i}'s folder "${n.dir}" is not a sub-folder of the bundle`)
    }
  })
  const w = m.ensemble.weights
  if (w.length !== m.networks.length) {
    problem(`${w.length} ensemble weights for ${m.networks.length} networks`)
  }
  const sum = w.reduce((s, v) => s + v, 0)
  if (!(Math.abs(sum - 1) < 1e-4)) problem(`the ensemble weights sum to ${sum}, not 1`)
}

/** Validates metadata from any source; throws ModelBundleError naming every problem. */
export function parseModelMetadata(value: unknown, where = 'The model metadata'): ModelMetadata {
  if (typeof value === 'object' && value !== null) {
    const { format, version } = value as { format?: unknown; version?: unknown }
    if (format !== BUNDLE_FORMAT) {
      throw new ModelBundleError(`${where} is not a Cohort model (format ${JSON.stringify(format)}).`)
    }
    if (typeof version === 'number' && version > BUNDLE_VERSION) {
      throw new ModelBundleError(
        `${where} was written by a newer Cohort (model format version ${version}); update Cohort to use it.`,
      )
    }
  }
  const parsed = modelMetadataSchema.safeParse(value)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'metadata'}: ${i.message}`)
    throw new ModelBundleError(`${where} is damaged or incomplete (${issues.slice(0, 5).join('; ')}).`)
  }
  checkConsistency(parsed.data, where)
  return parsed.data
}

/** Reads and validates `dir/metadata.json` without loading any network. */
export async function readModelMetadata(dir: string): Promise<ModelMetadata> {
  return (await readMetadataFile(dir)).metadata
}

async function readMetadataFile(dir: string): Promise<{ metadata: ModelMetadata; bytes: Buffer }> {
  const file = join(dir, METADATA_FILE)
  let bytes: Buffer
  try {
    bytes = await readFileBounded(file, { maxBytes: MAX_METADATA_BYTES, noFollow: true })
  } catch (err) {
    if (!(err instanceof FileRefusedError)) throw err
    if (err.detail === 'the file does not exist' || err.detail === 'a folder on its path is a file') {
      throw new ModelBundleError(`${dir} is not a Cohort model folder: it has no ${METADATA_FILE}.`)
    }
    throw new ModelBundleError(`Cannot read ${file}: ${refusalText(err)}`)
  }
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new ModelBundleError(`${file} is damaged: it is not valid JSON.`)
  }
  return { metadata: parseModelMetadata(json, file), bytes }
}

/** A bundle's files as read and checked: what loading and copying a bundle both use, read once. */
export interface BundleFiles {
  dir: string
  metadata: ModelMetadata
  /** metadata.json as read */
  metadataBytes: Buffer
  /** in `metadata.networks` order */
  networks: ModelFiles[]
}

/**
 * Reads every file of the bundle in `dir` through the bounded reader and checks it before any tfjs call:
 * the metadata, each network's folder (a real folder, not a link), its topology, manifest and weights.
 * A link anywhere inside the bundle is refused, so nothing outside it is ever read.
 */
export async function readBundleFiles(dir: string): Promise<BundleFiles> {
  const { metadata, bytes } = await readMetadataFile(dir)
  const networks: ModelFiles[] = []
  const expected = {
    input: [metadata.imageSize, metadata.imageSize, metadata.channels] as [number, number, number],
    classes: metadata.classNames.length,
  }
  for (const [i, n] of metadata.networks.entries()) {
    const cannot = (why: string): ModelBundleError =>
      new ModelBundleError(`Network ${i} of the model in ${dir} cannot be loaded: ${why}`)
    const netDir = join(dir, n.dir)
    // a missing folder is reported by reading its model.json
    const kind = await lstat(netDir).catch(() => null)
    if (kind?.isSymbolicLink())
      throw cannot(`its folder ${n.dir} is a symbolic link; a model bundle holds no links.`)
    if (kind && !kind.isDirectory()) throw cannot(`${n.dir} is not a folder.`)
    try {
      networks.push(await readModelFiles(netDir, expected))
    } catch (err) {
      if (err instanceof ModelFileError) throw cannot(err.message)
      throw err
    }
  }
  return { dir, metadata, metadataBytes: bytes, networks }
}

/** The input and output shapes a network of this bundle must have. */
function checkShapes(model: tf.LayersModel, m: ModelMetadata, index: number, dir: string): void {
  const input = model.inputs[0]?.shape ?? []
  const output = model.outputs[0]?.shape ?? []
  const wantIn = [m.imageSize, m.imageSize, m.channels]
  const inputOk =
    model.inputs.length === 1 && input.length === 4 && wantIn.every((d, i) => input[i + 1] === d)
  const outputOk = model.outputs.length === 1 && output.length === 2 && output[1] === m.classNames.length
  if (!inputOk || !outputOk) {
    throw new ModelBundleError(
      `Network ${index} in ${dir} takes [${input.slice(1).join('×')}] and gives ${output[1] ?? '?'} outputs, ` +
        `but the metadata says ${wantIn.join('×')} images and ${m.classNames.length} classes: the folder mixes different models.`,
    )
  }
}

/**
 * Writes a bundle: every network first, `metadata.json` last (through a temporary name), so a folder with
 * metadata is always complete. `metadata.networks[i].dir` is set to `network-<i>`.
 */
export async function writeModelBundle(
  dir: string,
  bundle: { models: tf.LayersModel[]; metadata: ModelMetadata },
): Promise<ModelMetadata> {
  const networks = bundle.metadata.networks.map((n, i) => ({ ...n, dir: networkDirName(i) }))
  const metadata = parseModelMetadata({ ...bundle.metadata, networks }, 'The metadata to write')
  if (bundle.models.length !== networks.length) {
    throw new ModelBundleError(
      `${bundle.models.length} networks were given but the metadata lists ${networks.length}.`,
    )
  }
  bundle.models.forEach((model, i) => checkShapes(model, metadata, i, dir))
  await mkdir(dir, { recursive: true })
  for (const [i, model] of bundle.models.entries()) await saveModel(model, join(dir, networks[i]!.dir))
  const file = join(dir, METADATA_FILE)
  await writeFile(`${file}.tmp`, `${JSON.stringify(metadata, null, 2)}\n`)
  await rename(`${file}.tmp`, file)
  return metadata
}

/** Reads a bundle and loads its networks; a foreign or damaged folder gives a ModelBundleError. */
export async function readModelBundle(dir: string): Promise<ModelBundle> {
  return bundleFromFiles(await readBundleFiles(dir))
}

/** Loads the networks of files read and checked by readBundleFiles. */
export async function bundleFromFiles(files: BundleFiles): Promise<ModelBundle> {
  const { dir, metadata } = files
  const models: tf.LayersModel[] = []
  try {
    for (const [i, network] of files.networks.entries()) {
      const model = await modelFromFiles(network)
      models.push(model)
      checkShapes(model, metadata, i, dir)
    }
  } catch (err) {
    for (const m of models) m.dispose()
    throw err
  }
  return { dir, metadata, models }
}

export function disposeModelBundle(bundle: ModelBundle): void {
  for (const m of bundle.models) {
    releaseFolded(m)
    m.dispose()
  }
}
