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
