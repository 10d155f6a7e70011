import type { Db } from './db'

/** Tables whose ids are handed out from a high-water mark (migration 3), never reused after a delete. */
export type CountedTable = 'datasets' | 'runs'

/**
 * The next id for a row of `table`: one past the highest ever given out (or present, should a row have
 * been inserted around this counter). Call inside the transaction that inserts the row.
 */
export function nextId(db: Db, table: CountedTable): number {
  const max = db.prepare<[], { id: number | null }>(`SELECT MAX(id) AS id FROM ${table}`).get()?.id ?? 0
  const row = db
    .prepare<[number, string], { last_id: number }>(
      'UPDATE id_high_water SET last_id = MAX(last_id, ?) + 1 WHERE name = ? RETURNING last_id',
    )
    .get(max, table)
  return row!.last_id
}
