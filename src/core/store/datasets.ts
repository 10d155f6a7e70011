import type { DatasetSummary, LabelSummary, Split } from '../../shared/types'
import { SPLITS } from '../../shared/types'
import type { Db } from './db'
import { StoreError } from './errors'
import { nextId } from './ids'
import { cleanName } from './names'

export interface DatasetRow {
  id: number
  name: string
  created_at: string
}

const SELECT_ROW = 'SELECT id, name, created_at FROM datasets'

/** The dataset with this name (case-insensitive, as the schema's NOCASE column compares). */
export function findDataset(db: Db, name: string): DatasetRow | undefined {
  return db.prepare<[string], DatasetRow>(`${SELECT_ROW} WHERE name = ?`).get(name)
}

export function findDatasetById(db: Db, id: number): DatasetRow | undefined {
  return db.prepare<[number], DatasetRow>(`${SELECT_ROW} WHERE id = ?`).get(id)
}

export function createDataset(db: Db, rawName: string): DatasetRow {
  const name = cleanName('dataset', rawName)
  const existing = findDataset(db, name)
  if (existing) throw new StoreError(`A dataset named '${existing.name}' already exists.`, 'duplicate')
  const id = db.transaction(() => {
    const id = nextId(db, 'datasets')
    db.prepare('INSERT INTO datasets (id, name) VALUES (?, ?)').run(id, name)
    return id
  })()
  return findDatasetById(db, id)!
}

/** The dataset with this name, created if absent. */
export function ensureDataset(db: Db, rawName: string): DatasetRow {
  const name = cleanName('dataset', rawName)
  return findDataset(db, name) ?? createDataset(db, name)
}

/**
 * The dataset a person means by `nameOrId`: a name first, then (for the CLI, where everything
 * is text) an id written as digits.
 */
export function requireDataset(db: Db, nameOrId: string | number): DatasetRow {
  const found =
    typeof nameOrId === 'number'
      ? findDatasetById(db, nameOrId)
      : (findDataset(db, nameOrId.trim()) ??
        (/^\d+$/.test(nameOrId.trim()) ? findDatasetById(db, Number(nameOrId)) : undefined))
  if (found) return found
  const names = db.prepare<[], { name: string }>('SELECT name FROM datasets ORDER BY name LIMIT 11').all()
  const known =
    names.length === 0
      ? 'There are no datasets yet.'
      : `Known datasets: ${names
          .slice(0, 10)
          .map((r) => `'${r.name}'`)
          .join(', ')}${names.length > 10 ? ', …' : ''}.`
  const what = typeof nameOrId === 'number' ? `with id ${nameOrId}` : `named '${nameOrId}'`
  throw new StoreError(`No dataset ${what}. ${known}`, 'not-found')
}

export function renameDataset(db: Db, id: number, rawNewName: string): DatasetRow {
  const current = requireDataset(db, id)
  const name = cleanName('dataset', rawNewName)
  const clash = findDataset(db, name)
  // changing only the case of its own name is a rename, not a clash
  if (clash && clash.id !== current.id) {
    throw new StoreError(`A dataset named '${clash.name}' already exists.`, 'duplicate')
  }
  db.prepare(
    "UPDATE datasets SET name = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
  ).run(name, id)
  return findDatasetById(db, id)!
}

/**
 * Deletes the dataset and, through the schema's cascades, its labels, images, history and runs.
 * Originals are never touched; the service removes the runs' folders (see `datasets.remove`).
 */
export function deleteDataset(db: Db, id: number): void {
  requireDataset(db, id)
  db.prepare('DELETE FROM datasets WHERE id = ?').run(id)
}

export function listDatasets(db: Db): DatasetSummary[] {
  return summarise(db, null)
}

export function datasetSummary(db: Db, id: number): DatasetSummary {
  requireDataset(db, id)
  return summarise(db, id)[0]!
}

/** Three GROUP BY queries for every dataset at once (or one), however many datasets there are. */
function summarise(db: Db, onlyId: number | null): DatasetSummary[] {
  // fixed SQL fragments only; the id itself is always bound
  const only = (column: string): string => (onlyId === null ? '' : `WHERE ${column} = ?`)
  const params = onlyId === null ? [] : [onlyId]
  const datasets = db
    .prepare<number[], DatasetRow & { images: number; labelled: number; missing: number }>(
      `SELECT d.id, d.name, d.created_at,
              COUNT(i.id) AS images,
              COUNT(i.label_id) AS labelled,
              COALESCE(SUM(i.status = 'missing'), 0) AS missing
         FROM datasets d LEFT JOIN images i ON i.dataset_id = d.id
        ${only('d.id')}
        GROUP BY d.id
        ORDER BY d.name`,
    )
    .all(...params)
  const labels = db
    .prepare<number[], LabelSummary & { datasetId: number }>(
      `SELECT l.dataset_id AS datasetId, l.id, l.name, l.key, l.colour, COUNT(i.id) AS count,
              COALESCE(SUM(i.split = 'train'), 0) AS trainCount,
              COALESCE(SUM(i.split = 'validation'), 0) AS validationCount,
              COALESCE(SUM(i.split = 'unassigned'), 0) AS unassignedCount
         FROM labels l LEFT JOIN images i ON i.label_id = l.id
        ${only('l.dataset_id')}
        GROUP BY l.id
        ORDER BY l.name`,
    )
    .all(...params)
  const splits = db
    .prepare<number[], { datasetId: number; split: Split; count: number }>(
      `SELECT dataset_id AS datasetId, split, COUNT(*) AS count FROM images
        ${only('dataset_id')}
        GROUP BY dataset_id, split`,
    )
    .all(...params)

  const byId = new Map<number, DatasetSummary>()
  for (const d of datasets) {
    byId.set(d.id, {
      id: d.id,
      name: d.name,
      createdAt: d.created_at,
      imageCount: d.images,
      labeledCount: d.labelled,
      missingCount: d.missing,
      labels: [],
      splits: Object.fromEntries(SPLITS.map((s) => [s, 0])) as Record<Split, number>,
    })
  }
  for (const { datasetId, ...label } of labels) byId.get(datasetId)?.labels.push(label)
  for (const s of splits) {
    const summary = byId.get(s.datasetId)
    if (summary) summary.splits[s.split] = s.count
  }
  return [...byId.values()]
}
