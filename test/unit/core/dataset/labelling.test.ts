import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  historyStatus,
  labelImages,
  redo,
  setSplitOverride,
  undo,
} from '../../../../src/core/dataset/labelling'
import { createDataset } from '../../../../src/core/store/datasets'
import { createLabel } from '../../../../src/core/store/labels'
import { addImages, imageStates, tempLibrary, type TempLibrary } from '../store/fixture'

describe('labelling with undo/redo', () => {
  let lib: TempLibrary
  let ds: number
  let cat: number
  let dog: number
  let ids: number[]
  beforeEach(() => {
    lib = tempLibrary()
    ds = createDataset(lib.db, 'pets').id
    cat = createLabel(lib.db, ds, 'cat').id
    dog = createLabel(lib.db, ds, 'dog').id
    ids = addImages(lib.db, ds, 4)
  })
  afterEach(() => lib.cleanup())

  const labels = (): (number | null)[] => imageStates(lib.db, ds).map((s) => s.label_id)

  it('label → relabel → undo → undo → redo restores each state exactly', () => {
    expect(labelImages(lib.db, ds, ids.slice(0, 3), cat)).toBe(3)
    expect(labels()).toEqual([cat, cat, cat, null])
    expect(labelImages(lib.db, ds, ids.slice(1), dog)).toBe(3)
    expect(labels()).toEqual([cat, dog, dog, dog])

    expect(undo(lib.db, ds)).toBe("Label 3 images as 'dog'")
    expect(labels()).toEqual([cat, cat, cat, null])
    expect(undo(lib.db, ds)).toBe("Label 3 images as 'cat'")
    expect(labels()).toEqual([null, null, null, null])
    expect(undo(lib.db, ds)).toBeNull()

    expect(redo(lib.db, ds)).toBe("Label 3 images as 'cat'")
    expect(labels()).toEqual([cat, cat, cat, null])
    expect(historyStatus(lib.db, ds)).toEqual({
      undo: "Label 3 images as 'cat'",
      redo: "Label 3 images as 'dog'",
    })
    expect(redo(lib.db, ds)).toBe("Label 3 images as 'dog'")
    expect(labels()).toEqual([cat, dog, dog, dog])
    expect(redo(lib.db, ds)).toBeNull()
  })

  it('unlabels with null, and a new action clears the redo stack', () => {
    labelImages(lib.db, ds, ids, cat)
    expect(labelImages(lib.db, ds, [ids[0]!], null)).toBe(1)
    expect(historyStatus(lib.db, ds).undo).toBe('Remove the label from 1 image')
    undo(lib.db, ds)
    expect(historyStatus(lib.db, ds).redo).toBe('Remove the label from 1 image')
    labelImages(lib.db, ds, [ids[3]!], dog)
    expect(historyStatus(lib.db, ds).redo).toBeNull()
    expect(redo(lib.db, ds)).toBeNull()
    expect(labels()).toEqual([cat, cat, cat, dog])
  })

  it('does not record an action that changes nothing', () => {
    labelImages(lib.db, ds, ids, cat)
    expect(labelImages(lib.db, ds, ids, cat)).toBe(0)
    expect(undo(lib.db, ds)).toBe("Label 4 images as 'cat'")
    expect(undo(lib.db, ds)).toBeNull()
  })

  it('persists history: a new process (re-opened library) can undo and redo', () => {
    labelImages(lib.db, ds, ids, cat)
    const db = lib.reopen()
    expect(undo(db, ds)).toBe("Label 4 images as 'cat'")
    expect(labels()).toEqual([null, null, null, null])
    lib.reopen()
    expect(redo(lib.db, ds)).toBe("Label 4 images as 'cat'")
    expect(labels()).toEqual([cat, cat, cat, cat])
  })

  it('sets a locked split override and undoes it back to the old split and lock', () => {
    lib.db.prepare("UPDATE images SET split = 'train'").run()
    expect(setSplitOverride(lib.db, ds, ids.slice(0, 2), 'validation')).toBe(2)
    const states = (): [string, number][] => imageStates(lib.db, ds).map((s) => [s.split, s.split_locked])
    expect(states()).toEqual([
      ['validation', 1],
      ['validation', 1],
      ['train', 0],
      ['train', 0],
    ])
    expect(historyStatus(lib.db, ds).undo).toBe('Put 2 images in validation')
    expect(setSplitOverride(lib.db, ds, ids.slice(0, 1), null)).toBe(1)
    expect(states()[0]).toEqual(['validation', 0])
    expect(undo(lib.db, ds)).toBe('Unlock the split of 1 image')
    expect(undo(lib.db, ds)).toBe('Put 2 images in validation')
    expect(states().every(([s, l]) => s === 'train' && l === 0)).toBe(true)
  })

  it('undo of a split override leaves labels alone, and undo of labelling leaves splits alone', () => {
    labelImages(lib.db, ds, ids, cat)
    setSplitOverride(lib.db, ds, ids, 'test')
    undo(lib.db, ds)
    expect(labels()).toEqual([cat, cat, cat, cat])
    expect(imageStates(lib.db, ds).every((s) => s.split === 'unassigned')).toBe(true)
  })

  it('keeps datasets apart', () => {
    const other = createDataset(lib.db, 'other').id
    const otherLabel = createLabel(lib.db, other, 'x').id
    const otherIds = addImages(lib.db, other, 2)
    labelImages(lib.db, ds, ids, cat)
    labelImages(lib.db, other, otherIds, otherLabel)
    expect(undo(lib.db, ds)).toBe("Label 4 images as 'cat'")
    expect(imageStates(lib.db, other).map((s) => s.label_id)).toEqual([otherLabel, otherLabel])
    expect(() => labelImages(lib.db, ds, otherIds, cat)).toThrow(
      `2 images ${otherIds.join(', ')} are not in this dataset; nothing was changed.`,
    )
    expect(() => labelImages(lib.db, ds, ids, otherLabel)).toThrow(
      "The label 'x' belongs to another dataset.",
    )
    expect(() => labelImages(lib.db, ds, [ids[0]!, 9999], cat)).toThrow(
      'Image 9999 is not in this dataset; nothing was changed.',
    )
    expect(labels()).toEqual([null, null, null, null])
    expect(() => setSplitOverride(lib.db, ds, ids, 'dev' as never)).toThrow("Unknown split 'dev'")
    expect(() => undo(lib.db, 777)).toThrow('No dataset with id 777.')
  })

  it('keeps only the last 200 actions', () => {
    for (let i = 0; i < 205; i++) labelImages(lib.db, ds, [ids[0]!], i % 2 ? cat : dog)
    let undone = 0
    while (undo(lib.db, ds) !== null) undone++
    expect(undone).toBe(200)
    expect(lib.db.prepare('SELECT COUNT(*) AS n FROM history').get()).toEqual({ n: 200 })
  })

  it('labels 20k images in one action and undoes it quickly', () => {
    const many = addImages(lib.db, ds, 20_000)
    let t0 = performance.now()
    expect(labelImages(lib.db, ds, many, cat)).toBe(20_000)
    const labelMs = performance.now() - t0
    t0 = performance.now()
    undo(lib.db, ds)
    const undoMs = performance.now() - t0
    expect(labelMs).toBeLessThan(5000)
    expect(undoMs).toBeLessThan(5000)
    expect(imageStates(lib.db, ds).every((s) => s.label_id === null)).toBe(true)
  })
})
