/**
 * Fashion-MNIST as an ordinary folder of labelled PNGs, so the experiment, the demo and the bundled sample go
 * through the same import pipeline as a person's own pictures.
 */
import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { safeFileName } from './export-folder'
import { plainErrorText } from '../files/read'
import { FASHION_MNIST_SIZE, readFashionMnist, type FashionMnist } from './idx'
import { mulberry32 } from './split'

/** PNG encodes in flight: sharp encodes on libuv's threads, and two cores are all there is to keep busy. */
const WRITE_CONCURRENCY = 4

export class FashionMnistFolderError extends Error {
  override name = 'FashionMnistFolderError'
}

export interface FashionMnistFolderOptions {
  split: 'train' | 'test'
  /** images per class, the first ones of a seeded permutation; all of the split when absent */
  perClass?: number
  /** seed of that permutation (default 1) */
  seed?: number
  /** already loaded data, or the folder to read it from (default Debian's) */
  source?: FashionMnist | string
  signal?: AbortSignal
}

export interface FashionMnistFolderReport {
  /** PNG files written */
  files: number
  /** class name → folder name under outDir (e.g. 'T-shirt/top' → 'T-shirt_top') */
  folders: Record<string, string>
  /** index of each written image in the IDX split, by folder name, in permutation order */
  indices: Record<string, number[]>
}

/**
 * Writes `outDir/<class folder>/<index>.png` (28×28 greyscale; `index` is the image's position in the IDX
 * file, zero-padded, so every file traces back to its source). `outDir` must be absent or empty, so a
 * folder never mixes two selections.
 */
export async function writeFashionMnistFolder(
  outDir: string,
  options: FashionMnistFolderOptions,
): Promise<FashionMnistFolderReport> {
  const { split, perClass, seed = 1 } = options
  if (split !== 'train' && split !== 'test') {
    throw new FashionMnistFolderError(
      `Fashion-MNIST has a 'train' and a 'test' split, not '${String(split)}'.`,
    )
  }
  if (perClass !== undefined && (!Number.isSafeInteger(perClass) || perClass < 1)) {
    throw new FashionMnistFolderError(`Images per class must be a whole number ≥ 1, not ${String(perClass)}.`)
  }
  if (!Number.isSafeInteger(seed)) {
    throw new FashionMnistFolderError(`The seed must be a whole number, not ${String(seed)}.`)
  }
  await requireEmptyFolder(outDir)
  const data = typeof options.source === 'object' ? options.source : await readFashionMnist(options.source)
  const { images, labels } = data[split]
  const chosen = chooseImages(labels, data.classNames.length, perClass, seed)
  const short = chosen.flat().length < data.classNames.length * (perClass ?? 0)
  if (short) {
    throw new FashionMnistFolderError(
      `The ${split} split has fewer than ${perClass} images in some class; ask for fewer per class.`,
    )
  }

  const folders: Record<string, string> = {}
  const indices: Record<string, number[]> = {}
  data.classNames.forEach((name, c) => {
    const folder = safeFileName(name)
    folders[name] = folder
    indices[folder] = chosen[c]!
  })
  await Promise.all(Object.values(folders).map((folder) => mkdir(join(outDir, folder), { recursive: true })))

  const digits = String(labels.length - 1).length
  const jobs = chosen.flatMap((list, c) =>
    list.map((index) => ({ index, folder: folders[data.classNames[c]!]! })),
  )
  const frame = FASHION_MNIST_SIZE * FASHION_MNIST_SIZE
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      if (options.signal?.aborted)
        throw new FashionMnistFolderError('Writing Fashion-MNIST images was cancelled.')
      const { index, folder } = jobs[next++]!
      const pixels = images.subarray(index * frame, (index + 1) * frame)
      await sharp(pixels, { raw: { width: FASHION_MNIST_SIZE, height: FASHION_MNIST_SIZE, channels: 1 } })
        // without this sharp writes the grey pixels as an RGB PNG: three times the bytes
        .toColourspace('b-w')
        .png({ compressionLevel: 9 })
        .toFile(join(outDir, folder, `${String(index).padStart(digits, '0')}.png`))
    }
  }
  await Promise.all(Array.from({ length: WRITE_CONCURRENCY }, worker))
  return { files: jobs.length, folders, indices }
}

/**
 * Per class, the image indices to write: the first `perClass` of each class in a seeded permutation of the
 * whole split (all of the class, in that order, when `perClass` is absent).
 */
export function chooseImages(
  labels: Uint8Array,
  classCount: number,
  perClass: number | undefined,
  seed: number,
): number[][] {
  const order = Array.from({ length: labels.length }, (_, i) => i)
  const random = mulberry32(seed >>> 0)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  const chosen: number[][] = Array.from({ length: classCount }, () => [])
  for (const index of order) {
    const list = chosen[labels[index]!]!
    if (perClass === undefined || list.length < perClass) list.push(index)
  }
  return chosen
}

async function requireEmptyFolder(dir: string): Promise<void> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return []
    throw new FashionMnistFolderError(`Cannot use ${dir} as the output folder: ${plainErrorText(err)}`)
  })
  if (entries.length > 0) {
    throw new FashionMnistFolderError(
      `The output folder ${dir} is not empty; choose an empty or new folder so no old images mix in.`,
    )
  }
}
