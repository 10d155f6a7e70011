import type { Db } from './db'

export interface LabelRow {
  id: number
  dataset_id: number
  name: string
}

/** The label with this name in the dataset, created if absent. */
export function ensureLabel(db: Db, datasetId: number, name: string): LabelRow {
  db.prepare('INSERT OR IGNORE INTO labels (dataset_id, name) VALUES (?, ?)').run(datasetId, name)
  return db
    .prepare<[number, string], LabelRow>('SELECT id, dataset_id, name FROM labels WHERE dataset_id = ? AND name = ?')
    .get(datasetId, name)!
}
