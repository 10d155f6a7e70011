import { readFile } from 'node:fs/promises'
import { MAX_PICTURE_BYTES, readFileBounded } from '../files/read'
import type { Sharp } from 'sharp'
import type { ImageRecord } from '../../shared/types'
import { decodeImage } from '../dataset/decode'
import { renderThumbnail, saveThumbnail, thumbnailPath } from '../dataset/thumbnails'

export interface ImageFile {
  data: Buffer
  contentType: string
}

/** Formats every browser engine shows as they are; others are re-encoded for display. */
const SHOWN_AS_IS: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  bmp: 'image/bmp',
}
const PREVIEW_SIZE = 2048

/** The cached thumbnail, re-made from the source when the cache was cleared. */
export async function thumbnailFile(thumbnailsDir: string, image: ImageRecord): Promise<ImageFile | null> {
  try {
    return { data: await readFile(thumbnailPath(thumbnailsDir, image.hash)), contentType: 'image/jpeg' }
  } catch {
    if (image.status !== 'ok') return null
    try {
      const source = await readFileBounded(image.sourcePath, { maxBytes: MAX_PICTURE_BYTES })
      const made = await decodeImage(source, renderThumbnail)
      await saveThumbnail(thumbnailsDir, image.hash, made.output)
      return { data: made.output, contentType: 'image/jpeg' }
    } catch {
      return null
    }
  }
}

/** The picture itself for a large preview: original bytes, or a JPEG for TIFF/HEIF. */
export async function fullImageFile(image: ImageRecord): Promise<ImageFile | null> {
  if (image.status !== 'ok') return null
  try {
    const bytes = await readFileBounded(image.sourcePath, { maxBytes: MAX_PICTURE_BYTES })
    const type = SHOWN_AS_IS[image.format]
    if (type) return { data: bytes, contentType: type }
    const preview = (upright: Sharp): Promise<Buffer> =>
      upright
        .resize(PREVIEW_SIZE, PREVIEW_SIZE, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 90 })
        .toBuffer()
    return { data: (await decodeImage(bytes, preview)).output, contentType: 'image/jpeg' }
  } catch {
    return null
  }
}
