import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Split } from '../../../../src/shared/types'
import { openDatabase, type Db } from '../../../../src/core/store/db'

/** A real library file in a fresh temp folder; `cleanup` closes and deletes it. */
export interface TempLibrary {
  db: Db
  dir: string
  file: string
  reopen(): Db
  cleanup(): void
}

export function tempLibrary(): TempLibrary {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-store-'))
  const file = join(dir, 'library.sqlite')
  const lib: TempLibrary = {
    db: openDatabase(file),
    dir,
    file,
    reopen() {
      lib.db.close()
      lib.db = openDatabase(file)
      return lib.db
    },
    cleanup() {
      if (lib.db.open) lib.db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return lib
}

export interface ImageFields {
  path?: string
  hash?: string
  labelId?: number | null
  split?: Split
  locked?: boolean
  status?: 'ok' | 'missing'
}

let counter = 0

/**
 * Inserts an image row directly (the import pipeline is another module). The hash defaults to
 * one derived from the path, so the same path gives the same hash in every library.
 */
export function addImage(db: Db, datasetId: number, fields: ImageFields = {}): number {
  return insertImage(insertStatement(db), datasetId, fields)
}

function insertStatement(db: Db) {
  return db.prepare(
    `INSERT INTO images (dataset_id, source_path, hash, width, height, format, bytes, label_id, split, split_locked, status)
     VALUES (?, ?, ?, 32, 32, 'jpeg', 1000, ?, ?, ?, ?)`,
  )
}

function insertImage(
  insert: ReturnType<typeof insertStatement>,
  datasetId: number,
  fields: ImageFields,
): number {
  const path = fields.path ?? `/photos/img-${++counter}.jpg`
  const hash = fields.hash ?? createHash('sha256').update(path).digest('hex')
  const { lastInsertRowid } = insert.run(
    datasetId,
    path,
    hash,
    fields.labelId ?? null,
    fields.split ?? 'unassigned',
    fields.locked ? 1 : 0,
    fields.status ?? 'ok',
  )
  return Number(lastInsertRowid)
}

/** `n` images with distinct paths under `prefix`, in one transaction and one prepared statement (50k take a moment, not seconds). */
export function addImages(
  db: Db,
  datasetId: number,
  n: number,
  fields: ImageFields & { prefix?: string } = {},
): number[] {
  const { prefix = `/photos/batch-${++counter}`, ...rest } = fields
  const insert = insertStatement(db)
  return db.transaction(() =>
    Array.from({ length: n }, (_, i) =>
      insertImage(insert, datasetId, { ...rest, path: `${prefix}/${i}.jpg` }),
    ),
  )()
}

export interface ImageStateRow {
  id: number
  label_id: number | null
  split: Split
  split_locked: number
}

/** Every image's labelling state, by id: what undo/redo must restore exactly. */
export function imageStates(db: Db, datasetId: number): ImageStateRow[] {
  return db
    .prepare<[number], ImageStateRow>(
      'SELECT id, label_id, split, split_locked FROM images WHERE dataset_id = ? ORDER BY id',
    )
    .all(datasetId)
}
