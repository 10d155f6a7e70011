/**
 * What the automatic settings need to know about a dataset's pictures (src/shared/automatic-settings.ts):
 * how many, their median shorter side (from the sizes recorded at import) and whether they are grey, decided
 * from a small evenly spread sample decoded at run start, so no store migration is needed and a relabelled or
 * re-split dataset is always judged as it is now.
 */
import type { PictureFacts } from '../../shared/automatic-settings'
import type { Db } from '../store/db'
import { listPictureSizes, type PictureSize } from '../store/image-lists'
import { decodeImage, ImageRejectedError } from './decode'
import { renderTrainingPixels } from './tensor-cache'
import { FileRefusedError, MAX_PICTURE_BYTES, readFileBounded } from '../files/read'

/** Pictures decoded to decide greyscale: enough to meet a colour picture in a mixed folder, fast (≈ 50 ms). */
export const GREY_SAMPLE = 32
/** The size the sample is decoded at: greyness does not depend on detail. */
const SAMPLE_SIDE = 16
/** Largest channel difference still counted as grey: JPEG's colour subsampling leaves a level or two. */
const GREY_TOLERANCE = 3

/** The median of the shorter sides, or null for no pictures. */
export function medianSide(sizes: readonly Pick<PictureSize, 'width' | 'height'>[]): number | null {
  if (sizes.length === 0) return null
  const sides = sizes.map((s) => Math.min(s.width, s.height)).sort((a, b) => a - b)
  const mid = sides.length >> 1
  return sides.length % 2 === 1 ? sides[mid]! : (sides[mid - 1]! + sides[mid]!) / 2
}

/** True when every pixel of RGB bytes has its three channels within the tolerance of each other. */
export function isGreyRgb(pixels: Uint8Array): boolean {
  for (let i = 0; i + 2 < pixels.length; i += 3) {
    const r = pixels[i]!
    const g = pixels[i + 1]!
    const b = pixels[i + 2]!
    if (
      Math.abs(r - g) > GREY_TOLERANCE ||
      Math.abs(g - b) > GREY_TOLERANCE ||
      Math.abs(r - b) > GREY_TOLERANCE
    ) {
      return false
    }
  }
  return true
}

/** Up to `count` items spread evenly over the list (first, last and between). */
export function evenSample<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items]
  return Array.from({ length: count }, (_, k) => items[Math.round((k * (items.length - 1)) / (count - 1))]!)
}

/** The picture's RGB pixels at the sample size, or null when it cannot be read now (training will say why). */
async function samplePixels(path: string): Promise<Uint8Array | null> {
  try {
    const bytes = await readFileBounded(path, { maxBytes: MAX_PICTURE_BYTES })
    const { output } = await decodeImage(bytes, (upright) => renderTrainingPixels(upright, SAMPLE_SIDE, 3))
    return output
  } catch (err) {
    if (err instanceof FileRefusedError || err instanceof ImageRejectedError) return null
    throw err
  }
}

export async function pictureFacts(db: Db, datasetId: number, sample = GREY_SAMPLE): Promise<PictureFacts> {
  return factsOfPictures(listPictureSizes(db, datasetId), sample)
}

/** The facts of any list of pictures on disk (a dataset's, or a folder `cohort experiment defaults` reads). */
export async function factsOfPictures(
  pictures: readonly Pick<PictureSize, 'path' | 'width' | 'height'>[],
  sample = GREY_SAMPLE,
): Promise<PictureFacts> {
  let sampled = 0
  let grey = true
  for (const picture of evenSample(pictures, sample)) {
    const pixels = await samplePixels(picture.path)
    if (!pixels) continue
    sampled++
    if (!isGreyRgb(pixels)) {
      grey = false
      break
    }
  }
  return {
    pictures: pictures.length,
    medianSide: medianSide(pictures),
    greyscale: sampled === 0 ? null : grey,
    sampled,
  }
}
