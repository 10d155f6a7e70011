import { join } from 'node:path'
import sharp from 'sharp'
import { makeLabelledFolder } from './labelled-folder'

/**
 * A folder with one sub-folder per label and `loose` unlabelled PNGs at its top level
 * (real, distinct images: the import decodes them and makes thumbnails).
 */
export async function makeDatasetFolder(
  root: string,
  perLabel: Record<string, number>,
  loose: number,
  size = 24,
): Promise<void> {
  await makeLabelledFolder(root, perLabel, size)
  for (let i = 0; i < loose; i++) {
    await sharp({
      create: { width: size, height: size, channels: 3, background: { r: 250 - i * 7, g: 30, b: i * 11 } },
    })
      .png()
      .toFile(join(root, `loose-${String(i).padStart(2, '0')}.png`))
  }
}
