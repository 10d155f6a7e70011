import { join } from 'node:path'
import type { CohortService } from '../../src/core/service'
import type { RunSummary } from '../../src/shared/types'
import type { TrainingSettingsInput } from '../../src/shared/training-settings'
import { makeLabelledFolder } from './labelled-folder'

/** The smallest settings that still train a real group: 16 px, 2 epochs, quarter-width networks. */
export const TINY_SETTINGS = {
  imageSize: 16,
  channels: 3,
  networks: [
    { arch: 'cnn', width: 0.25 },
    { arch: 'resnet-8', width: 0.25 },
  ],
  batchSize: 8,
  epochs: 2,
} satisfies Omit<TrainingSettingsInput, 'dataset'>

/**
 * Imports a folder of coloured squares (`perLabel` images per label) as `dataset`, splits it with
 * validation and test, and trains one tiny run to completion with the real trainer process.
 */
export async function trainTinyRun(
  service: CohortService,
  root: string,
  dataset = 'squares',
  perLabel: Record<string, number> = { red: 12, green: 12, blue: 12 },
): Promise<{ datasetId: number; run: RunSummary }> {
  const folder = join(root, dataset)
  await makeLabelledFolder(folder, perLabel, 16)
  await service['imports.folder']({ folder, dataset })
  const datasetId = (await service['datasets.list']()).find((d) => d.name === dataset)!.id
  await service['splits.apply']({ datasetId, validation: 0.25, test: 0.25, seed: 1 })
  const started = await service['runs.start']({ dataset: datasetId, ...TINY_SETTINGS })
  const run = await service['runs.wait'](started.id)
  if (run.status !== 'completed') throw new Error(`the tiny run ended ${run.status}: ${run.message}`)
  return { datasetId, run }
}
