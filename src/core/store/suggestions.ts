/**
 * The cached suggestions of runs for the unlabelled pictures of their dataset (table `suggestions`,
 * migration 5). A suggestion is never a label: accepting one writes the image's label through the history.
 */
import type { SuggestionFilter } from '../../shared/types'
import type { Db } from './db'
import { checkIds } from './image-queries'

/** What a run answered for one picture; `label` null when the picture could not be read (`error` says why). */
export interface SuggestionRow {
  imageId: number
  label: string | null
  confidence: number
  agree: boolean
  /** networks × classes, row-major; null when unreadable */
  probabilities: Float32Array | null
  error: string | null
}

/** A readable picture's suggestion as the orderings and the API need it. */
export interface StoredSuggestion {
  imageId: number
  path: string
  label: string
  confidence: number
  agree: boolean
  probabilities: Float32Array
}

/**
 * The dataset's latest completed run (the one whose suggestions are shown), or null; never a run made only to
 * compare with (a group's networks trained alone, `aloneFor`).
 */
export function latestCompletedRun(db: Db, datasetId: number): number | null {
  const row = db
    .prepare<[number], { id: number }>(
      "SELECT id FROM runs WHERE dataset_id = ? AND status = 'completed' " +
        "AND json_extract(config_json, '$.aloneFor') IS NULL ORDER BY id DESC LIMIT 1",
    )
    .get(datasetId)
  return row?.id ?? null
}

/** Unlabelled pictures of the dataset (not missing) that the run has not answered for yet. */
export function picturesWithoutSuggestion(
  db: Db,
  runId: number,
  datasetId: number,
): { id: number; path: string }[] {
  return db
    .prepare<[number, number], { id: number; path: string }>(
      `SELECT i.id, i.source_path AS path FROM images i
        WHERE i.dataset_id = ? AND i.label_id IS NULL AND i.status = 'ok'
          AND NOT EXISTS (SELECT 1 FROM suggestions s WHERE s.run_id = ? AND s.image_id = i.id)
        ORDER BY i.id`,
    )
    .all(datasetId, runId)
}

/** Every picture id of the dataset: what a run of it may answer for. */
export function datasetImageIds(db: Db, datasetId: number): Set<number> {
  const rows = db
    .prepare<[number], { id: number }>('SELECT id FROM images WHERE dataset_id = ?')
    .all(datasetId)
  return new Set(rows.map((r) => r.id))
}

/** Stores the run's answers in one transaction: all of them or, if anything fails, none. */
export function saveSuggestions(db: Db, runId: number, rows: readonly SuggestionRow[]): void {
  // an image deleted meanwhile, or one of another dataset than the run's, is skipped
  const insert = db.prepare(
    `INSERT OR REPLACE INTO suggestions (run_id, image_id, label, confidence, agree, probabilities, error)
     SELECT r.id, i.id, ?, ?, ?, ?, ? FROM images i JOIN runs r ON r.dataset_id = i.dataset_id
      WHERE r.id = ? AND i.id = ?`,
  )
  db.transaction(() => {
    for (const r of rows) {
      const blob = r.probabilities
        ? Buffer.from(r.probabilities.buffer, r.probabilities.byteOffset, r.probabilities.byteLength)
        : null
      insert.run(r.label, r.confidence, r.agree ? 1 : 0, blob, r.error, runId, r.imageId)
    }
  })()
}

/** Forgets the suggestions of the dataset's other runs: a newer run's answers replace them. */
export function dropOtherRunsSuggestions(db: Db, datasetId: number, keepRunId: number): number {
  return db
    .prepare(`DELETE FROM suggestions WHERE run_id IN (SELECT id FROM runs WHERE dataset_id = ? AND id != ?)`)
    .run(datasetId, keepRunId).changes
}

/**
 * The run's suggestions for the pictures of its dataset that are unlabelled now (and readable), by image id,
 * optionally only those in `filter`'s split or ids.
 */
export function readSuggestions(
  db: Db,
  runId: number,
  datasetId: number,
  filter: SuggestionFilter = {},
): StoredSuggestion[] {
  const where = ['i.dataset_id = ?', 'i.label_id IS NULL', "i.status = 'ok'", 's.label IS NOT NULL']
  const params: unknown[] = [runId, datasetId]
  if (filter.split !== undefined) {
    where.push('i.split = ?')
    params.push(filter.split)
  }
  if (filter.ids !== undefined) {
    where.push('i.id IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(checkIds(filter.ids)))
  }
  return db
    .prepare<
      unknown[],
      {
        imageId: number
        path: string
        label: string
        confidence: number
        agree: number
        probabilities: Buffer
      }
    >(
      `SELECT s.image_id AS imageId, i.source_path AS path, s.label, s.confidence, s.agree, s.probabilities
         FROM suggestions s JOIN images i ON i.id = s.image_id
        WHERE s.run_id = ? AND ${where.join(' AND ')}
        ORDER BY s.image_id`,
    )
    .all(...params)
    .map((r) => ({
      imageId: r.imageId,
      path: r.path,
      label: r.label,
      confidence: r.confidence,
      agree: r.agree === 1,
      // copied: a Buffer's offset into its pool need not be a multiple of 4
      probabilities: new Float32Array(Uint8Array.from(r.probabilities).buffer),
    }))
}
