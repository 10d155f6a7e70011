import type { LabelSummary } from '../../shared/types'
import type { Db } from './db'
import { datasetSummary, requireDataset } from './datasets'
import { StoreError } from './errors'
import { clearHistory } from './history'
import { cleanName, nameKey } from './names'

export interface LabelRow {
  id: number
  dataset_id: number
  name: string
}

const SELECT_ROW = 'SELECT id, dataset_id, name FROM labels'

/** The dataset's label that `name` means: same letters ignoring case (any script). */
export function findLabel(db: Db, datasetId: number, name: string): LabelRow | undefined {
  const key = nameKey(name)
  // labels per dataset are few; comparing in JS gets Unicode case folding SQLite's NOCASE lacks
  return db
    .prepare<[number], LabelRow>(`${SELECT_ROW} WHERE dataset_id = ?`)
    .all(datasetId)
    .find((l) => nameKey(l.name) === key)
}

export function findLabelById(db: Db, labelId: number): LabelRow | undefined {
  return db.prepare<[number], LabelRow>(`${SELECT_ROW} WHERE id = ?`).get(labelId)
}

export function requireLabel(db: Db, labelId: number): LabelRow {
  const label = findLabelById(db, labelId)
  if (!label) throw new StoreError(`No label with id ${labelId}.`, 'not-found')
  return label
}

export function createLabel(db: Db, datasetId: number, rawName: string): LabelRow {
  const dataset = requireDataset(db, datasetId)
  const name = cleanName('label', rawName)
  const clash = findLabel(db, datasetId, name)
  if (clash) {
    throw new StoreError(`The dataset '${dataset.name}' already has a label '${clash.name}'.`, 'duplicate')
  }
  const { lastInsertRowid } = db
    .prepare('INSERT INTO labels (dataset_id, name) VALUES (?, ?)')
    .run(datasetId, name)
  return findLabelById(db, Number(lastInsertRowid))!
}

/** The label with this name in the dataset (matched ignoring case), created if absent. */
export function ensureLabel(db: Db, datasetId: number, rawName: string): LabelRow {
  const name = cleanName('label', rawName)
  return findLabel(db, datasetId, name) ?? createLabel(db, datasetId, name)
}

export function renameLabel(db: Db, labelId: number, rawNewName: string): LabelRow {
  const label = requireLabel(db, labelId)
  const name = cleanName('label', rawNewName)
  const clash = findLabel(db, label.dataset_id, name)
  // changing only the case of its own name is fine
  if (clash && clash.id !== labelId) {
    throw new StoreError(
      `Cannot rename '${label.name}' to '${name}': the dataset already has a label '${clash.name}'. Merge them instead.`,
      'duplicate',
    )
  }
  db.prepare('UPDATE labels SET name = ? WHERE id = ?').run(name, labelId)
  return findLabelById(db, labelId)!
}

/**
 * Moves every image of `fromLabelId` to `intoLabelId` and deletes the source label. Clears the
 * dataset's undo history (see clearHistory). Returns how many images moved.
 */
export function mergeLabels(db: Db, fromLabelId: number, intoLabelId: number): number {
  const from = requireLabel(db, fromLabelId)
  const into = requireLabel(db, intoLabelId)
  if (from.dataset_id !== into.dataset_id) {
    throw new StoreError(
      `Cannot merge '${from.name}' into '${into.name}': they belong to different datasets.`,
      'invalid',
    )
  }
  if (from.id === into.id)
    throw new StoreError(`Cannot merge the label '${from.name}' into itself.`, 'invalid')
  return db.transaction(() => {
    clearHistory(db, from.dataset_id)
    const { changes } = db.prepare('UPDATE images SET label_id = ? WHERE label_id = ?').run(into.id, from.id)
    db.prepare('DELETE FROM labels WHERE id = ?').run(from.id)
    return changes
  })()
}

/**
 * Deletes the label; its images become unlabelled (the schema's ON DELETE SET NULL). Clears the
 * dataset's undo history. Returns how many images lost the label.
 */
export function deleteLabel(db: Db, labelId: number): number {
  const label = requireLabel(db, labelId)
  return db.transaction(() => {
    clearHistory(db, label.dataset_id)
    const { count } = db
      .prepare<[number], { count: number }>('SELECT COUNT(*) AS count FROM images WHERE label_id = ?')
      .get(labelId)!
    db.prepare('DELETE FROM labels WHERE id = ?').run(labelId)
    return count
  })()
}

/** The dataset's labels with their image counts (all and in the training split), by name. */
export function listLabels(db: Db, datasetId: number): LabelSummary[] {
  return datasetSummary(db, datasetId).labels
}

/** The dataset's label names in code-point order. */
export function listLabelNames(db: Db, datasetId: number): string[] {
  return db
    .prepare<[number], { name: string }>('SELECT name FROM labels WHERE dataset_id = ? ORDER BY name')
    .all(datasetId)
    .map((r) => r.name)
}
