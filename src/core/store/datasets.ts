import type { Db } from './db'

export interface DatasetRow {
  id: number
  name: string
  created_at: string
}

export function findDataset(db: Db, name: string): DatasetRow | undefined {
  return db.prepare<[string], DatasetRow>('SELECT id, name, created_at FROM datasets WHERE name = ?').get(name)
}

/** The dataset with this name, created if absent. */
export function ensureDataset(db: Db, name: string): DatasetRow {
  const found = findDataset(db, name)
  if (found) return found
  db.prepare('INSERT INTO datasets (name) VALUES (?)').run(name)
  return findDataset(db, name)!
}
