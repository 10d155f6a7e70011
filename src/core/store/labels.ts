import type { LabelSummary } from '../../shared/types'
import type { Db } from './db'
import { datasetSummary, requireDataset } from './datasets'
import { StoreError } from './errors'
import { clearHistory } from './history'
import { cleanName, nameKey } from './names'
import { isLabelColor, LABEL_COLORS } from '../../shared/label-colours'

export interface LabelRow {
  id: number
  dataset_id: number
  name: string
  /** the key (1–9) that gives a picture this label in every view; null past the ninth */
  key: number | null
  /** the colour the person chose (one of LABEL_COLORS); null: the default by id */
  colour: string | null
}

/** Label keys run 1–9: one row of number keys. */
export const LABEL_KEYS = 9

const SELECT_ROW = 'SELECT id, dataset_id, name, key, colour FROM labels'

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
  // the lowest free key: a new label never takes another's key or renumbers the others
  const { lastInsertRowid } = db
    .prepare('INSERT INTO labels (dataset_id, name, key) VALUES (?, ?, ?)')
    .run(datasetId, name, freeKeys(db, datasetId)[0] ?? null)
  return findLabelById(db, Number(lastInsertRowid))!
}

/** The keys 1–9 no label of the dataset has, lowest first. */
function freeKeys(db: Db, datasetId: number): number[] {
  const used = new Set(
    db
      .prepare<[number], { key: number }>('SELECT key FROM labels WHERE dataset_id = ? AND key IS NOT NULL')
      .all(datasetId)
      .map((r) => r.key),
  )
  return Array.from({ length: LABEL_KEYS }, (_, i) => i + 1).filter((k) => !used.has(k))
}

/**
 * Gives the label key `key` (1–9), or none with null. A key another label has is swapped: that label
 * takes this one's old key, so no two labels share a key and no other label changes.
 */
export function setLabelKey(db: Db, labelId: number, key: number | null): LabelRow {
  if (key !== null && (!Number.isInteger(key) || key < 1 || key > LABEL_KEYS)) {
    throw new StoreError(`A label key is a number from 1 to ${LABEL_KEYS}; got ${String(key)}.`, 'invalid')
  }
  const label = requireLabel(db, labelId)
  db.transaction(() => {
    const holder = key === null ? undefined : labelAtKey(db, label.dataset_id, key)
    if (holder && holder.id === label.id) return
    const set = db.prepare('UPDATE labels SET key = ? WHERE id = ?')
    set.run(null, label.id)
    if (holder) set.run(label.key, holder.id)
    set.run(key, label.id)
  })()
  return findLabelById(db, labelId)!
}

/** Gives the label one of the palette's colours (null: back to its default colour). */
export function setLabelColour(db: Db, labelId: number, colour: string | null): LabelRow {
  if (colour !== null && !isLabelColor(colour)) {
    throw new StoreError(
      `A label colour is one of ${LABEL_COLORS.join(', ')}; got ${JSON.stringify(colour)}.`,
      'invalid',
    )
  }
  requireLabel(db, labelId)
  db.prepare('UPDATE labels SET colour = ? WHERE id = ?').run(colour, labelId)
  return findLabelById(db, labelId)!
}

function labelAtKey(db: Db, datasetId: number, key: number): LabelRow | undefined {
  return db
    .prepare<[number, number], LabelRow>(`${SELECT_ROW} WHERE dataset_id = ? AND key = ?`)
    .get(datasetId, key)
}

/**
 * Hands the keys that the labels `labelIds` (all new, from one import) were given out again in their
 * name order, so a folder's labels get keys by name whatever order their files arrived in; other
 * labels keep theirs.
 */
export function orderNewLabelKeys(db: Db, labelIds: readonly number[]): void {
  if (labelIds.length < 2) return
  db.transaction(() => {
    const rows = labelIds.map((id) => findLabelById(db, id)).filter((r): r is LabelRow => r !== undefined)
    const keys = rows
      .map((r) => r.key)
      .filter((k): k is number => k !== null)
      .sort((a, b) => a - b)
    const byName = [...rows].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const set = db.prepare('UPDATE labels SET key = ? WHERE id = ?')
    for (const r of rows) set.run(null, r.id)
    byName.forEach((r, i) => set.run(keys[i] ?? null, r.id))
  })()
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
