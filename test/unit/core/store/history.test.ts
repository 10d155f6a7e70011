import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDataset } from '../../../../src/core/store/datasets'
import {
  clearHistory,
  HISTORY_LIMIT,
  historyStatus,
  recordAction,
  redo,
  undo,
} from '../../../../src/core/store/history'
import { createLabel } from '../../../../src/core/store/labels'
import { addImages, imageStates, tempLibrary, type TempLibrary } from './fixture'

describe('history', () => {
  let lib: TempLibrary
  let ds: number
  beforeEach(() => {
    lib = tempLibrary()
    ds = createDataset(lib.db, 'pets').id
  })
  afterEach(() => lib.cleanup())

  it('restores exactly the recorded parts of each change, per image', () => {
    const cat = createLabel(lib.db, ds, 'cat').id
    const [a, b] = addImages(lib.db, ds, 2)
    // the caller applies the change, then records it
    lib.db.prepare('UPDATE images SET label_id = ? WHERE id = ?').run(cat, a)
    lib.db.prepare("UPDATE images SET split = 'test', split_locked = 1 WHERE id = ?").run(b)
    recordAction(lib.db, ds, 'mixed', [
      { imageId: a!, label: { from: null, to: cat } },
      { imageId: b!, split: { from: 'unassigned', to: 'test', lockedFrom: false, lockedTo: true } },
    ])
    expect(undo(lib.db, ds)).toBe('mixed')
    expect(imageStates(lib.db, ds)).toEqual([
      { id: a, label_id: null, split: 'unassigned', split_locked: 0 },
      { id: b, label_id: null, split: 'unassigned', split_locked: 0 },
    ])
    expect(redo(lib.db, ds)).toBe('mixed')
    expect(imageStates(lib.db, ds)).toEqual([
      { id: a, label_id: cat, split: 'unassigned', split_locked: 0 },
      { id: b, label_id: null, split: 'test', split_locked: 1 },
    ])
  })

  it('reports what undo and redo would do, and clears', () => {
    const [a] = addImages(lib.db, ds, 1)
    expect(historyStatus(lib.db, ds)).toEqual({ undo: null, redo: null })
    recordAction(lib.db, ds, 'first', [{ imageId: a!, label: { from: null, to: null } }])
    recordAction(lib.db, ds, 'second', [{ imageId: a!, label: { from: null, to: null } }])
    undo(lib.db, ds)
    expect(historyStatus(lib.db, ds)).toEqual({ undo: 'first', redo: 'second' })
    clearHistory(lib.db, ds)
    expect(historyStatus(lib.db, ds)).toEqual({ undo: null, redo: null })
    expect(lib.db.prepare('SELECT COUNT(*) AS n FROM history_changes').get()).toEqual({ n: 0 })
  })

  it('drops the changes of a deleted image instead of failing later', () => {
    const cat = createLabel(lib.db, ds, 'cat').id
    const [a, b] = addImages(lib.db, ds, 2)
    recordAction(lib.db, ds, 'label two', [
      { imageId: a!, label: { from: null, to: cat } },
      { imageId: b!, label: { from: null, to: cat } },
    ])
    lib.db.prepare('DELETE FROM images WHERE id = ?').run(a)
    expect(undo(lib.db, ds)).toBe('label two')
    expect(redo(lib.db, ds)).toBe('label two')
    expect(imageStates(lib.db, ds)).toEqual([{ id: b, label_id: cat, split: 'unassigned', split_locked: 0 }])
  })

  it(`keeps ${HISTORY_LIMIT} entries per dataset, oldest dropped first`, () => {
    const [a] = addImages(lib.db, ds, 1)
    for (let i = 0; i < HISTORY_LIMIT + 3; i++) {
      recordAction(lib.db, ds, `action ${i}`, [{ imageId: a!, label: { from: null, to: null } }])
    }
    const kept = lib.db
      .prepare<[], { description: string }>('SELECT description FROM history ORDER BY id')
      .all()
      .map((r) => r.description)
    expect(kept).toHaveLength(HISTORY_LIMIT)
    expect(kept[0]).toBe('action 3')
    expect(kept.at(-1)).toBe(`action ${HISTORY_LIMIT + 2}`)
  })
})
