import { join } from 'node:path'
import type { CohortService } from '../../src/core/service'
import { openDatabase } from '../../src/core/store/db'
import { createRun, setRunStatus } from '../../src/core/store/runs'
import { CLASS_NAMES, makeTestBundle, writeColourImage } from './model-bundle'

/**
 * A completed run of the dataset without training it: its row, and a real model bundle (small networks
 * briefly trained on coloured noise) where the run's final model goes. Returns the run's id.
 */
export async function completedTestRun(service: CohortService, datasetId: number): Promise<number> {
  const db = openDatabase(service.paths.db)
  let id: number
  try {
    id = createRun(db, { datasetId, config: {}, classNames: CLASS_NAMES, networks: [] })
    setRunStatus(db, id, 'completed')
  } finally {
    db.close()
  }
  const made = await makeTestBundle(join(service.paths.runs, String(id), 'final'), { runId: id, epochs: 1 })
  for (const m of made.models) m.dispose()
  return id
}

/** `count` pictures of the test bundle's colours, numbered from `first`, written under `folder`. */
export async function colourPictures(folder: string, count: number, first = 0): Promise<string[]> {
  const files: string[] = []
  for (let k = first; k < first + count; k++) {
    const label = CLASS_NAMES[k % CLASS_NAMES.length]!
    files.push(await writeColourImage(join(folder, `${k}.png`), label, { seed: k }))
  }
  return files
}
