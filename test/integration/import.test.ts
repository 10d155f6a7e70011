import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rename, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportProgress, ImportReport } from '../../src/shared/types'
import { openDatabase, type Db } from '../../src/core/store/db'
import { importFiles, importFolder, refreshMissing, type ImportContext } from '../../src/core/dataset/import'
import { thumbnailPath } from '../../src/core/dataset/thumbnails'
import { createMessyFolder, MESSY_EXPECTED, rawImage, type MessyFolder } from '../helpers/messy-folder'

interface Row {
  id: number
  source_path: string
  hash: string
  width: number
  height: number
  format: string
  label: string | null
  status: string
}

describe('importFolder on a messy folder', () => {
  let base: string
  let messy: MessyFolder
  let db: Db
  let ctx: ImportContext
  let report: ImportReport
  const progress: ImportProgress[] = []

  const rows = (): Row[] =>
    db
      .prepare<[], Row>(
        `SELECT i.id, i.source_path, i.hash, i.width, i.height, i.format, l.name AS label, i.status
         FROM images i LEFT JOIN labels l ON l.id = i.label_id ORDER BY i.id`,
      )
      .all()
  const rel = (path: string): string => relative(messy.root, path)

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'cohort-import-'))
    messy = await createMessyFolder(base)
    db = openDatabase(join(base, 'library.sqlite'))
    ctx = { db, thumbnailsDir: join(base, 'thumbnails') }
    report = await importFolder(ctx, {
      folder: messy.root,
      dataset: 'pets',
      onProgress: (p) => progress.push(p),
    })
  })
  afterAll(async () => {
    db?.close()
    await rm(base, { recursive: true, force: true })
  })

  it('counts every imported image, duplicate, conflict, skipped file and rejection exactly', () => {
    expect(report.dataset).toBe('pets')
    expect(report.cancelled).toBe(false)
    expect(report.imported).toBe(MESSY_EXPECTED.imported)
    expect(report.duplicates).toBe(MESSY_EXPECTED.duplicates)
    expect(report.skipped).toBe(MESSY_EXPECTED.skipped)
    expect(report.classes).toEqual(MESSY_EXPECTED.classes)
    const rejected = Object.fromEntries(report.rejected.map((r) => [rel(r.path), r.reason]))
    expect(rejected).toEqual(MESSY_EXPECTED.rejected)
    for (const r of report.rejected) expect(r.detail, r.path).toBeTruthy()
    const conflicts = report.conflicts.map((c) => ({
      path: rel(c.path),
      existingLabel: c.existingLabel,
      newLabel: c.newLabel,
    }))
    expect(conflicts).toEqual(MESSY_EXPECTED.conflicts)
    expect(rel(report.conflicts[1]!.existingPath)).toMatch(/^cats\/cat(1|1-copy|-link)\.jpg$/)
  })

  it('stores one row per distinct image, with labels, upright sizes and formats', () => {
    const all = rows()
    expect(all).toHaveLength(MESSY_EXPECTED.imported)
    expect(new Set(all.map((r) => r.hash)).size).toBe(all.length)
    expect(
      all
        .filter((r) => r.label === null)
        .map((r) => rel(r.source_path))
        .sort(),
    ).toEqual(['loose1.jpg', 'loose2.png'])
    const byPath = new Map(all.map((r) => [rel(r.source_path), r]))
    for (const [path, [width, height]] of Object.entries(MESSY_EXPECTED.sizes)) {
      expect([byPath.get(path)?.width, byPath.get(path)?.height], path).toEqual([width, height])
    }
    expect(byPath.get('cats/cat.avif')?.format).toBe('avif')
    expect(byPath.get('cats/cat8.bmp')?.format).toBe('bmp')
    expect(byPath.get('cats/猫🐱.gif')?.format).toBe('gif')
    expect(byPath.get('cats/deep/deeper/nested.jpg')?.label).toBe('cats')
    expect(byPath.get('birds/album/bird3.jpg')?.label).toBe('birds')
    expect(byPath.get('dogs/folder.jpg/dog2.png')?.label).toBe('dogs')
  })

  it('writes a readable thumbnail per image, upright and at most 256 px', async () => {
    for (const row of rows()) {
      const meta = await sharp(thumbnailPath(ctx.thumbnailsDir, row.hash)).metadata()
      expect(meta.format).toBe('jpeg')
      expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(256)
      if (row.width >= row.height * 2) expect(meta.width).toBeGreaterThan(meta.height)
    }
    const rotated = rows().find((r) => r.source_path.endsWith('rotated.jpg'))!
    const thumb = await sharp(thumbnailPath(ctx.thumbnailsDir, rotated.hash)).metadata()
    expect([thumb.width, thumb.height]).toEqual([20, 40])
  })

  it('reports progress throttled, ending with done = total', () => {
    const last = progress.at(-1)!
    expect(progress[0]!.phase).toBe('scanning')
    expect(last.phase).toBe('done')
    expect(last.done).toBe(last.total)
    // the scan itself rejects the links leading outside, the broken link and the pipe (4 of the 12)
    expect(last.total).toBe(MESSY_EXPECTED.imported + MESSY_EXPECTED.duplicates + 2 + 8)
    expect(progress.length).toBeLessThanOrEqual(2 + Math.ceil(report.seconds * 10) + 1)
  })

  it('adds nothing when the same folder is imported again', async () => {
    const again = await importFolder(ctx, { folder: messy.root, dataset: 'pets' })
    expect(again.imported).toBe(0)
    expect(again.duplicates).toBe(MESSY_EXPECTED.imported + MESSY_EXPECTED.duplicates)
    expect(again.conflicts).toHaveLength(2)
    expect(again.rejected).toHaveLength(report.rejected.length)
    expect(rows()).toHaveLength(MESSY_EXPECTED.imported)
  })

  it('marks a deleted source missing, and ok again when it returns, without deleting rows', async () => {
    const dataset = db.prepare<[], { id: number }>("SELECT id FROM datasets WHERE name = 'pets'").get()!
    const file = join(messy.root, 'cats/grey.png')
    const aside = join(base, 'grey-aside.png')
    await rename(file, aside)
    expect(await refreshMissing(ctx, dataset.id)).toEqual({ missing: 1, restored: 0 })
    expect(rows().find((r) => r.source_path === file)?.status).toBe('missing')
    expect(rows()).toHaveLength(MESSY_EXPECTED.imported)
    await rename(aside, file)
    expect(await refreshMissing(ctx, dataset.id)).toEqual({ missing: 0, restored: 1 })
    expect(rows().every((r) => r.status === 'ok')).toBe(true)
  })

  it('imports chosen files under one label and rejects a folder passed as a file', async () => {
    const files = [
      join(messy.root, 'cats/cat1.jpg'),
      join(messy.root, 'dogs/folder.jpg'),
      join(base, 'nope.jpg'),
    ]
    const result = await importFiles(ctx, { files, dataset: 'picked', label: 'favourites' })
    expect(result.imported).toBe(1)
    expect(result.classes).toEqual({ favourites: 1 })
    expect(result.rejected.map((r) => [rel(r.path), r.reason])).toEqual([
      ['dogs/folder.jpg', 'unreadable'],
      ['../nope.jpg', 'unreadable'],
    ])
    expect(result.rejected[0]!.detail).toMatch(/folder/)
  })

  it('makes thumbnails again after the thumbnail cache was cleared', async () => {
    await rm(ctx.thumbnailsDir, { recursive: true })
    const result = await importFiles(ctx, {
      files: [join(messy.root, 'cats/cat.tiff')],
      dataset: 'after clearing',
    })
    expect(result.imported).toBe(1)
    const row = rows().find((r) => r.source_path.endsWith('cat.tiff'))!
    expect(existsSync(thumbnailPath(ctx.thumbnailsDir, row.hash))).toBe(true)
  })

  it('refuses an import without a dataset name', async () => {
    await expect(importFolder(ctx, { folder: messy.root, dataset: '  ' })).rejects.toThrow(/dataset name/)
  })

  it('stops when cancelled, keeping what was committed', async () => {
    const many = join(base, 'many')
    await mkdir(join(many, 'x'), { recursive: true })
    for (let i = 0; i < 40; i++)
      await rawImage(16, 16, 3, 1000 + i)
        .png()
        .toFile(join(many, 'x', `${i}.png`))
    const controller = new AbortController()
    const result = await importFolder(ctx, {
      folder: many,
      dataset: 'cancelled',
      signal: controller.signal,
      chunkSize: 5,
      concurrency: 1,
      // the first progress event comes after the first file; with one file in flight nothing else starts
      onProgress: (p) => {
        if (p.phase === 'importing') controller.abort()
      },
    })
    expect(result.cancelled).toBe(true)
    expect(result.imported).toBe(1)
    expect(result.imported).toBeLessThan(40)
    const stored = db
      .prepare<[], { n: number }>(
        "SELECT COUNT(*) AS n FROM images JOIN datasets d ON d.id = dataset_id WHERE d.name = 'cancelled'",
      )
      .get()!
    expect(stored.n).toBe(result.imported)
    const resumed = await importFolder(ctx, { folder: many, dataset: 'cancelled' })
    expect(resumed.imported + result.imported).toBe(40)
    expect(resumed.duplicates).toBe(result.imported)
    expect(existsSync(ctx.thumbnailsDir)).toBe(true)
  })

  it('does not re-read a file whose path, size and label match and that was not modified since', async () => {
    const many = join(base, 'many')
    const file = join(many, 'x', '0.png')
    const { size } = await stat(file)
    await writeFile(file, Buffer.alloc(size)) // same size, no longer an image
    const past = new Date('2001-01-01T00:00:00Z')
    await utimes(file, past, past)
    const skipped = await importFolder(ctx, { folder: many, dataset: 'cancelled' })
    expect([skipped.imported, skipped.duplicates, skipped.rejected]).toEqual([0, 40, []])
    const later = new Date(Date.now() + 60_000)
    await utimes(file, later, later)
    const reread = await importFolder(ctx, { folder: many, dataset: 'cancelled' })
    expect(reread.rejected.map((r) => [relative(many, r.path), r.reason])).toEqual([
      ['x/0.png', 'not-an-image'],
    ])
    expect(reread.duplicates).toBe(39)
  })
})
