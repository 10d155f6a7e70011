import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createDataset,
  datasetSummary,
  deleteDataset,
  ensureDataset,
  findDataset,
  listDatasets,
  renameDataset,
  requireDataset,
} from '../../../../src/core/store/datasets'
import { StoreError } from '../../../../src/core/store/errors'
import { historyStatus } from '../../../../src/core/store/history'
import { createLabel } from '../../../../src/core/store/labels'
import { labelImages } from '../../../../src/core/dataset/labelling'
import { addImage, addImages, tempLibrary, type TempLibrary } from './fixture'

describe('datasets', () => {
  let lib: TempLibrary
  beforeEach(() => {
    lib = tempLibrary()
  })
  afterEach(() => lib.cleanup())

  it('creates a dataset with a trimmed name and finds it ignoring case', () => {
    const d = createDataset(lib.db, '  Holiday photos ')
    expect(d).toMatchObject({ name: 'Holiday photos' })
    expect(d.created_at).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(findDataset(lib.db, 'holiday PHOTOS')?.id).toBe(d.id)
    expect(findDataset(lib.db, 'other')).toBeUndefined()
  })

  it('refuses duplicate, empty, too long and control-character names with clear messages', () => {
    createDataset(lib.db, 'Pets')
    expect(() => createDataset(lib.db, 'pets')).toThrow("A dataset named 'Pets' already exists.")
    expect(() => createDataset(lib.db, '   ')).toThrow('A dataset name cannot be empty.')
    expect(() => createDataset(lib.db, 'x'.repeat(101))).toThrow(/101 characters long; the limit is 100/)
    expect(() => createDataset(lib.db, 'a\tb')).toThrow(/control character/)
    expect(() => createDataset(lib.db, 'pets')).toThrow(StoreError)
    expect(createDataset(lib.db, 'x'.repeat(100)).name).toHaveLength(100)
  })

  it('ensureDataset returns the existing dataset or creates it', () => {
    const a = ensureDataset(lib.db, 'birds')
    expect(ensureDataset(lib.db, 'Birds').id).toBe(a.id)
    expect(ensureDataset(lib.db, 'fish').id).not.toBe(a.id)
  })

  it('requireDataset finds by name, id or id-as-text, and names the known datasets when it fails', () => {
    const d = createDataset(lib.db, 'pets')
    createDataset(lib.db, 'birds')
    expect(requireDataset(lib.db, 'PETS').id).toBe(d.id)
    expect(requireDataset(lib.db, d.id).name).toBe('pets')
    expect(requireDataset(lib.db, String(d.id)).name).toBe('pets')
    expect(() => requireDataset(lib.db, 'cats')).toThrow(
      "No dataset named 'cats'. Known datasets: 'birds', 'pets'.",
    )
    expect(() => requireDataset(lib.db, 99)).toThrow('No dataset with id 99.')
    try {
      requireDataset(lib.db, 'cats')
    } catch (err) {
      expect((err as StoreError).code).toBe('not-found')
    }
  })

  it('says there are no datasets yet when the library is empty', () => {
    expect(() => requireDataset(lib.db, 'x')).toThrow("No dataset named 'x'. There are no datasets yet.")
  })

  it('lists every dataset with image, labelled, missing, per-label (all, training and validation) and per-split counts', () => {
    const pets = createDataset(lib.db, 'pets')
    const empty = createDataset(lib.db, 'empty')
    const cat = createLabel(lib.db, pets.id, 'cat')
    const dog = createLabel(lib.db, pets.id, 'dog')
    createLabel(lib.db, pets.id, 'unused')
    addImages(lib.db, pets.id, 3, { labelId: cat.id, split: 'train' })
    addImage(lib.db, pets.id, { labelId: dog.id, split: 'validation' })
    addImage(lib.db, pets.id, { labelId: dog.id, split: 'test', status: 'missing' })
    addImage(lib.db, pets.id, { labelId: dog.id })
    addImage(lib.db, pets.id, {})

    const [e, p] = listDatasets(lib.db)
    expect(e).toEqual({
      id: empty.id,
      name: 'empty',
      createdAt: empty.created_at,
      imageCount: 0,
      labeledCount: 0,
      missingCount: 0,
      labels: [],
      splits: { unassigned: 0, train: 0, validation: 0, test: 0 },
    })
    expect(p).toMatchObject({ name: 'pets', imageCount: 7, labeledCount: 6, missingCount: 1 })
    expect(p!.labels).toEqual([
      {
        id: cat.id,
        name: 'cat',
        key: 1,
        colour: null,
        count: 3,
        trainCount: 3,
        validationCount: 0,
        unassignedCount: 0,
      },
      {
        id: dog.id,
        name: 'dog',
        key: 2,
        colour: null,
        count: 3,
        trainCount: 0,
        validationCount: 1,
        unassignedCount: 1,
      },
      {
        id: expect.any(Number),
        name: 'unused',
        key: 3,
        colour: null,
        count: 0,
        trainCount: 0,
        validationCount: 0,
        unassignedCount: 0,
      },
    ])
    expect(p!.splits).toEqual({ unassigned: 2, train: 3, validation: 1, test: 1 })
    expect(datasetSummary(lib.db, pets.id)).toEqual(p)
  })

  it('summarises any number of datasets with the same three queries (no query per dataset)', () => {
    for (let i = 0; i < 30; i++) {
      const d = createDataset(lib.db, `set ${i}`)
      const l = createLabel(lib.db, d.id, 'a')
      addImages(lib.db, d.id, 50, { labelId: l.id, prefix: `/s${i}` })
    }
    const prepare = vi.spyOn(lib.db, 'prepare')
    const all = listDatasets(lib.db)
    expect(prepare).toHaveBeenCalledTimes(3)
    prepare.mockRestore()
    expect(all).toHaveLength(30)
    expect(
      all.every((d) => d.imageCount === 50 && d.labels[0]!.count === 50 && d.splits.unassigned === 50),
    ).toBe(true)
  })

  it('renames, allows a change of case, and refuses a name another dataset has', () => {
    const d = createDataset(lib.db, 'pets')
    createDataset(lib.db, 'birds')
    expect(renameDataset(lib.db, d.id, 'Animals').name).toBe('Animals')
    expect(renameDataset(lib.db, d.id, 'ANIMALS').name).toBe('ANIMALS')
    expect(() => renameDataset(lib.db, d.id, 'Birds')).toThrow("A dataset named 'birds' already exists.")
    expect(() => renameDataset(lib.db, d.id, '')).toThrow('A dataset name cannot be empty.')
    expect(() => renameDataset(lib.db, 42, 'x')).toThrow('No dataset with id 42.')
  })

  it('deletes a dataset with its labels, images and history, leaving others alone', () => {
    const d = createDataset(lib.db, 'pets')
    const other = createDataset(lib.db, 'other')
    const cat = createLabel(lib.db, d.id, 'cat')
    const ids = addImages(lib.db, d.id, 3)
    addImages(lib.db, other.id, 2)
    labelImages(lib.db, d.id, ids, cat.id)
    expect(historyStatus(lib.db, d.id).undo).not.toBeNull()

    deleteDataset(lib.db, d.id)
    const count = (table: string): unknown => lib.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get()
    expect(count('images')).toEqual({ n: 2 })
    expect(count('labels')).toEqual({ n: 0 })
    expect(count('history')).toEqual({ n: 0 })
    expect(count('history_changes')).toEqual({ n: 0 })
    expect(() => deleteDataset(lib.db, d.id)).toThrow(`No dataset with id ${d.id}.`)
  })
})
