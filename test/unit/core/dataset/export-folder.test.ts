import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  exportDatasetToFolder,
  safeFileName,
  UNLABELLED_FOLDER,
} from '../../../../src/core/dataset/export-folder'
import { createDataset } from '../../../../src/core/store/datasets'
import { createLabel } from '../../../../src/core/store/labels'
import type { Split } from '../../../../src/shared/types'
import { addImage, tempLibrary, type TempLibrary } from '../store/fixture'

/** Every file under `dir`, as paths relative to it. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

describe('safeFileName', () => {
  it('makes names every OS accepts and that cannot leave their folder', () => {
    expect(safeFileName('cat')).toBe('cat')
    expect(safeFileName('a/b\\c:d*e?f"g<h>i|j')).toBe('a_b_c_d_e_f_g_h_i_j')
    expect(safeFileName('..')).toBe('__')
    expect(safeFileName('.')).toBe('_')
    expect(safeFileName('../../etc')).toBe('___.._etc')
    expect(safeFileName('.hidden')).toBe('_hidden')
    expect(safeFileName('trailing. . ')).toBe('trailing')
    expect(safeFileName('CON')).toBe('_CON')
    expect(safeFileName('nul.txt')).toBe('_nul.txt')
    expect(safeFileName('com1')).toBe('_com1')
    expect(safeFileName('LPT9 .jpg')).toBe('_LPT9 .jpg')
    expect(safeFileName('console')).toBe('console')
    expect(safeFileName('tab\there')).toBe('tab_here')
    expect(safeFileName('кошка 猫')).toBe('кошка 猫')
    expect(safeFileName('')).toBe('_')
    expect([...safeFileName('x'.repeat(300))]).toHaveLength(120)
  })
})

describe('exportDatasetToFolder', () => {
  let lib: TempLibrary
  let ds: number
  let src: string
  let out: string
  beforeEach(() => {
    lib = tempLibrary()
    ds = createDataset(lib.db, 'pets').id
    src = join(lib.dir, 'src')
    out = join(lib.dir, 'out')
    mkdirSync(src)
  })
  afterEach(() => lib.cleanup())

  let colour = 0
  /** A real PNG on disk, registered as an image of the dataset. */
  async function image(name: string, labelId: number | null, split: Split = 'train'): Promise<string> {
    const path = join(src, name)
    mkdirSync(resolve(path, '..'), { recursive: true })
    await sharp({
      create: { width: 4, height: 4, channels: 3, background: { r: colour++ * 10, g: 0, b: 0 } },
    })
      .png()
      .toFile(path)
    addImage(lib.db, ds, { path, labelId, split })
    return path
  }

  it('copies images into one folder per label, with hostile label names made safe', async () => {
    const hostile = ['../escape', 'a/b', 'a_b', 'CON', 'what?*', 'dots...', '_unlabelled', '..', 'Кошка']
    const ids = hostile.map((n) => createLabel(lib.db, ds, n).id)
    for (const [i, id] of ids.entries()) await image(`${i}.png`, id)
    await image('loose.png', null)

    const report = await exportDatasetToFolder(lib.db, ds, out)
    expect(report.copied).toBe(hostile.length + 1)
    expect(report.missing).toEqual([])
    expect(report.failed).toEqual([])
    expect(report.folders).toEqual({
      '../escape': '___escape',
      'a/b': 'a_b',
      a_b: 'a_b-2',
      CON: '_CON',
      'what?*': 'what__',
      'dots...': 'dots',
      _unlabelled: '_unlabelled-2',
      '..': '__',
      Кошка: 'Кошка',
      '': UNLABELLED_FOLDER,
    })
    expect(tree(out)).toEqual(
      [
        '___escape/0.png',
        'a_b/1.png',
        'a_b-2/2.png',
        '_CON/3.png',
        'what__/4.png',
        'dots/5.png',
        '_unlabelled-2/6.png',
        '__/7.png',
        'Кошка/8.png',
        '_unlabelled/loose.png',
      ].sort(),
    )
    // nothing landed outside the export folder
    expect(readdirSync(lib.dir).sort()).toEqual(
      ['library.sqlite', 'library.sqlite-shm', 'library.sqlite-wal', 'out', 'src'].sort(),
    )
    // copies are byte-identical and still decode
    expect(readFileSync(join(out, 'Кошка/8.png'))).toEqual(readFileSync(join(src, '8.png')))
    expect((await sharp(join(out, 'a_b/1.png')).metadata()).width).toBe(4)
  })

  it('resolves file-name collisions with a suffix, ignoring case', async () => {
    const cat = createLabel(lib.db, ds, 'cat').id
    await image('x/photo.png', cat)
    await image('y/photo.png', cat)
    await image('z/PHOTO.png', cat)
    await image('w/photo-2.png', cat)
    const report = await exportDatasetToFolder(lib.db, ds, out)
    expect(report.copied).toBe(4)
    expect(report.perFolder).toEqual({ cat: 4 })
    expect(tree(out)).toEqual(
      ['cat/PHOTO-3.png', 'cat/photo-2.png', 'cat/photo-2-2.png', 'cat/photo.png'].sort(),
    )
  })

  it('counts missing source files without failing, and skips images already flagged missing', async () => {
    const cat = createLabel(lib.db, ds, 'cat').id
    await image('a.png', cat)
    const gone = await image('b.png', cat)
    rmSync(gone)
    addImage(lib.db, ds, { path: join(src, 'flagged.png'), labelId: cat, status: 'missing' })
    const report = await exportDatasetToFolder(lib.db, ds, out)
    expect(report).toMatchObject({ copied: 1, missing: [gone], skippedMissing: 1, failed: [] })
    expect(tree(out)).toEqual(['cat/a.png'])
  })

  it('exports only one split when asked', async () => {
    const cat = createLabel(lib.db, ds, 'cat').id
    await image('t.png', cat, 'train')
    await image('v.png', cat, 'validation')
    const report = await exportDatasetToFolder(lib.db, ds, out, { split: 'validation' })
    expect(report.copied).toBe(1)
    expect(tree(out)).toEqual(['cat/v.png'])
  })

  it('refuses a non-empty export folder and an unknown split, overwriting nothing', async () => {
    await image('a.png', null)
    mkdirSync(out)
    writeFileSync(join(out, 'keep.txt'), 'mine')
    await expect(exportDatasetToFolder(lib.db, ds, out)).rejects.toThrow(
      `The export folder ${out} is not empty; choose a new or empty folder so no file is overwritten.`,
    )
    await expect(
      exportDatasetToFolder(lib.db, ds, join(lib.dir, 'o2'), { split: 'dev' as Split }),
    ).rejects.toThrow("Unknown split 'dev'")
    await expect(exportDatasetToFolder(lib.db, 999, join(lib.dir, 'o3'))).rejects.toThrow(
      'No dataset with id 999.',
    )
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine')
  })
})
