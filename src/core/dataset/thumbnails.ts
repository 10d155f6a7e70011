import { randomBytes } from 'node:crypto'
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { Sharp } from 'sharp'

/** Longest side of a thumbnail: enough for a dense grid on a high-DPI screen. */
export const THUMBNAIL_SIZE = 256

/** Thumbnails are keyed by content hash, so identical bytes share one file across datasets and re-imports. */
export function thumbnailPath(thumbnailsDir: string, hash: string): string {
  return join(thumbnailsDir, hash.slice(0, 2), `${hash}.jpg`)
}

export async function hasThumbnail(thumbnailsDir: string, hash: string): Promise<boolean> {
  try {
    await access(thumbnailPath(thumbnailsDir, hash))
    return true
  } catch {
    return false
  }
}

/** Encodes the upright image as the thumbnail JPEG (transparent areas on white, as a viewer shows them). */
export function renderThumbnail(upright: Sharp): Promise<Buffer> {
  return upright
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 80 })
    .toBuffer()
}

/**
 * Writes through a temporary name and renames, so a killed import never leaves a half-written
 * thumbnail under the final name (which would be trusted forever, since it is keyed by hash).
 */
export async function saveThumbnail(thumbnailsDir: string, hash: string, jpeg: Buffer): Promise<string> {
  const file = thumbnailPath(thumbnailsDir, hash)
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, jpeg).catch(async (err: NodeJS.ErrnoException) => {
      // the shard folder is created on first use (or again if someone cleared the cache meanwhile)
      if (err.code !== 'ENOENT') throw err
      await mkdir(dirname(file), { recursive: true })
      await writeFile(temp, jpeg)
    })
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
  return file
}
