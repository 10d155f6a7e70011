/**
 * The training data of a dataset as uint8 tensors (decoded once, never inside the training loop).
 *
 * Pixels are cached on disk in one file per (dataset, image size, channels), keyed by content hash, because
 * pixels depend only on the bytes and the decode recipe. Labels and splits are read fresh from the database on
 * every load, so relabelling or re-splitting never decodes anything; adding images decodes only those, and
 * images that left the dataset are dropped from the file. The file is verified in full (layout and a hash of
 * the pixels) before it is used, and rebuilt when anything is off.
 *
 * An image that is not cached yet and whose source file cannot be read (gone, changed since import, no longer
 * decodable) fails the load with a list of those files by default, because training silently on fewer images
 * than the person labelled is worse than stopping; `unreadable: 'skip'` leaves them out and reports them.
 * Either way everything decoded so far is saved first, so the next attempt only does the rest.
 */
import { constants as bufferConstants } from 'node:buffer'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Sharp } from 'sharp'
import { MAX_IMAGE_SIZE, MIN_IMAGE_SIZE } from '../../shared/training-settings'
import type { Split } from '../../shared/types'
import type { Db } from '../store/db'
import { requireDataset } from '../store/datasets'
import { listImageHashes, listTrainableImages } from '../store/image-lists'
import { decodeImage, ImageRejectedError } from './decode'
import { FileRefusedError, MAX_PICTURE_BYTES, readFileBounded, refusalText } from '../files/read'

export type Channels = 1 | 3

/**
 * One split's images in content order (by hash, then id): image ids follow the order an import happened to
 * finish decoding in, so id order would give the same pictures a different batch order in another library.
 */
export interface TensorSplit {
  ids: Int32Array
  /** class index into TrainingTensors.classNames */
  labels: Int32Array
  /** N × S × S × C, row-major NHWC */
  pixels: Uint8Array
}

export interface TrainingTensors {
  imageSize: number
  channels: Channels
  /** names of the labels that have usable images, sorted by name (code-point order): class index order */
  classNames: string[]
  train: TensorSplit
  validation: TensorSplit
  test: TensorSplit
  /** what the load did with the cache, for logs and the UI */
  cache: TensorCacheReport
}

export interface TensorCacheReport {
  file: string
  /** images whose pixels came from the cache file */
  reused: number
  /** images decoded by this load */
  decoded: number
  /** cached images no longer in the dataset, removed from the file */
  dropped: number
  /** why the existing cache file was not trusted and was rebuilt; null when it was sound or absent */
  rebuilt: string | null
  /** images left out because their file could not be read (only with unreadable: 'skip') */
  skipped: UnreadableImage[]
}

export interface UnreadableImage {
  id: number
  path: string
  reason: string
}

/** Images decoded so far out of those that needed decoding in this load. */
export interface TensorCacheProgress {
  done: number
  total: number
}

export interface LoadTrainingTensorsOptions {
  datasetId: number
  imageSize: number
  channels: Channels
  signal?: AbortSignal
  /** called at the start, at most every `progressIntervalMs` while decoding, and at the end (once if 0/0) */
  onProgress?: (progress: TensorCacheProgress) => void
  /** 'fail' (default): stop with a TrainingDataError listing them; 'skip': leave them out, see cache.skipped */
  unreadable?: 'fail' | 'skip'
  /** images decoded at once (default 4) */
  concurrency?: number
  progressIntervalMs?: number
}

export interface TensorCacheContext {
  db: Db
  cacheDir: string
}

export type TrainingDataErrorCode = 'invalid' | 'no-images' | 'unreadable-images' | 'too-large' | 'cancelled'

export class TrainingDataError extends Error {
  override name = 'TrainingDataError'
  constructor(
    message: string,
    readonly code: TrainingDataErrorCode,
    /** for 'unreadable-images': every image that could not be read, with the reason */
    readonly images: UnreadableImage[] = [],
  ) {
    super(message)
  }
}

const DEFAULT_CONCURRENCY = 4
const PROGRESS_INTERVAL_MS = 100
/** Changing how pixels are made (resize, crop, background) must bump this so old files are rebuilt. */
const RECIPE = 'sharp rotate, cover resize centre, flatten on white, srgb or greyscale, uchar; v1'
const MAGIC = Buffer.from('COHORTTC', 'latin1')
const PREFIX_BYTES = MAGIC.length + 4
const HASH_PATTERN = /^[0-9a-f]{64}$/

interface TrainingImage {
  id: number
  hash: string
  path: string
  label: string
  split: Exclude<Split, 'unassigned'>
}

/** Pixels of cached images: offset of each hash's frame in `body`. */
interface CacheContents {
  offsets: Map<string, number>
  body: Uint8Array
}

/** The cache file of one dataset at one image size and channel count. */
export function tensorCacheFile(
  cacheDir: string,
  datasetId: number,
  imageSize: number,
  channels: Channels,
): string {
  return join(cacheDir, `dataset-${datasetId}-${imageSize}px-${channels}ch.tensors`)
}

/** Deletes every tensor cache file of a dataset (e.g. when the dataset is deleted); returns how many. */
export async function clearTensorCache(cacheDir: string, datasetId: number): Promise<number> {
  const prefix = `dataset-${datasetId}-`
  const names = await readdir(cacheDir).catch(() => [] as string[])
  const ours = names.filter((n) => n.startsWith(prefix) && /px-\dch\.tensors/.test(n))
  await Promise.all(ours.map((n) => rm(join(cacheDir, n), { force: true })))
  return ours.length
}

/**
 * Loads the labelled images of the dataset's train, validation and test splits (status 'ok' only) as uint8
 * tensors of `imageSize`² × `channels`, decoding only what the cache does not hold yet.
 */
export async function loadTrainingTensors(
  ctx: TensorCacheContext,
  options: LoadTrainingTensorsOptions,
): Promise<TrainingTensors> {
  const { imageSize, channels, signal } = options
  checkOptions(options)
  const dataset = requireDataset(ctx.db, options.datasetId)
  const images = listTrainingImages(ctx.db, dataset.id)
  if (images.length === 0) {
    throw new TrainingDataError(
      `Dataset '${dataset.name}' has no labelled images in the train, validation or test split; label images and split the dataset first.`,
      'no-images',
    )
  }
  const frame = imageSize * imageSize * channels
  checkFits(images.length, frame, imageSize, channels)
  if (signal?.aborted) throw cancelled()

  const file = tensorCacheFile(ctx.cacheDir, dataset.id, imageSize, channels)
  const { contents, problem } = await readCacheFile(file, imageSize, channels)
  const cached = contents?.offsets ?? new Map<string, number>()
  const toDecode = images.filter((img) => !cached.has(img.hash))
  const decoded = new Map<string, Uint8Array>()
  const unreadable: UnreadableImage[] = []
  await decodeAll(toDecode, options, decoded, unreadable)

  // everything still in the dataset stays cached (also unlabelled or missing images: they may come back)
  const inDataset = new Set(listDatasetHashes(ctx.db, dataset.id))
  const kept = [...cached.keys()].filter((h) => inDataset.has(h))
  const dropped = cached.size - kept.length
  if (decoded.size > 0 || dropped > 0 || problem !== null) {
    // frames in hash order, whatever the history of the cache: the same images always give the same file
    const hashes = [...kept, ...toDecode.map((img) => img.hash).filter((h) => decoded.has(h))].sort()
    checkFits(hashes.length, frame, imageSize, channels)
    await writeCacheFile(
      file,
      imageSize,
      channels,
      hashes,
      (h) => decoded.get(h) ?? cachedFrame(contents!, h, frame),
    )
  }
  if (signal?.aborted) throw cancelled()
  if (unreadable.length > 0 && options.unreadable !== 'skip') throw unreadableError(dataset.name, unreadable)

  const skippedIds = new Set(unreadable.map((u) => u.id))
  const usable = images.filter((img) => !skippedIds.has(img.id))
  if (usable.length === 0) throw unreadableError(dataset.name, unreadable)
  const classNames = [...new Set(usable.map((img) => img.label))].sort(byCodePoint)
  const classIndex = new Map(classNames.map((name, i) => [name, i]))
  const pixelsOf = (hash: string): Uint8Array => decoded.get(hash) ?? cachedFrame(contents!, hash, frame)
  const split = (name: TrainingImage['split']): TensorSplit => {
    const members = usable.filter((img) => img.split === name)
    const out: TensorSplit = {
      ids: Int32Array.from(members, (img) => img.id),
      labels: Int32Array.from(members, (img) => classIndex.get(img.label)!),
      pixels: new Uint8Array(members.length * frame),
    }
    members.forEach((img, i) => out.pixels.set(pixelsOf(img.hash), i * frame))
    return out
  }
  return {
    imageSize,
    channels,
    classNames,
    train: split('train'),
    validation: split('validation'),
    test: split('test'),
    cache: {
      file,
      reused: images.length - toDecode.length,
      decoded: decoded.size,
      dropped,
      rebuilt: problem,
      skipped: unreadable,
    },
  }
}

/**
 * Per-channel mean and std of uint8 NHWC pixels in [0, 1] units (x ↦ (x/255 − mean) / std normalises), e.g.
 * of the training split. Counted through a 256-bin histogram per channel: exact, and one cheap pass.
 * A constant channel gets std 1 so normalising never divides by zero.
 */
export function datasetStatistics(pixels: Uint8Array, channels: Channels): { mean: number[]; std: number[] } {
  if (channels !== 1 && channels !== 3) {
    throw new TrainingDataError(`Images have 1 or 3 channels, not ${String(channels)}.`, 'invalid')
  }
  if (pixels.length === 0 || pixels.length % channels !== 0) {
    throw new TrainingDataError(
      `Statistics need a non-empty list of ${channels}-channel pixels; got ${pixels.length} values.`,
      'invalid',
    )
  }
  const counts = new Float64Array(channels * 256)
  for (let i = 0; i < pixels.length; i += channels) {
    for (let c = 0; c < channels; c++) counts[c * 256 + pixels[i + c]!]!++
  }
  const n = pixels.length / channels
  const mean: number[] = []
  const std: number[] = []
  for (let c = 0; c < channels; c++) {
    let sum = 0
    for (let v = 0; v < 256; v++) sum += counts[c * 256 + v]! * v
    const m = sum / n / 255
    let squares = 0
    for (let v = 0; v < 256; v++) squares += counts[c * 256 + v]! * (v / 255 - m) ** 2
    mean.push(m)
    std.push(Math.sqrt(squares / n) || 1)
  }
  return { mean, std }
}

/**
 * The upright image (EXIF applied) as S×S×C uint8: scaled to cover the square and centre-cropped, so the
 * aspect ratio is kept; transparency flattened onto white, as the thumbnails show it.
 */
export async function renderTrainingPixels(
  upright: Sharp,
  imageSize: number,
  channels: Channels,
): Promise<Buffer> {
  const square = upright
    .resize(imageSize, imageSize, { fit: 'cover', position: 'centre' })
    .flatten({ background: '#ffffff' })
  const coloured = channels === 1 ? square.greyscale() : square.toColourspace('srgb')
  const { data, info } = await coloured.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
  if (info.width !== imageSize || info.height !== imageSize || info.channels !== channels) {
    throw new Error(
      `decoding gave ${info.width}×${info.height}×${info.channels} instead of ${imageSize}×${imageSize}×${channels}`,
    )
  }
  return data
}

function checkOptions(options: LoadTrainingTensorsOptions): void {
  const { imageSize, channels, datasetId } = options
  if (!Number.isSafeInteger(datasetId) || datasetId < 1) {
    throw new TrainingDataError(
      `${String(datasetId)} is not a dataset id (a positive whole number).`,
      'invalid',
    )
  }
  if (!Number.isSafeInteger(imageSize) || imageSize < MIN_IMAGE_SIZE || imageSize > MAX_IMAGE_SIZE) {
    throw new TrainingDataError(
      `The image size must be a whole number of pixels from ${MIN_IMAGE_SIZE} to ${MAX_IMAGE_SIZE}, not ${String(imageSize)}.`,
      'invalid',
    )
  }
  if (channels !== 1 && channels !== 3) {
    throw new TrainingDataError(
      `Images are trained in 1 (greyscale) or 3 (colour) channels, not ${String(channels)}.`,
      'invalid',
    )
  }
}

/** One typed array holds at most buffer.constants.MAX_LENGTH bytes: say so before decoding anything. */
function checkFits(count: number, frame: number, imageSize: number, channels: Channels): void {
  const bytes = count * frame
  if (bytes <= bufferConstants.MAX_LENGTH) return
  const gb = (n: number): string => `${Math.round(n / 1e8) / 10} GB`
  throw new TrainingDataError(
    `${count} images of ${imageSize}×${imageSize}×${channels} need ${gb(bytes)} of pixels, more than the ${gb(bufferConstants.MAX_LENGTH)} one array can hold; choose a smaller image size.`,
    'too-large',
  )
}

function listTrainingImages(db: Db, datasetId: number): TrainingImage[] {
  return listTrainableImages(db, datasetId)
}

function listDatasetHashes(db: Db, datasetId: number): string[] {
  return listImageHashes(db, datasetId)
}

/** Decodes the images with a small pool; stops taking new ones once the signal aborts. */
async function decodeAll(
  images: readonly TrainingImage[],
  options: LoadTrainingTensorsOptions,
  decoded: Map<string, Uint8Array>,
  unreadable: UnreadableImage[],
): Promise<void> {
  const { imageSize, channels, signal, onProgress } = options
  const interval = options.progressIntervalMs ?? PROGRESS_INTERVAL_MS
  const total = images.length
  let done = 0
  let lastEmit = performance.now()
  onProgress?.({ done, total })
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < images.length && !signal?.aborted) {
      const img = images[next++]!
      const result = await decodeSource(img, imageSize, channels)
      if (typeof result === 'string') unreadable.push({ id: img.id, path: img.path, reason: result })
      else decoded.set(img.hash, result)
      done++
      const now = performance.now()
      if (onProgress && now - lastEmit >= interval && done < total) {
        lastEmit = now
        onProgress({ done, total })
      }
    }
  }
  const width = Math.max(1, Math.min(options.concurrency ?? DEFAULT_CONCURRENCY, images.length))
  await Promise.all(Array.from({ length: width }, worker))
  unreadable.sort((a, b) => a.id - b.id)
  if (total > 0) onProgress?.({ done, total })
}

/**
 * The image's pixels as training gets them (imageSize² × channels), or why its file cannot give them (gone,
 * changed since import, not decodable). Other errors (out of memory…) propagate. The augmentation preview
 * decodes with it too, so it shows what the networks are given.
 */
export async function decodeSource(
  img: Pick<TrainingImage, 'path' | 'hash'>,
  imageSize: number,
  channels: Channels,
): Promise<Uint8Array | string> {
  let bytes: Buffer
  try {
    bytes = await readFileBounded(img.path, { maxBytes: MAX_PICTURE_BYTES })
  } catch (err) {
    if (!(err instanceof FileRefusedError)) throw err
    return err.detail === 'the file does not exist' ? 'the file no longer exists' : refusalText(err)
  }
  // the cache is keyed by the imported bytes' hash: pixels of other bytes must never be filed under it
  if (createHash('sha256').update(bytes).digest('hex') !== img.hash) {
    return 'the file has changed since it was imported; import it again'
  }
  try {
    const { output } = await decodeImage(bytes, (upright) =>
      renderTrainingPixels(upright, imageSize, channels),
    )
    return output
  } catch (err) {
    if (err instanceof ImageRejectedError) return err.message
    throw err
  }
}

function unreadableError(datasetName: string, images: UnreadableImage[]): TrainingDataError {
  const shown = images.slice(0, 10).map((u) => `${u.path} (${u.reason})`)
  if (images.length > shown.length) shown.push(`and ${images.length - shown.length} more`)
  const count = images.length === 1 ? '1 image' : `${images.length} images`
  return new TrainingDataError(
    `${count} of dataset '${datasetName}' cannot be read for training: ${shown.join('; ')}. ` +
      `Restore the files, or check for missing files so they are left out, then try again.`,
    'unreadable-images',
    images,
  )
}

function cancelled(): TrainingDataError {
  return new TrainingDataError('Preparing the training images was cancelled.', 'cancelled')
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function cachedFrame(contents: CacheContents, hash: string, frame: number): Uint8Array {
  const offset = contents.offsets.get(hash)!
  return contents.body.subarray(offset, offset + frame)
}

/*
 * File layout: 'COHORTTC', a uint32 LE header length, the header as JSON, then the frames of `hashes` in
 * order. The header holds a sha256 of the frames, so a torn or bit-rotten file is caught, not trained on.
 */
interface CacheHeader {
  recipe: string
  imageSize: number
  channels: number
  bodySha256: string
  hashes: string[]
}

/** The cache's contents, or null with the reason it cannot be trusted (null reason: there is no file). */
async function readCacheFile(
  file: string,
  imageSize: number,
  channels: Channels,
): Promise<{ contents: CacheContents | null; problem: string | null }> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { contents: null, problem: null }
    return { contents: null, problem: `unreadable (${(err as Error).message})` }
  }
  const bad = (problem: string): { contents: null; problem: string } => ({ contents: null, problem })
  if (bytes.length < PREFIX_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    return bad('not a tensor cache file')
  }
  const headerBytes = bytes.readUInt32LE(MAGIC.length)
  if (PREFIX_BYTES + headerBytes > bytes.length) return bad('truncated header')
  let header: CacheHeader
  try {
    header = JSON.parse(bytes.toString('utf8', PREFIX_BYTES, PREFIX_BYTES + headerBytes)) as CacheHeader
  } catch {
    return bad('damaged header')
  }
  if (
    typeof header !== 'object' ||
    header === null ||
    header.recipe !== RECIPE ||
    header.imageSize !== imageSize ||
    header.channels !== channels ||
    typeof header.bodySha256 !== 'string' ||
    !Array.isArray(header.hashes) ||
    !header.hashes.every((h) => typeof h === 'string' && HASH_PATTERN.test(h))
  ) {
    return bad('header of another format or size')
  }
  const frame = imageSize * imageSize * channels
  const body = bytes.subarray(PREFIX_BYTES + headerBytes)
  if (body.length !== header.hashes.length * frame) {
    return bad(
      `${body.length} bytes of pixels where ${header.hashes.length} images need ${header.hashes.length * frame}`,
    )
  }
  if (createHash('sha256').update(body).digest('hex') !== header.bodySha256)
    return bad('pixels do not match their checksum')
  const offsets = new Map(header.hashes.map((h, i) => [h, i * frame]))
  if (offsets.size !== header.hashes.length) return bad('duplicate entries')
  return { contents: { offsets, body }, problem: null }
}

/** Writes the file under a temporary name and renames it, so readers see the old file or the new one. */
async function writeCacheFile(
  file: string,
  imageSize: number,
  channels: Channels,
  hashes: readonly string[],
  frameOf: (hash: string) => Uint8Array,
): Promise<void> {
  const frame = imageSize * imageSize * channels
  const body = Buffer.allocUnsafe(hashes.length * frame)
  hashes.forEach((h, i) => body.set(frameOf(h), i * frame))
  const header: CacheHeader = {
    recipe: RECIPE,
    imageSize,
    channels,
    bodySha256: createHash('sha256').update(body).digest('hex'),
    hashes: [...hashes],
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const prefix = Buffer.alloc(PREFIX_BYTES)
  MAGIC.copy(prefix)
  prefix.writeUInt32LE(json.length, MAGIC.length)
  await mkdir(dirname(file), { recursive: true })
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const handle = await open(temp, 'w')
    try {
      // writeFile on a handle loops until all is written and continues at the current position
      for (const part of [prefix, json, body]) await handle.writeFile(part)
    } finally {
      await handle.close()
    }
    // no fsync: a file torn by a crash fails its checksum on the next load and is rebuilt
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}
