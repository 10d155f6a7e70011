import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import type { CohortService } from '../../src/core/service'

/**
 * A small folder of real PNGs, one sub-folder per label, each image distinct
 * (a coloured square with a label-specific hue and a per-image shade).
 */
export async function makeLabelledFolder(
  root: string,
  perLabel: Record<string, number>,
  size = 24,
): Promise<string[]> {
  const written: string[] = []
  let hue = 0
  for (const [label, count] of Object.entries(perLabel)) {
    mkdirSync(join(root, label), { recursive: true })
    hue += 70
    for (let i = 0; i < count; i++) {
      const file = join(root, label, `${label}-${i}.png`)
      await sharp({
        create: {
          width: size,
          height: size,
          channels: 3,
          background: { r: hue % 256, g: (i * 9) % 256, b: (hue * 3 + i) % 256 },
        },
      })
        .png()
        .toFile(file)
      written.push(file)
    }
  }
  return written
}

/** Pictures whose left and right differ (a gradient and a mark in one corner), so a mirror image shows. */
export async function makeAsymmetricFolder(
  root: string,
  perLabel: Record<string, number>,
  size = 40,
): Promise<string[]> {
  const files: string[] = []
  let n = 0
  for (const [label, count] of Object.entries(perLabel)) {
    mkdirSync(join(root, label), { recursive: true })
    for (let i = 0; i < count; i++, n++) {
      const pixels = Buffer.alloc(size * size * 3)
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const at = (y * size + x) * 3
          const mark = x < size / 4 && y < size / 4
          pixels[at] = mark ? 255 : (x * 6) % 256
          pixels[at + 1] = (y * 5 + n * 17) % 256
          pixels[at + 2] = mark ? 0 : (n * 29) % 256
        }
      }
      const file = join(root, label, `${label}-${i}.png`)
      await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
        .png()
        .toFile(file)
      files.push(file)
    }
  }
  return files
}

/**
 * Imports a dataset of 540 tiny pictures with 95 % of them (513) in the validation split: more validation
 * pictures than COVARIANCE_FROM, so a run started on it has its answer weighed by covariance. Returns its id.
 */
export async function importManyValidationPictures(
  service: CohortService,
  folder: string,
  dataset: string,
): Promise<number> {
  await makeLabelledFolder(folder, { red: 180, green: 180, blue: 180 }, 8)
  await service['imports.folder']({ folder, dataset })
  const datasetId = (await service['datasets.list']()).find((d) => d.name === dataset)!.id
  await service['splits.apply']({ datasetId, validation: 0.95, test: 0, seed: 1 })
  return datasetId
}
