import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { historyStatus, redo, setSplitOverride, undo } from '../../../../src/core/dataset/labelling'
import { mulberry32, splitDataset, splitTargets } from '../../../../src/core/dataset/split'
import { createDataset } from '../../../../src/core/store/datasets'
import { createLabel } from '../../../../src/core/store/labels'
import type { Split } from '../../../../src/shared/types'
import { addImages, imageStates, tempLibrary, type TempLibrary } from '../store/fixture'

describe('splitTargets', () => {
  it('rounds shares, gives a validation image from 2 images on, and always keeps a training image', () => {
    expect(splitTargets(100, 0.2, 0.1)).toEqual({ validation: 20, test: 10 })
    expect(splitTargets(7, 0.2, 0)).toEqual({ validation: 1, test: 0 })
    expect(splitTargets(2, 0.1, 0.1)).toEqual({ validation: 1, test: 0 })
    expect(splitTargets(3, 0.1, 0.1)).toEqual({ validation: 1, test: 1 })
    expect(splitTargets(1, 0.5, 0)).toEqual({ validation: 0, test: 0 })
    expect(splitTargets(4, 0.49, 0.49)).toEqual({ validation: 2, test: 1 })
    expect(splitTargets(10, 0, 0)).toEqual({ validation: 0, test: 0 })
    expect(splitTargets(0, 0.2, 0.1)).toEqual({ validation: 0, test: 0 })
  })
})

describe('mulberry32', () => {
  it('is deterministic per seed and spreads over [0, 1)', () => {
    const a = mulberry32(7)
    const b = mulberry32(7)
    const xs = Array.from({ length: 1000 }, () => a())
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()))
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1)
    expect(mulberry32(8)()).not.toBe(mulberry32(7)())
  })
})

describe('splitDataset', () => {
  let lib: TempLibrary
  let ds: number
  beforeEach(() => {
    lib = tempLibrary()
    ds = createDataset(lib.db, 'pets').id
  })
  afterEach(() => lib.cleanup())

  const splitOf = (): Map<number, Split> => new Map(imageStates(lib.db, ds).map((s) => [s.id, s.split]))

  function threeLabels(): Record<string, number[]> {
    const out: Record<string, number[]> = {}
    for (const [name, n] of [
      ['cat', 100],
      ['dog', 50],
      ['bird', 20],
    ] as const) {
      out[name] = addImages(lib.db, ds, n, {
        labelId: createLabel(lib.db, ds, name).id,
        prefix: `/p/${name}`,
      })
    }
    return out
  }

  it('stratifies per label in the requested proportions', () => {
    threeLabels()
    const report = splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0.1, seed: 1 })
    expect(report.counts).toEqual({
      bird: { unassigned: 0, train: 14, validation: 4, test: 2 },
      cat: { unassigned: 0, train: 70, validation: 20, test: 10 },
      dog: { unassigned: 0, train: 35, validation: 10, test: 5 },
    })
    expect(report.warnings).toEqual([])
    const rows = lib.db
      .prepare<[number], { label: string; split: Split; n: number }>(
        `SELECT l.name AS label, i.split, COUNT(*) AS n FROM images i JOIN labels l ON l.id = i.label_id
          WHERE i.dataset_id = ? GROUP BY l.name, i.split`,
      )
      .all(ds)
    expect(rows.find((r) => r.label === 'cat' && r.split === 'validation')?.n).toBe(20)
    expect(rows.find((r) => r.label === 'bird' && r.split === 'test')?.n).toBe(2)
  })

  it('is reproducible for a seed, and differs for another seed', () => {
    threeLabels()
    splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0.1, seed: 42 })
    const first = splitOf()
    splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0.1, seed: 43 })
    const other = splitOf()
    splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0.1, seed: 42 })
    expect(splitOf()).toEqual(first)
    const differ = [...first].filter(([id, s]) => other.get(id) !== s).length
    expect(differ).toBeGreaterThan(30)
  })

  it('does not depend on the order images were imported in', () => {
    const label = createLabel(lib.db, ds, 'cat').id
    const paths = Array.from({ length: 60 }, (_, i) => `/p/${i}.jpg`)
    const byPath = (db: typeof lib.db, dataset: number): Record<string, Split> =>
      Object.fromEntries(
        db
          .prepare<[number], { p: string; s: Split }>(
            'SELECT source_path AS p, split AS s FROM images WHERE dataset_id = ?',
          )
          .all(dataset)
          .map((r) => [r.p, r.s]),
      )
    for (const p of paths) addImagesAt(ds, label, p)
    splitDataset(lib.db, { datasetId: ds, validation: 0.25, test: 0, seed: 5 })
    const forward = byPath(lib.db, ds)

    const reversed = createDataset(lib.db, 'reversed').id
    const label2 = createLabel(lib.db, reversed, 'cat').id
    for (const p of [...paths].reverse()) addImagesAt(reversed, label2, p)
    splitDataset(lib.db, { datasetId: reversed, validation: 0.25, test: 0, seed: 5 })
    expect(byPath(lib.db, reversed)).toEqual(forward)
    expect(Object.values(forward).filter((s) => s === 'validation')).toHaveLength(15)
  })

  function addImagesAt(dataset: number, labelId: number, path: string): void {
    lib.db
      .prepare(
        `INSERT INTO images (dataset_id, source_path, hash, width, height, format, bytes, label_id)
         VALUES (?, ?, ?, 1, 1, 'jpeg', 1, ?)`,
      )
      .run(dataset, path, `hash-of-${path}`, labelId)
  }

  it('keeps locked images in their split and counts them toward the targets', () => {
    const { cat } = threeLabels()
    const locked = cat!.slice(0, 15)
    setSplitOverride(lib.db, ds, locked, 'validation')
    setSplitOverride(lib.db, ds, cat!.slice(15, 17), 'unassigned')
    const report = splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0.1, seed: 3 })
    const split = splitOf()
    expect(locked.every((id) => split.get(id) === 'validation')).toBe(true)
    expect(split.get(cat![15]!)).toBe('unassigned')
    // 98 usable cat images: 20 validation (15 locked + 5 drawn), 10 test
    expect(report.counts.cat).toEqual({ unassigned: 2, train: 68, validation: 20, test: 10 })
  })

  it('is one undoable action: undo brings back the earlier split, redo the new one, locks untouched', () => {
    const { cat } = threeLabels()
    setSplitOverride(lib.db, ds, cat!.slice(0, 3), 'test')
    splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0, seed: 1 })
    const first = splitOf()
    const labelledBefore = historyStatus(lib.db, ds).undo
    splitDataset(lib.db, { datasetId: ds, validation: 0.4, test: 0.1, seed: 2 })
    const second = splitOf()
    expect(second).not.toEqual(first)
    expect(historyStatus(lib.db, ds).undo).toBe('Split: 40 % validation, 10 % test (seed 2)')
    expect(undo(lib.db, ds)).toBe('Split: 40 % validation, 10 % test (seed 2)')
    expect(splitOf()).toEqual(first)
    expect(historyStatus(lib.db, ds).undo).toBe(labelledBefore)
    expect(redo(lib.db, ds)).toBe('Split: 40 % validation, 10 % test (seed 2)')
    expect(splitOf()).toEqual(second)
    expect(cat!.slice(0, 3).every((id) => second.get(id) === 'test')).toBe(true)
    // the same split again moves nothing and adds nothing to undo
    splitDataset(lib.db, { datasetId: ds, validation: 0.4, test: 0.1, seed: 2 })
    expect(undo(lib.db, ds)).toBe('Split: 40 % validation, 10 % test (seed 2)')
    expect(splitOf()).toEqual(first)
  })

  it('warns when locked images exceed the target', () => {
    const { bird } = threeLabels()
    setSplitOverride(lib.db, ds, bird!.slice(0, 10), 'test')
    const report = splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0.1, seed: 3 })
    expect(report.counts.bird).toEqual({ unassigned: 0, train: 6, validation: 4, test: 10 })
    expect(report.warnings).toContain(
      "Label 'bird' has 10 images locked in test, more than the 2 the requested share asks for; locked images keep their split.",
    )
  })

  it('leaves unlabelled images unassigned, unless locked, and ignores missing files', () => {
    const cat = createLabel(lib.db, ds, 'cat').id
    const dog = createLabel(lib.db, ds, 'dog').id
    addImages(lib.db, ds, 10, { labelId: cat })
    addImages(lib.db, ds, 10, { labelId: dog })
    const loose = addImages(lib.db, ds, 3, { split: 'train' })
    const lockedLoose = addImages(lib.db, ds, 1, { split: 'test', locked: true })
    const gone = addImages(lib.db, ds, 2, { labelId: cat, split: 'test', status: 'missing' })
    const report = splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0, seed: 1 })
    const split = splitOf()
    expect(loose.map((id) => split.get(id))).toEqual(['unassigned', 'unassigned', 'unassigned'])
    expect(split.get(lockedLoose[0]!)).toBe('test')
    expect(gone.map((id) => split.get(id))).toEqual(['test', 'test'])
    expect(report.counts.cat).toEqual({ unassigned: 0, train: 8, validation: 2, test: 0 })
    expect(report.warnings).toContain(
      '4 images are unlabelled and stay out of training; label them to use them.',
    )
  })

  it('warns about labels with too few images, and still gives a 2-image label a validation image', () => {
    const cat = createLabel(lib.db, ds, 'cat').id
    const dog = createLabel(lib.db, ds, 'dog').id
    const ant = createLabel(lib.db, ds, 'ant').id
    createLabel(lib.db, ds, 'empty')
    addImages(lib.db, ds, 3, { labelId: cat })
    addImages(lib.db, ds, 2, { labelId: dog })
    addImages(lib.db, ds, 1, { labelId: ant })
    const report = splitDataset(lib.db, { datasetId: ds, validation: 0.1, test: 0, seed: 9 })
    expect(report.counts.dog).toEqual({ unassigned: 0, train: 1, validation: 1, test: 0 })
    expect(report.counts.ant).toEqual({ unassigned: 0, train: 1, validation: 0, test: 0 })
    expect(report.warnings).toEqual([
      "Label 'ant' has only 1 image; a validation split needs at least 5 per label to mean anything — add images or lower the validation share.",
      "Label 'cat' has only 3 images; a validation split needs at least 5 per label to mean anything — add images or lower the validation share.",
      "Label 'dog' has only 2 images; a validation split needs at least 5 per label to mean anything — add images or lower the validation share.",
      "Label 'empty' has no images to train on; label some images or delete the label.",
    ])
  })

  it('warns when fewer than two labels have images', () => {
    addImages(lib.db, ds, 10, { labelId: createLabel(lib.db, ds, 'cat').id })
    const report = splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0, seed: 1 })
    expect(report.warnings).toEqual([
      'A classifier needs at least 2 labels with images; label more images before training.',
    ])
  })

  it('validates fractions and seed with clear messages', () => {
    const split = (validation: number, test: number, seed = 1): unknown =>
      splitDataset(lib.db, { datasetId: ds, validation, test, seed })
    expect(() => split(-0.1, 0)).toThrow(
      'The validation fraction must be a number from 0 up to (not including) 1, e.g. 0.2 for 20%; got -0.1.',
    )
    expect(() => split(0.1, 1)).toThrow(/The test fraction must be .*got 1\./)
    expect(() => split(Number.NaN, 0)).toThrow(/got NaN/)
    expect(() => split(0.6, 0.4)).toThrow(
      'Validation (0.6) and test (0.4) together take 100% of the images, leaving nothing to train on; keep their sum below 1.',
    )
    expect(() => split(0.2, 0.1, 1.5)).toThrow('The split seed must be a whole number; got 1.5.')
    expect(() => splitDataset(lib.db, { datasetId: 404, validation: 0.2, test: 0, seed: 1 })).toThrow(
      'No dataset with id 404.',
    )
  })

  it('splits 20k images of 10 labels exactly (no quadratic work: the test timeout would catch it)', () => {
    for (let k = 0; k < 10; k++) {
      addImages(lib.db, ds, 2000, { labelId: createLabel(lib.db, ds, `class ${k}`).id, prefix: `/big/${k}` })
    }
    const report = splitDataset(lib.db, { datasetId: ds, validation: 0.2, test: 0.1, seed: 1 })
    expect(report.counts['class 3']).toEqual({ unassigned: 0, train: 1400, validation: 400, test: 200 })
  })
})
