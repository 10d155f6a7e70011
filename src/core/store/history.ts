import type { Split } from '../../shared/types'
import type { Db } from './db'
import { requireDataset } from './datasets'

/** How many actions per dataset can be undone; older ones are dropped. */
export const HISTORY_LIMIT = 200

export interface LabelChange {
  from: number | null
  to: number | null
}

export interface SplitChange {
  from: Split
  to: Split
  lockedFrom: boolean
  lockedTo: boolean
}

/** What one action did to one image; only the parts present are restored by undo. */
export interface ImageChange {
  imageId: number
  label?: LabelChange
  split?: SplitChange
}

export interface HistoryStatus {
  /** description of the action undo would revert, or null */
  undo: string | null
  /** description of the action redo would repeat, or null */
  redo: string | null
}

/**
 * Records one user action (already applied by the caller) as one undoable entry. A new action
 * ends the redo stack; only the last HISTORY_LIMIT actions are kept.
 */
export function recordAction(
  db: Db,
  datasetId: number,
  description: string,
  changes: readonly ImageChange[],
): void {
  db.transaction(() => {
    db.prepare('DELETE FROM history WHERE dataset_id = ? AND undone = 1').run(datasetId)
    const { lastInsertRowid } = db
      .prepare('INSERT INTO history (dataset_id, description) VALUES (?, ?)')
      .run(datasetId, description)
    const insert = db.prepare(
      `INSERT INTO history_changes (history_id, image_id, sets_label, label_before, label_after,
         sets_split, split_before, split_after, locked_before, locked_after)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    for (const c of changes) {
      insert.run(
        lastInsertRowid,
        c.imageId,
        c.label ? 1 : 0,
        c.label?.from ?? null,
        c.label?.to ?? null,
        c.split ? 1 : 0,
        c.split?.from ?? null,
        c.split?.to ?? null,
        c.split ? Number(c.split.lockedFrom) : null,
        c.split ? Number(c.split.lockedTo) : null,
      )
    }
    db.prepare(
      `DELETE FROM history WHERE dataset_id = ? AND id NOT IN
         (SELECT id FROM history WHERE dataset_id = ? ORDER BY id DESC LIMIT ?)`,
    ).run(datasetId, datasetId, HISTORY_LIMIT)
  })()
}

/** Reverts the dataset's latest action; returns its description, or null when there is nothing to undo. */
export function undo(db: Db, datasetId: number): string | null {
  return step(db, datasetId, 'undo')
}

/** Repeats the most recently undone action; returns its description, or null when there is nothing to redo. */
export function redo(db: Db, datasetId: number): string | null {
  return step(db, datasetId, 'redo')
}

export function historyStatus(db: Db, datasetId: number): HistoryStatus {
  return {
    undo: nextEntry(db, datasetId, 'undo')?.description ?? null,
    redo: nextEntry(db, datasetId, 'redo')?.description ?? null,
  }
}

/**
 * Forgets every recorded action of the dataset. Used when a label is deleted or merged: the
 * recorded label ids would no longer exist, so those entries could not be undone faithfully.
 */
export function clearHistory(db: Db, datasetId: number): void {
  db.prepare('DELETE FROM history WHERE dataset_id = ?').run(datasetId)
}

/** The entry undo (the newest not undone) or redo (the oldest undone) would act on. */
function nextEntry(
  db: Db,
  datasetId: number,
  direction: 'undo' | 'redo',
): { id: number; description: string } | undefined {
  // undone entries are always the newest ones, so the two stacks meet at a single id
  return db
    .prepare<[number], { id: number; description: string }>(
      direction === 'undo'
        ? 'SELECT id, description FROM history WHERE dataset_id = ? AND undone = 0 ORDER BY id DESC LIMIT 1'
        : 'SELECT id, description FROM history WHERE dataset_id = ? AND undone = 1 ORDER BY id LIMIT 1',
    )
    .get(datasetId)
}

function step(db: Db, datasetId: number, direction: 'undo' | 'redo'): string | null {
  requireDataset(db, datasetId)
  const side = direction === 'undo' ? 'before' : 'after'
  // immediate: another process (the CLI, the app) must not undo the same entry at the same time
  return db
    .transaction((): string | null => {
      const entry = nextEntry(db, datasetId, direction)
      if (!entry) return null
      db.prepare(
        `UPDATE images SET label_id = c.label_${side}
           FROM history_changes c
          WHERE c.history_id = ? AND c.sets_label = 1 AND images.id = c.image_id`,
      ).run(entry.id)
      db.prepare(
        `UPDATE images SET split = c.split_${side}, split_locked = c.locked_${side}
           FROM history_changes c
          WHERE c.history_id = ? AND c.sets_split = 1 AND images.id = c.image_id`,
      ).run(entry.id)
      db.prepare('UPDATE history SET undone = ? WHERE id = ?').run(direction === 'undo' ? 1 : 0, entry.id)
      return entry.description
    })
    .immediate()
}
