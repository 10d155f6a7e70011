/**
 * Recognising new pictures with a trained model bundle: each file is decoded exactly as the training images
 * were (so the networks see the same pixels), normalised with the training statistics and predicted in
 * batches by one network or by the validation-weighted ensemble of all of them.
 */
import { stat } from 'node:fs/promises'
import * as tf from '@tensorflow/tfjs'
import type {
  NetworkChoice,
  Prediction,
  RecognitionReport,
  RecognitionResult,
  RecogniseRequest,
} from '../../shared/types'
import { rejectionText } from '../../shared/types'
import { decodeImage, ImageRejectedError } from '../dataset/decode'
import { FileRefusedError, MAX_PICTURE_BYTES, readFileBounded, refusalText } from '../files/read'
import { scanFolder } from '../dataset/scan'
import { renderTrainingPixels } from '../dataset/tensor-cache'
import { foldedPredict } from '../engine/folded-inference'
import { normaliseBatch } from '../engine/input'
import { metadataAnswerWeights, weightedLogits } from '../engine/ensemble'
import type { ModelBundle, ModelMetadata } from '../engine/model-metadata'

export const DEFAULT_TOP_K = 3
export const DEFAULT_BATCH_SIZE = 64
/** sharp decodes on its own threads; a few files at a time keeps them busy without holding many big images */
const DECODE_CONCURRENCY = 4

export class RecognitionError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RecognitionError'
  }
}

export interface RecogniseOptions extends RecogniseRequest {
  /** images per forward pass; default 64 */
  batchSize?: number
  signal?: AbortSignal
  onProgress?: (progress: { done: number; total: number }) => void
}

/**
 * The networks' input pixels (imageSize² × channels, uint8) of one file, or the reason it has none. The file
 * is read by the bounded reader, so a device, a named pipe or a huge file is refused, never read.
 */
export async function readInputPixels(path: string, metadata: ModelMetadata): Promise<Uint8Array | string> {
  let bytes: Buffer
  try {
    bytes = await readFileBounded(path, { maxBytes: MAX_PICTURE_BYTES })
  } catch (err) {
    if (err instanceof FileRefusedError) return refusalText(err)
    throw err
  }
  return inputPixelsOf(bytes, metadata)
}

/**
 * The networks' input pixels of encoded image bytes (a file's or an upload's), or the reason they have
 * none: the one decode path every recognised picture takes, the training images' recipe.
 */
export async function inputPixelsOf(bytes: Buffer, metadata: ModelMetadata): Promise<Uint8Array | string> {
  try {
    const { output } = await decodeImage(bytes, (upright) =>
      renderTrainingPixels(upright, metadata.imageSize, metadata.channels),
    )
    return output
  } catch (err) {
    if (err instanceof ImageRejectedError) return err.message
    throw err
  }
}

/**
 * Logits of the chosen networks for `count` images of uint8 NHWC pixels: one Float32Array [count × classes]
 * per network, in `networks` order. Inference mode (BatchNorm uses its moving statistics, folded into the
 * convolutions: folded-inference.ts).
 */
export function networkLogits(
  bundle: ModelBundle,
  pixels: Uint8Array,
  count: number,
  networks: readonly number[],
  batchSize = DEFAULT_BATCH_SIZE,
): Float32Array[] {
  const { imageSize: s, channels: c, classNames, normalisation } = bundle.metadata
  const frame = s * s * c
  if (pixels.length !== count * frame) {
    throw new RecognitionError(
      `${pixels.length} bytes of pixels do not hold ${count} images of ${s}×${s}×${c}.`,
    )
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RecognitionError(`The batch size must be a positive whole number, not ${batchSize}.`)
  }
  const out = networks.map(() => new Float32Array(count * classNames.length))
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start)
    const batch = {
      pixels: pixels.subarray(start * frame, (start + n) * frame),
      shape: [n, s, s, c],
    } as const
    tf.tidy(() => {
      const x = normaliseBatch({ pixels: batch.pixels, shape: [...batch.shape] }, normalisation)
      networks.forEach((index, k) => {
        const logits = foldedPredict(bundle.models[index]!, x, batchSize)
        out[k]!.set(logits.dataSync(), start * classNames.length)
      })
    })
  }
  return out
}

/** Σ wᵢ zᵢ over the networks' logits (the weights sum to 1), row by row. */
export function ensembleLogits(logits: readonly Float32Array[], weights: readonly number[]): Float32Array {
  if (logits.length !== weights.length || logits.length === 0) {
    throw new RecognitionError(`${weights.length} ensemble weights for ${logits.length} networks.`)
  }
  return weightedLogits(logits, weights)
}

/** Softmax of each row of `classes` logits (shifted by the row maximum, so large logits cannot overflow). */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length)
  for (let r = 0; r < logits.length; r += classes) {
    let max = -Infinity
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[r + j]!)
    let sum = 0
    for (let j = 0; j < classes; j++) sum += out[r + j] = Math.exp(logits[r + j]! - max)
    for (let j = 0; j < classes; j++) out[r + j]! /= sum
  }
  return out
}

/** The k most probable labels of one image's probabilities, most probable first (ties: lower class first). */
export function topPredictions(probabilities: ArrayLike<number>, classNames: readonly string[], k: number) {
  const order = classNames.map((_, j) => j)
  order.sort((a, b) => probabilities[b]! - probabilities[a]! || a - b)
  return order.slice(0, k).map((j): Prediction => ({ label: classNames[j]!, probability: probabilities[j]! }))
}

/** Index of the largest value in each row (the predicted class). */
export function argmaxRows(values: Float32Array, classes: number): Int32Array {
  const out = new Int32Array(values.length / classes)
  for (let i = 0; i < out.length; i++) {
    let best = 0
    for (let j = 1; j < classes; j++) if (values[i * classes + j]! > values[i * classes + best]!) best = j
    out[i] = best
  }
  return out
}

/** The networks a choice needs, checked against the bundle. */
export function networksFor(metadata: ModelMetadata, choice: NetworkChoice): number[] {
  if (choice === 'ensemble') return metadata.networks.map((n) => n.index)
  if (!Number.isInteger(choice) || choice < 0 || choice >= metadata.networks.length) {
    const last = metadata.networks.length - 1
    throw new RecognitionError(
      `This model has networks 0 to ${last} (${metadata.networks.map((n) => n.arch).join(', ')}); there is no network ${choice}.`,
    )
  }
  return [choice]
}

export { rejectionText }

/** Files to recognise, the files a scan left out on purpose, and those it could not read (with why). */
interface CollectedFiles {
  files: string[]
  skipped: number
  unreadable: { path: string; error: string }[]
}

/** Every file under a folder (system files left out); a missing folder or a file is a FolderScanError. */
async function folderFiles(folder: string, signal?: AbortSignal): Promise<CollectedFiles> {
  const scan = await scanFolder(folder, signal)
  return {
    files: scan.files.map((f) => f.path),
    skipped: scan.skipped,
    unreadable: scan.rejected.map((r) => ({ path: r.path, error: rejectionText(r) })),
  }
}

/** Files to recognise: files as given, folders expanded to every file under them (system files left out). */
export async function collectImageFiles(
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<CollectedFiles> {
  const collected: CollectedFiles = { files: [], skipped: 0, unreadable: [] }
  for (const path of paths) {
    const isFolder = await stat(path).then(
      (s) => s.isDirectory(),
      () => false, // a missing file is reported by its own result
    )
    if (!isFolder) {
      collected.files.push(path)
      continue
    }
    const found = await folderFiles(path, signal)
    collected.files.push(...found.files)
    collected.skipped += found.skipped
    collected.unreadable.push(...found.unreadable)
  }
  return collected
}

/** Runs `work` on every item with at most `width` in flight; results keep the items' order. */
export async function mapPool<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>) {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker))
  return results
}

function checkTopK(topK: number, classes: number): number {
  if (!Number.isInteger(topK) || topK < 1) {
    throw new RecognitionError(
      `The number of labels to report must be a whole number of 1 or more, not ${topK}.`,
    )
  }
  return Math.min(topK, classes)
}

/**
 * Recognises image files (folders are expanded). Each result has the top-k labels with probabilities, or
 * the reason the file could not be read — the same reasons import gives. Results keep the input order.
 */
export async function recogniseFiles(
  bundle: ModelBundle,
  paths: readonly string[],
  options: RecogniseOptions = {},
): Promise<RecognitionReport> {
  return recogniseCollected(bundle, await collectImageFiles(paths, options.signal), options)
}

/**
 * Recognises every picture under one folder, as `recogniseFiles` does; a path that is no folder (missing,
 * a file) is an error in plain words ("Folder not found: …"), not a report of one unreadable file.
 */
export async function recogniseFolder(
  bundle: ModelBundle,
  folder: string,
  options: RecogniseOptions = {},
): Promise<RecognitionReport> {
  return recogniseCollected(bundle, await folderFiles(folder, options.signal), options)
}

async function recogniseCollected(
  bundle: ModelBundle,
  { files, skipped, unreadable }: CollectedFiles,
  options: RecogniseOptions,
): Promise<RecognitionReport> {
  const sources = files.map((path) => ({ path, pixels: () => readInputPixels(path, bundle.metadata) }))
  const report = await recogniseSources(bundle, sources, options)
  report.results.push(...unreadable)
  return { ...report, skipped }
}

/** One picture to recognise: its name in the report and how to get its input pixels (or why not). */
export interface RecognitionSource {
  path: string
  pixels: () => Promise<Uint8Array | string>
}

/**
 * Recognises pictures from any source (files, uploaded bytes) in batches, decoding a few at a time.
 * Results keep the sources' order; `skipped` is 0 (only folder scans skip files).
 */
export async function recogniseSources(
  bundle: ModelBundle,
  sources: readonly RecognitionSource[],
  options: RecogniseOptions = {},
): Promise<RecognitionReport> {
  const { metadata } = bundle
  const choice = options.network ?? 'ensemble'
  const networks = networksFor(metadata, choice)
  const classes = metadata.classNames.length
  const topK = checkTopK(options.topK ?? DEFAULT_TOP_K, classes)
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  const withPerNetwork = options.perNetwork === true && choice === 'ensemble'
  const { signal, onProgress } = options

  const results: RecognitionResult[] = []
  const frame = metadata.imageSize ** 2 * metadata.channels
  onProgress?.({ done: 0, total: sources.length })
  for (let start = 0; start < sources.length; start += batchSize) {
    if (signal?.aborted) throw new RecognitionError('Recognition was cancelled.')
    const chunk = sources.slice(start, start + batchSize)
    const decoded = await mapPool(chunk, DECODE_CONCURRENCY, (s) => s.pixels())
    const readable = decoded.filter((d): d is Uint8Array => typeof d !== 'string')
    const pixels = new Uint8Array(readable.length * frame)
    readable.forEach((p, i) => pixels.set(p, i * frame))
    const logits = networkLogits(bundle, pixels, readable.length, networks, batchSize)
    const probabilities =
      choice === 'ensemble'
        ? softmaxRows(ensembleLogits(logits, metadataAnswerWeights(metadata)), classes)
        : softmaxRows(logits[0]!, classes)
    const perNetwork = withPerNetwork ? logits.map((z) => softmaxRows(z, classes)) : []
    let row = 0
    decoded.forEach((d, i) => {
      const path = chunk[i]!.path
      if (typeof d === 'string') {
        results.push({ path, error: d })
        return
      }
      const at = (p: Float32Array) => p.subarray(row * classes, (row + 1) * classes)
      const result: RecognitionResult = {
        path,
        predictions: topPredictions(at(probabilities), metadata.classNames, topK),
      }
      if (withPerNetwork) {
        result.perNetwork = perNetwork.map((p, k) => ({
          index: networks[k]!,
          arch: metadata.networks[networks[k]!]!.arch,
          predictions: topPredictions(at(p), metadata.classNames, topK),
        }))
      }
      results.push(result)
      row++
    })
    onProgress?.({ done: Math.min(sources.length, start + batchSize), total: sources.length })
  }
  return { network: choice, results, skipped: 0 }
}

export { recognitionCsv } from '../../shared/recognition-csv'
