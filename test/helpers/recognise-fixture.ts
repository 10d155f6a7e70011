import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createCohortService, type CohortService } from '../../src/core/service'
import { describeNetwork } from '../../src/core/engine/zoo'
import { openDatabase } from '../../src/core/store/db'
import { createRun, setRunStatus } from '../../src/core/store/runs'
import { CLASS_NAMES, makeTestBundle, writeColourImage } from './model-bundle'

export interface RecogniseLibrary {
  service: CohortService
  datasetId: number
  runId: number
  /** real PNG files of each colour label, and their bytes */
  files: Record<string, string>
  bytes: Record<string, Buffer>
}

/**
 * A library with a dataset "colours" and one completed run whose final model is a small trained bundle
 * (the colour networks of test/helpers/model-bundle), without spending a trainer run on it.
 */
export async function recogniseLibrary(root: string): Promise<RecogniseLibrary> {
  const service = await createCohortService({ home: join(root, 'home') })
  const datasetId = (await service['datasets.create']('colours')).id
  const archs = ['cnn', 'resnet-8'] as const
  const networks = archs.map((arch, index) => {
    const d = describeNetwork({ arch, inputSize: 8, channels: 3, classes: 3, width: 0.25 })
    return { index, arch, params: d.params, flops: d.flops }
  })
  const db = openDatabase(service.paths.db)
  try {
    const runId = createRun(db, { datasetId, config: {}, classNames: CLASS_NAMES, networks })
    const made = await makeTestBundle(join(service.paths.runs, String(runId), 'final'), {
      archs: [...archs],
      runId,
    })
    for (const m of made.models) m.dispose()
    setRunStatus(db, runId, 'completed')
    const files: Record<string, string> = {}
    const bytes: Record<string, Buffer> = {}
    for (const [i, label] of CLASS_NAMES.entries()) {
      files[label] = await writeColourImage(join(root, 'photos', `${label}.png`), label, { seed: 80 + i })
      bytes[label] = readFileSync(files[label])
    }
    return { service, datasetId, runId, files, bytes }
  } finally {
    db.close()
  }
}
