import type { ImageRecord, ImageStatus } from '../../shared/types'
import type { Db } from './db'
import { checkIds } from './image-queries'

/** The facts an import has learnt about a new image (its id, split and status come from the store). */
export type NewImage = Pick<
  ImageRecord,
  'datasetId' | 'sourcePath' | 'hash' | 'width' | 'height' | 'format' | 'bytes' | 'labelId'
>

/** What an import needs to know about an image already in the dataset. */
export interface KnownImage {
  id: number
  hash: string
  sourcePath: string
  bytes: number
  label: string | null
  /** when the row was written, ms since the epoch: a file not modified since is unchanged */
  importedAtMs: number
}

/**
 * Inserts the rows in one transaction (all or nothing). A row whose bytes are already in the dataset is
 * ignored rather than failing the batch; returns how many rows were really added.
 */
export function insertImages(db: Db, rows: readonly NewImage[]): number {
  const insert = db.prepare(
    `INSERT INTO images (dataset_id, source_path, hash, width, height, format, bytes, label_id)
     VALUES (@datasetId, @sourcePath, @hash, @width, @height, @format, @bytes, @labelId)
     ON CONFLICT (dataset_id, hash) DO NOTHING`,
  )
  return db.transaction(() => rows.reduce((added, row) => added + insert.run(row).changes, 0))()
}

export function listKnownImages(db: Db, datasetId: number): KnownImage[] {
  const rows = db
    .prepare<
      [number],
      {
        id: number
        hash: string
        sourcePath: string
        bytes: number
        label: string | null
        importedAt: string
      }
    >(
      `SELECT i.id, i.hash, i.source_path AS sourcePath, i.bytes, l.name AS label, i.imported_at AS importedAt
       FROM images i LEFT JOIN labels l ON l.id = i.label_id
       WHERE i.dataset_id = ?`,
    )
    .all(datasetId)
  return rows.map(({ importedAt, ...rest }) => ({ ...rest, importedAtMs: Date.parse(importedAt) }))
}

export function listImageSources(
  db: Db,
  datasetId: number,
): { id: number; sourcePath: string; status: ImageStatus }[] {
  return db
    .prepare<[number], { id: number; sourcePath: string; status: ImageStatus }>(
      'SELECT id, source_path AS sourcePath, status FROM images WHERE dataset_id = ? ORDER BY id',
    )
    .all(datasetId)
}

/** Flags images whose source file disappeared ('missing') or is back ('ok'); returns how many changed. */
export function setImageStatus(db: Db, ids: readonly number[], status: ImageStatus): number {
  return db
    .prepare('UPDATE images SET status = ? WHERE status <> ? AND id IN (SELECT value FROM json_each(?))')
    .run(status, status, JSON.stringify(checkIds(ids))).changes
}

/** Images per label name in the dataset (unlabelled images are not counted). */
export function countImagesByLabel(db: Db, datasetId: number): Record<string, number> {
  const rows = db
    .prepare<[number], { name: string; count: number }>(
      `SELECT l.name, COUNT(*) AS count FROM images i JOIN labels l ON l.id = i.label_id
       WHERE i.dataset_id = ? GROUP BY l.id ORDER BY l.name`,
    )
    .all(datasetId)
  return Object.fromEntries(rows.map((r) => [r.name, r.count]))
}

/** Which of these content hashes an image of the library (any dataset) uses: their thumbnails must stay. */
export function hashesInUse(db: Db, hashes: readonly string[]): Set<string> {
  const used = new Set<string>()
  // SQLite caps bound parameters per statement; hashes come in at most a few chunks here
  for (let i = 0; i < hashes.length; i += 500) {
    const part = hashes.slice(i, i + 500)
    const rows = db
      .prepare<string[], { hash: string }>(
        `SELECT DISTINCT hash FROM images WHERE hash IN (${part.map(() => '?').join(', ')})`,
      )
      .all(...part)
    for (const r of rows) used.add(r.hash)
  }
  return used
}
