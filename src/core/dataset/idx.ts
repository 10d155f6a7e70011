/**
 * Reader for IDX files, the format of MNIST and Fashion-MNIST: two zero bytes, a type byte, the number of
 * dimensions, each dimension as a big-endian uint32, then the values row-major. Files may be gzipped.
 * Also reads the Fashion-MNIST files as Debian installs them.
 */
import { stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'
import { gunzip } from 'node:zlib'
import { FileRefusedError, readFileBounded } from '../files/read'

const gunzipAsync = promisify(gunzip)

/** Fashion-MNIST's largest file is 45 MiB unpacked (26 MiB gzipped); these leave room and bound memory. */
export const MAX_IDX_FILE_BYTES = 256 * 1024 * 1024
export const MAX_IDX_UNPACKED_BYTES = 1024 * 1024 * 1024

/** The one value type Cohort reads: unsigned bytes (pixels and class ids). */
const IDX_UBYTE = 0x08
const IDX_TYPES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'short',
  0x0c: 'int',
  0x0d: 'float',
  0x0e: 'double',
}

export class IdxError extends Error {
  override name = 'IdxError'
}

export interface IdxArray {
  dims: number[]
  /** the values, row-major; a view on the decompressed file, not a copy */
  data: Uint8Array
}

/** True for gzip data (RFC 1952 magic bytes 1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

/**
 * Parses an uncompressed IDX buffer. `name` only labels the error messages. The size must match the header
 * exactly: a short file is truncated, a long one is not what its header says, and neither is trusted.
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (bytes.length < 4) throw new IdxError(`${name} is too short to be an IDX file (${bytes.length} bytes).`)
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')
    throw new IdxError(`${name} is not an IDX file: it starts with ${magic}, an IDX file starts with 00 00.`)
  }
  const type = bytes[2]!
  if (type !== IDX_UBYTE) {
    const known = IDX_TYPES[type]
    throw new IdxError(
      `${name} holds ${known ? `${known} values` : `values of unknown type 0x${type.toString(16).padStart(2, '0')}`}; only unsigned bytes (type 0x08) are supported.`,
    )
  }
  const rank = bytes[3]!
  if (rank === 0) throw new IdxError(`${name} declares 0 dimensions; an IDX array needs at least one.`)
  const headerBytes = 4 + 4 * rank
  if (bytes.length < headerBytes) {
    throw new IdxError(
      `${name} is truncated: its header declares ${rank} dimensions but ends after ${bytes.length} bytes.`,
    )
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false))
  const expected = dims.reduce((n, d) => n * d, 1)
  const actual = bytes.length - headerBytes
  if (actual < expected) {
    throw new IdxError(
      `${name} is truncated: its header declares ${dims.join(' × ')} = ${expected} values but only ${actual} bytes follow.`,
    )
  }
  if (actual > expected) {
    throw new IdxError(
      `${name} has ${actual - expected} bytes more than its header declares (${dims.join(' × ')} = ${expected} values); the file is damaged.`,
    )
  }
  // a plain Uint8Array view (not a Buffer) so callers get exactly the type they were promised
  return { dims, data: new Uint8Array(bytes.buffer, bytes.byteOffset + headerBytes, expected) }
}

/** Parses IDX bytes that may be gzip-compressed (told apart by content, not by file name). */
export async function decodeIdx(bytes: Uint8Array, name = 'IDX data'): Promise<IdxArray> {
  if (!isGzip(bytes)) return parseIdx(bytes, name)
  let raw: Buffer
  try {
    raw = await gunzipAsync(bytes, { maxOutputLength: MAX_IDX_UNPACKED_BYTES })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new IdxError(`${name} unpacks to more than ${MAX_IDX_UNPACKED_BYTES / 2 ** 20} MiB, the limit.`)
    }
    throw new IdxError(`${name} is a damaged or truncated gzip file (${(err as Error).message}).`)
  }
  return parseIdx(raw, name)
}

/** Reads and parses an IDX file, plain or gzipped. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Buffer
  try {
    bytes = await readFileBounded(path, { maxBytes: MAX_IDX_FILE_BYTES })
  } catch (err) {
    if (!(err instanceof FileRefusedError)) throw err
    throw new IdxError(
      `Cannot read the IDX file ${path}: ${err.reason === 'unreadable' ? err.detail : err.message}.`,
    )
  }
  return decodeIdx(bytes, basename(path))
}

/** Where Debian's `dataset-fashion-mnist` package installs the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'

/** Fashion-MNIST's classes in label order (0 … 9), as named by its authors. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const

export const FASHION_MNIST_SIZE = 28

export interface FashionMnistSplit {
  /** N × 28 × 28 grey pixels, row-major */
  images: Uint8Array
  /** N class ids, 0 … 9 */
  labels: Uint8Array
}

export interface FashionMnist {
  train: FashionMnistSplit
  test: FashionMnistSplit
  classNames: string[]
}

/** Reads the four Fashion-MNIST IDX files (gzipped or not) and checks they fit together. */
export async function readFashionMnist(dir: string = FASHION_MNIST_DIR): Promise<FashionMnist> {
  const [train, test] = await Promise.allSettled([
    readFashionSplit(dir, 'train'),
    readFashionSplit(dir, 't10k'),
  ])
  // both decompress in parallel; a problem is reported in file order whichever failed first
  if (train.status === 'rejected') throw train.reason
  if (test.status === 'rejected') throw test.reason
  return { train: train.value, test: test.value, classNames: [...FASHION_MNIST_CLASSES] }
}

async function readFashionSplit(dir: string, prefix: 'train' | 't10k'): Promise<FashionMnistSplit> {
  const [images, labels] = await Promise.all([
    readIdxFile(await findFashionFile(dir, `${prefix}-images-idx3-ubyte`)),
    readIdxFile(await findFashionFile(dir, `${prefix}-labels-idx1-ubyte`)),
  ])
  const [n, h, w] = images.dims
  if (images.dims.length !== 3 || h !== FASHION_MNIST_SIZE || w !== FASHION_MNIST_SIZE) {
    throw new IdxError(
      `${prefix}-images in ${dir} has shape ${images.dims.join(' × ')}; Fashion-MNIST images are N × 28 × 28.`,
    )
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== n) {
    throw new IdxError(
      `${prefix}-labels in ${dir} has shape ${labels.dims.join(' × ')} but there are ${n} images; they must match.`,
    )
  }
  const bad = labels.data.findIndex((label) => label >= FASHION_MNIST_CLASSES.length)
  if (bad >= 0) {
    throw new IdxError(
      `${prefix}-labels in ${dir} gives image ${bad} the class ${labels.data[bad]}; Fashion-MNIST classes are 0 … 9.`,
    )
  }
  return { images: images.data, labels: labels.data }
}

/** The gzipped file as Debian ships it, else an uncompressed copy; a clear hint when neither exists. */
async function findFashionFile(dir: string, stem: string): Promise<string> {
  for (const candidate of [join(dir, `${stem}.gz`), join(dir, stem)]) {
    if (await isFile(candidate)) return candidate
  }
  throw new IdxError(
    `Fashion-MNIST is not installed: ${join(dir, `${stem}.gz`)} does not exist. Install the Debian package ` +
      `dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or pass the folder holding its four IDX files.`,
  )
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  )
}
