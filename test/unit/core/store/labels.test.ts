import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { labelImages, undo } from '../../../../src/core/dataset/labelling'
import { createDataset } from '../../../../src/core/store/datasets'
import { historyStatus } from '../../../../src/core/store/history'
import {
  createLabel,
  deleteLabel,
  ensureLabel,
  findLabel,
  listLabels,
  mergeLabels,
  orderNewLabelKeys,
  renameLabel,
  setLabelKey,
} from '../../../../src/core/store/labels'
import { addImages, imageStates, tempLibrary, type TempLibrary } from './fixture'

describe('labels', () => {
  let lib: TempLibrary
  let ds: number
  beforeEach(() => {
    lib = tempLibrary()
    ds = createDataset(lib.db, 'pets').id
  })
  afterEach(() => lib.cleanup())

  it('creates a trimmed label', () => {
    const l = createLabel(lib.db, ds, '  tabby cat ')
    expect(l).toEqual({ id: expect.any(Number), dataset_id: ds, name: 'tabby cat', key: 1, colour: null })
  })

  it('refuses empty, too long, control-character and duplicate names, ignoring case in any script', () => {
    createLabel(lib.db, ds, 'Cat')
    createLabel(lib.db, ds, 'Ärger')
    createLabel(lib.db, ds, 'Кошка')
    expect(() => createLabel(lib.db, ds, ' ')).toThrow('A label name cannot be empty.')
    expect(() => createLabel(lib.db, ds, 'é'.repeat(101))).toThrow(/101 characters long; the limit is 100/)
    expect(() => createLabel(lib.db, ds, 'a\nb')).toThrow(/control character/)
    expect(() => createLabel(lib.db, ds, 'cat')).toThrow("The dataset 'pets' already has a label 'Cat'.")
    expect(() => createLabel(lib.db, ds, 'ärger')).toThrow(/already has a label 'Ärger'/)
    expect(() => createLabel(lib.db, ds, 'КОШКА')).toThrow(/already has a label 'Кошка'/)
    // the same name in another dataset is fine
    const other = createDataset(lib.db, 'other').id
    expect(createLabel(lib.db, other, 'cat').name).toBe('cat')
    expect(() => createLabel(lib.db, 999, 'x')).toThrow('No dataset with id 999.')
  })

  it('ensureLabel returns the existing label (ignoring case) or creates one', () => {
    const cat = ensureLabel(lib.db, ds, 'cat')
    expect(ensureLabel(lib.db, ds, 'CAT ').id).toBe(cat.id)
    expect(ensureLabel(lib.db, ds, 'dog').id).not.toBe(cat.id)
    expect(findLabel(lib.db, ds, 'Cat')?.id).toBe(cat.id)
  })

  it('renames, allows a change of case, refuses a clash and suggests merging', () => {
    const cat = createLabel(lib.db, ds, 'cat')
    createLabel(lib.db, ds, 'dog')
    expect(renameLabel(lib.db, cat.id, 'kitten').name).toBe('kitten')
    expect(renameLabel(lib.db, cat.id, 'Kitten').name).toBe('Kitten')
    expect(() => renameLabel(lib.db, cat.id, 'DOG')).toThrow(
      "Cannot rename 'Kitten' to 'DOG': the dataset already has a label 'dog'. Merge them instead.",
    )
    expect(() => renameLabel(lib.db, 12345, 'x')).toThrow('No label with id 12345.')
  })

  it('lists labels with their image counts, by name', () => {
    const dog = createLabel(lib.db, ds, 'dog')
    const cat = createLabel(lib.db, ds, 'cat')
    addImages(lib.db, ds, 2, { labelId: dog.id })
    addImages(lib.db, ds, 1, { labelId: cat.id })
    addImages(lib.db, ds, 4)
    expect(listLabels(lib.db, ds)).toEqual([
      {
        id: cat.id,
        name: 'cat',
        key: 2,
        colour: null,
        count: 1,
        trainCount: 0,
        validationCount: 0,
        unassignedCount: 1,
      },
      {
        id: dog.id,
        name: 'dog',
        key: 1,
        colour: null,
        count: 2,
        trainCount: 0,
        validationCount: 0,
        unassignedCount: 2,
      },
    ])
  })

  it('merges: images move, the source label goes, history is cleared so undo cannot break', () => {
    const cat = createLabel(lib.db, ds, 'cat')
    const kitty = createLabel(lib.db, ds, 'kitty')
    const dog = createLabel(lib.db, ds, 'dog')
    addImages(lib.db, ds, 2, { labelId: cat.id })
    const kitties = addImages(lib.db, ds, 3)
    labelImages(lib.db, ds, kitties, kitty.id)
    expect(historyStatus(lib.db, ds).undo).toBe("Label 3 images as 'kitty'")

    expect(mergeLabels(lib.db, kitty.id, cat.id)).toBe(3)
    expect(listLabels(lib.db, ds).map((l) => [l.name, l.count])).toEqual([
      ['cat', 5],
      ['dog', 0],
    ])
    expect(imageStates(lib.db, ds).every((s) => s.label_id === cat.id)).toBe(true)
    expect(historyStatus(lib.db, ds)).toEqual({ undo: null, redo: null })
    expect(undo(lib.db, ds)).toBeNull()

    expect(() => mergeLabels(lib.db, dog.id, dog.id)).toThrow("Cannot merge the label 'dog' into itself.")
    const elsewhere = createLabel(lib.db, createDataset(lib.db, 'other').id, 'cat')
    expect(() => mergeLabels(lib.db, dog.id, elsewhere.id)).toThrow(
      "Cannot merge 'dog' into 'cat': they belong to different datasets.",
    )
  })

  it('deletes a label: its images become unlabelled and history is cleared', () => {
    const cat = createLabel(lib.db, ds, 'cat')
    const dog = createLabel(lib.db, ds, 'dog')
    const ids = addImages(lib.db, ds, 3)
    labelImages(lib.db, ds, ids, cat.id)
    labelImages(lib.db, ds, ids.slice(0, 1), dog.id)
    expect(deleteLabel(lib.db, cat.id)).toBe(2)
    expect(imageStates(lib.db, ds).map((s) => s.label_id)).toEqual([dog.id, null, null])
    expect(undo(lib.db, ds)).toBeNull()
    expect(listLabels(lib.db, ds).map((l) => l.name)).toEqual(['dog'])
    expect(() => deleteLabel(lib.db, cat.id)).toThrow(`No label with id ${cat.id}.`)
  })

  describe('keys (issue 18: keys never change under the person)', () => {
    const keys = () => Object.fromEntries(listLabels(lib.db, ds).map((l) => [l.name, l.key]))

    it('a new label takes the lowest free key and never renumbers the others; past nine, none', () => {
      for (const name of ['Shirt', 'Bag', 'Coat']) createLabel(lib.db, ds, name)
      expect(keys()).toEqual({ Shirt: 1, Bag: 2, Coat: 3 })
      createLabel(lib.db, ds, 'Anorak') // sorts first by name: still takes 4, others keep theirs
      expect(keys()).toEqual({ Shirt: 1, Bag: 2, Coat: 3, Anorak: 4 })
      for (let i = 5; i <= 10; i++) createLabel(lib.db, ds, `label ${i}`)
      expect(keys()['label 9']).toBe(9)
      expect(keys()['label 10']).toBe(null)
      // a deleted label's key is free again; renaming keeps the key
      deleteLabel(lib.db, findLabel(lib.db, ds, 'Bag')!.id)
      renameLabel(lib.db, findLabel(lib.db, ds, 'Coat')!.id, 'Jacket')
      expect(keys()).toMatchObject({ Shirt: 1, Jacket: 3, Anorak: 4, 'label 10': null })
      expect(createLabel(lib.db, ds, 'Sandal').key).toBe(2)
    })

    it('the person changes a key: a key another label has is swapped, a bad key refused', () => {
      const a = createLabel(lib.db, ds, 'a')
      const b = createLabel(lib.db, ds, 'b')
      setLabelKey(lib.db, a.id, 2)
      expect(keys()).toEqual({ a: 2, b: 1 })
      setLabelKey(lib.db, b.id, 7)
      expect(keys()).toEqual({ a: 2, b: 7 })
      setLabelKey(lib.db, b.id, null)
      expect(keys()).toEqual({ a: 2, b: null })
      expect(() => setLabelKey(lib.db, a.id, 10)).toThrow('A label key is a number from 1 to 9; got 10.')
      expect(() => setLabelKey(lib.db, a.id, 0)).toThrow(/from 1 to 9/)
    })

    it("an import's new labels get their keys in name order, leaving older labels' keys alone", () => {
      const old = createLabel(lib.db, ds, 'zebra')
      const created = ['pear', 'apple', 'fig'].map((n) => createLabel(lib.db, ds, n).id)
      orderNewLabelKeys(lib.db, created)
      expect(keys()).toEqual({ zebra: old.key, apple: 2, fig: 3, pear: 4 })
    })
  })
})
