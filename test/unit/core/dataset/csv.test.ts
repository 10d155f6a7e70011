import { parse } from 'csv-parse/sync'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { applyCsv, exportCsv } from '../../../../src/core/dataset/csv'
import { historyStatus, setSplitOverride, undo } from '../../../../src/core/dataset/labelling'
import { createDataset } from '../../../../src/core/store/datasets'
import { StoreError } from '../../../../src/core/store/errors'
import { createLabel, listLabels } from '../../../../src/core/store/labels'
import { addImage, imageStates, tempLibrary, type TempLibrary } from '../store/fixture'

const HOSTILE_LABELS = ['cat, black', 'say "cheese"', 'кошка', '猫', 'naïve café', "it's", ' =1+1']

describe('CSV', () => {
  let lib: TempLibrary
  let ds: number
  beforeEach(() => {
    lib = tempLibrary()
    ds = createDataset(lib.db, 'pets').id
  })
  afterEach(() => lib.cleanup())

  function stateByPath(dataset: number): Record<string, [string | null, string, number]> {
    return Object.fromEntries(
      lib.db
        .prepare<[number], { path: string; label: string | null; split: string; locked: number }>(
          `SELECT i.source_path AS path, l.name AS label, i.split, i.split_locked AS locked
             FROM images i LEFT JOIN labels l ON l.id = i.label_id WHERE i.dataset_id = ?`,
        )
        .all(dataset)
        .map((r) => [r.path, [r.label, r.split, r.locked]]),
    )
  }

  it('exports path,label,split with quoting that survives commas, quotes and any script', () => {
    const label = createLabel(lib.db, ds, 'cat, "black"').id
    addImage(lib.db, ds, { path: '/p/a,b.jpg', labelId: label, split: 'train' })
    addImage(lib.db, ds, { path: '/p/кот.png' })
    const text = exportCsv(lib.db, ds)
    expect(text).toBe('path,label,split\n"/p/a,b.jpg","cat, ""black""",train\n/p/кот.png,,unassigned\n')
    expect(parse(text)).toEqual([
      ['path', 'label', 'split'],
      ['/p/a,b.jpg', 'cat, "black"', 'train'],
      ['/p/кот.png', '', 'unassigned'],
    ])
  })

  it('round-trips labels and splits into another dataset with the same files', () => {
    const labels = HOSTILE_LABELS.map((n) => createLabel(lib.db, ds, n).id)
    const splits = ['train', 'validation', 'test'] as const
    labels.forEach((labelId, i) => {
      addImage(lib.db, ds, { path: `/p/${i}.jpg`, labelId, split: splits[i % 3], locked: true })
    })
    addImage(lib.db, ds, { path: '/p/unlabelled "odd", name.jpg' })
    const copy = createDataset(lib.db, 'copy').id
    for (const path of Object.keys(stateByPath(ds))) addImage(lib.db, copy, { path })

    const result = applyCsv(lib.db, copy, exportCsv(lib.db, ds))
    expect(result).toEqual({
      applied: HOSTILE_LABELS.length + 1,
      changed: HOSTILE_LABELS.length,
      unknownPaths: [],
      errors: [],
    })
    const trimmed = (s: Record<string, [string | null, string, number]>): unknown =>
      Object.fromEntries(Object.entries(s).map(([p, [l, sp, lk]]) => [p, [l?.trim() ?? null, sp, lk]]))
    expect(trimmed(stateByPath(copy))).toEqual(trimmed(stateByPath(ds)))
    expect(
      listLabels(lib.db, copy)
        .map((l) => l.name)
        .sort(),
    ).toEqual(HOSTILE_LABELS.map((l) => l.trim()).sort())
  })

  it('writes formula-like labels and paths as text for spreadsheets and reads them back exactly', () => {
    const formulas = ['=HYPERLINK("http://x","y")', '+1', '-2', '@SUM(A1)', "'=already", "''+two", "it's"]
    formulas.forEach((name, i) => {
      addImage(lib.db, ds, { path: `/p/${i}.jpg`, labelId: createLabel(lib.db, ds, name).id })
    })
    const text = exportCsv(lib.db, ds)
    const cells = (parse(text) as string[][]).slice(1)
    // no cell a spreadsheet would evaluate
    for (const row of cells) for (const c of row) expect(c).not.toMatch(/^[=+\-@\t\r]/)
    expect(cells.map((r) => r[1])).toEqual([
      `'=HYPERLINK("http://x","y")`,
      "'+1",
      "'-2",
      "'@SUM(A1)",
      "''=already",
      "'''+two",
      "it's",
    ])
    const copy = createDataset(lib.db, 'copy').id
    formulas.forEach((_, i) => addImage(lib.db, copy, { path: `/p/${i}.jpg` }))
    expect(applyCsv(lib.db, copy, text).errors).toEqual([])
    expect(stateByPath(copy)).toEqual(stateByPath(ds))
  })

  it('matches relative paths against a base folder and reuses labels ignoring case', () => {
    const cat = createLabel(lib.db, ds, 'Cat').id
    const a = addImage(lib.db, ds, { path: '/data/pets/a.jpg' })
    const b = addImage(lib.db, ds, { path: '/data/pets/sub/b.jpg' })
    const result = applyCsv(lib.db, ds, 'path,label\na.jpg,cat\n./sub/../sub/b.jpg,dog\n', {
      baseDir: '/data/pets',
    })
    expect(result.errors).toEqual([])
    expect(result.applied).toBe(2)
    const dog = listLabels(lib.db, ds).find((l) => l.name === 'dog')!.id
    expect(imageStates(lib.db, ds).map((s) => [s.id, s.label_id])).toEqual([
      [a, cat],
      [b, dog],
    ])
  })

  it('reports bad rows by line and still applies the good ones', () => {
    addImage(lib.db, ds, { path: '/p/1.jpg' })
    addImage(lib.db, ds, { path: '/p/2.jpg' })
    addImage(lib.db, ds, { path: '/p/3.jpg' })
    const text = [
      'path,label,split',
      '/p/1.jpg,cat,train',
      '/p/2.jpg,cat,training',
      '/p/2.jpg,dog,banana',
      '/p/3.jpg,cat, black,val',
      'relative.jpg,cat,test',
      '/p/nowhere.jpg,cat,test',
      ',cat,test',
      '"/p/3.jpg","multi',
      'line",validation',
      '/p/1.jpg,dog,test',
      '/p/3.jpg,"a\tb",test',
    ].join('\n')
    const result = applyCsv(lib.db, ds, text)
    expect(result.errors).toEqual([
      "Line 4: unknown split 'banana'; use train, validation, test or unassigned.",
      'Line 5: expected 3 columns (path,label,split) but found 4; put values containing commas in double quotes.',
      "Line 6: 'relative.jpg' is a relative path; give the folder it is relative to.",
      'Line 8: the path is empty.',
      'Line 9: The label name "multi\\nline" contains a control character (tab, newline...); use plain text.',
      'Line 11: the same image is already on line 2; this row was ignored.',
      'Line 12: The label name "a\\tb" contains a control character (tab, newline...); use plain text.',
    ])
    expect(result.unknownPaths).toEqual(['/p/nowhere.jpg'])
    expect(result.applied).toBe(2)
    expect(stateByPath(ds)).toEqual({
      '/p/1.jpg': ['cat', 'train', 1],
      '/p/2.jpg': ['cat', 'train', 1],
      '/p/3.jpg': [null, 'unassigned', 0],
    })
  })

  it("is one undoable action; 'unassigned' clears an override and an empty split leaves it", () => {
    const a = addImage(lib.db, ds, { path: '/p/a.jpg' })
    const b = addImage(lib.db, ds, { path: '/p/b.jpg' })
    setSplitOverride(lib.db, ds, [a, b], 'test')
    const before = imageStates(lib.db, ds)
    applyCsv(lib.db, ds, 'path,label,split\n/p/a.jpg,cat,unassigned\n/p/b.jpg,dog,\n')
    expect(imageStates(lib.db, ds).map((s) => [s.split, s.split_locked])).toEqual([
      ['unassigned', 0],
      ['test', 1],
    ])
    expect(historyStatus(lib.db, ds).undo).toBe('Apply a CSV to 2 images')
    expect(undo(lib.db, ds)).toBe('Apply a CSV to 2 images')
    expect(imageStates(lib.db, ds)).toEqual(before)
  })

  it('can set only splits, leaving labels alone', () => {
    const cat = createLabel(lib.db, ds, 'cat').id
    addImage(lib.db, ds, { path: '/p/a.jpg', labelId: cat })
    expect(applyCsv(lib.db, ds, 'split,path\nvalidation,/p/a.jpg\n').changed).toBe(1)
    expect(stateByPath(ds)).toEqual({ '/p/a.jpg': ['cat', 'validation', 1] })
  })

  it('throws a clear error for a CSV it cannot read at all', () => {
    const apply = (text: string): unknown => applyCsv(lib.db, ds, text)
    expect(() => apply('/p/a.jpg,cat\n')).toThrow(/needs a header row naming its columns/)
    expect(() => apply('')).toThrow(/needs a header row/)
    expect(() => apply('path,colour\n')).toThrow(
      "Unknown CSV column 'colour'; the columns are path, label, split.",
    )
    expect(() => apply('path\n/p/a.jpg\n')).toThrow(/only a 'path' column/)
    expect(() => apply('path,label,label\n')).toThrow("The CSV header names the column 'label' twice.")
    expect(() => apply('path,label\n"/p/a.jpg,cat\n')).toThrow(StoreError)
    expect(() => apply('path,label\n"/p/a.jpg,cat\n')).toThrow(/The CSV cannot be read: Quote Not Closed/)
  })

  it('accepts a byte-order mark and Windows line ends', () => {
    addImage(lib.db, ds, { path: '/p/a.jpg' })
    const result = applyCsv(lib.db, ds, '\uFEFFPath,Label,Split\r\n/p/a.jpg,cat,Val\r\n')
    expect(result).toMatchObject({ applied: 1, changed: 1, errors: [] })
    expect(stateByPath(ds)).toEqual({ '/p/a.jpg': ['cat', 'validation', 1] })
  })
})

describe('CSV at scale', () => {
  it('applies 20k rows with a few labels as one action', () => {
    const lib = tempLibrary()
    try {
      const ds = createDataset(lib.db, 'big').id
      const rows = ['path,label,split']
      lib.db.transaction(() => {
        for (let i = 0; i < 20_000; i++) {
          addImage(lib.db, ds, { path: `/big/${i}.jpg` })
          rows.push(`/big/${i}.jpg,class ${i % 7},${i % 5 === 0 ? 'validation' : 'train'}`)
        }
      })()
      const result = applyCsv(lib.db, ds, rows.join('\n'))
      expect(result).toEqual({ applied: 20_000, changed: 20_000, unknownPaths: [], errors: [] })
      expect(listLabels(lib.db, ds).map((l) => l.count)).toEqual([2858, 2857, 2857, 2857, 2857, 2857, 2857])
      expect(undo(lib.db, ds)).toBe('Apply a CSV to 20000 images')
      expect(imageStates(lib.db, ds).every((s) => s.label_id === null && s.split === 'unassigned')).toBe(true)
    } finally {
      lib.cleanup()
    }
  })
})
