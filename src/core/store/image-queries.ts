import type { ImageQuery, ImageRecord, ImageStatus, Split } from '../../shared/types'
import { MAX_QUERY_IDS, SPLITS } from '../../shared/types'
import type { Db } from './db'
import { StoreError } from './errors'

interface ImageRow {
  id: number
  dataset_id: number
  source_path: string
  hash: string
  width: number
  height: number
  format: string
  bytes: number
  label_id: number | null
  label: string | null
  split: Split
  split_locked: number
  status: ImageStatus
}

const SELECT_IMAGE = `SELECT i.id, i.dataset_id, i.source_path, i.hash, i.width, i.height, i.format, i.bytes,
       i.label_id, l.name AS label, i.split, i.split_locked, i.status
  FROM images i LEFT JOIN labels l ON l.id = i.label_id`

/**
 * Images matching the query, by id. Each filter maps onto one of the (dataset_id, x) indexes,
 * whose rows are already in id order, so a page deep in a 50k grid needs no sort.
 * With `ids`, in the order of that list instead (joined on its JSON array, so the order costs no sort key).
 */
export function listImages(db: Db, q: ImageQuery): ImageRecord[] {
  const { where, params } = filter(q)
  const limit = pageNumber('limit', q.limit) ?? -1 // SQLite: negative = no limit
  const offset = pageNumber('offset', q.offset) ?? 0
  const sql =
    q.ids === undefined
      ? `${SELECT_IMAGE} WHERE ${where} ORDER BY i.id LIMIT ? OFFSET ?`
      : `${SELECT_IMAGE} JOIN json_each(?) j ON j.value = i.id WHERE ${where} ORDER BY j.key LIMIT ? OFFSET ?`
  const order = q.ids === undefined ? [] : [JSON.stringify(queryIds(q.ids))]
  return db
    .prepare<unknown[], ImageRow>(sql)
    .all(...order, ...params, limit, offset)
    .map(toRecord)
}

/** How many images match the query (offset and limit ignored). */
export function countImages(db: Db, q: ImageQuery): number {
  const { where, params } = filter(q)
  return db
    .prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM images i WHERE ${where}`)
    .get(...params)!.n
}

export function getImage(db: Db, id: number): ImageRecord | undefined {
  const row = db.prepare<[number], ImageRow>(`${SELECT_IMAGE} WHERE i.id = ?`).get(id)
  return row && toRecord(row)
}

/** The ids as a checked list of integers, for binding as one JSON array (json_each). */
export function checkIds(ids: readonly number[]): number[] {
  if (!Array.isArray(ids)) throw new StoreError('Image ids must be a list of numbers.', 'invalid')
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id < 1) {
      throw new StoreError(`${JSON.stringify(id)} is not an image id (a positive whole number).`, 'invalid')
    }
  }
  return [...ids]
}

/** A query's `ids`: checked, at most MAX_QUERY_IDS, each once (a repeat would list an image twice). */
function queryIds(ids: readonly number[]): number[] {
  const checked = checkIds(ids)
  if (checked.length > MAX_QUERY_IDS) {
    throw new StoreError(
      `An image query may name at most ${MAX_QUERY_IDS} images, not ${checked.length}.`,
      'invalid',
    )
  }
  return [...new Set(checked)]
}

// Only fixed fragments are joined into SQL; every value is bound.
function filter(q: ImageQuery): { where: string; params: unknown[] } {
  const clauses = ['i.dataset_id = ?']
  const params: unknown[] = [q.datasetId]
  if (q.labelId === null) clauses.push('i.label_id IS NULL')
  else if (q.labelId !== undefined) {
    clauses.push('i.label_id = ?')
    params.push(q.labelId)
  }
  if (q.split !== undefined) {
    if (!SPLITS.includes(q.split)) {
      throw new StoreError(`Unknown split '${String(q.split)}'; use one of ${SPLITS.join(', ')}.`, 'invalid')
    }
    clauses.push('i.split = ?')
    params.push(q.split)
  }
  if (q.status !== undefined) {
    if (q.status !== 'ok' && q.status !== 'missing') {
      throw new StoreError(`Unknown image status '${String(q.status)}'; use ok or missing.`, 'invalid')
    }
    clauses.push('i.status = ?')
    params.push(q.status)
  }
  if (q.ids !== undefined) {
    clauses.push('i.id IN (SELECT value FROM json_each(?))')
    params.push(JSON.stringify(queryIds(q.ids)))
  }
  return { where: clauses.join(' AND '), params }
}

function pageNumber(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new StoreError(
      `The ${name} of an image page must be a whole number ≥ 0, not ${String(value)}.`,
      'invalid',
    )
  }
  return value
}

function toRecord(r: ImageRow): ImageRecord {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    sourcePath: r.source_path,
    hash: r.hash,
    width: r.width,
    height: r.height,
    format: r.format,
    bytes: r.bytes,
    labelId: r.label_id,
    label: r.label,
    split: r.split,
    splitLocked: r.split_locked === 1,
    status: r.status,
  }
}
