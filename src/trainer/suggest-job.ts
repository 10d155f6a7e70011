/**
 * A suggest job, as the trainer process does it: a completed run's final model answers for the unlabelled
 * pictures of its dataset that it has no suggestion for yet. It only reads the library; the app checks the
 * answers and writes them in one transaction, so a job that dies leaves the cache as it was.
 */
import { join } from 'node:path'
import { initBackend } from '../core/engine/backend'
import { disposeModelBundle, readModelBundle } from '../core/engine/model-metadata'
import type { LibraryPaths } from '../core/paths'
import type { Db } from '../core/store/db'
import { requireRun } from '../core/store/runs'
import { picturesWithoutSuggestion, type SuggestionRow } from '../core/store/suggestions'
import { suggestLabels } from '../core/suggestions/compute'
import { runDirectory } from '../core/training/run-folder'
import type { WireSuggestion } from '../shared/trainer-protocol'

export interface SuggestJobHooks {
  signal: AbortSignal
  onProgress: (progress: { done: number; total: number }) => void
}

/** Rows per 'suggest.rows' message: a few hundred keep every message well under a megabyte. */
export const ROWS_PER_MESSAGE = 256

export function toWire(row: SuggestionRow): WireSuggestion {
  return { ...row, probabilities: row.probabilities ? Array.from(row.probabilities) : null }
}

/** The run's answers for its dataset's pictures without one (none when every picture has one). */
export async function runSuggestJob(
  ctx: { db: Db; paths: LibraryPaths },
  runId: number,
  hooks: SuggestJobHooks,
): Promise<SuggestionRow[]> {
  const run = requireRun(ctx.db, runId)
  if (run.status !== 'completed') {
    throw new Error(`Run ${runId} has no trained model (it is ${run.status}).`)
  }
  const missing = picturesWithoutSuggestion(ctx.db, runId, run.datasetId)
  if (missing.length === 0) return []
  await initBackend()
  const bundle = await readModelBundle(join(runDirectory(ctx.paths, runId), 'final'))
  try {
    return await suggestLabels(bundle, missing, hooks)
  } finally {
    disposeModelBundle(bundle)
  }
}
