import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DiskFullError, importFolder, type ImportContext } from '../../src/core/dataset/import'
import { openDatabase, type Db } from '../../src/core/store/db'
import { rawImage } from '../helpers/messy-folder'

const IMAGES = 40

/** Every file under the thumbnail cache, by name: what a failed import may have left behind. */
function thumbnailFiles(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort()
  } catch {
    return []
  }
}

const committedHashes = (db: Db): string[] =>
  db
    .prepare<[], { hash: string }>('SELECT hash FROM images ORDER BY hash')
    .all()
    .map((r) => `${r.hash}.jpg`)

/** A tmpfs needs root (or a user namespace); without it the real-disk case is skipped, not faked. */
function tryMount(dir: string, size: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' })
    return null
  } catch (err) {
    return (err as Error).message.split('\n')[0] ?? 'mount failed'
  }
}

describe('import when the disk fills up', () => {
  let base: string
  let photos: string

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'cohort-full-'))
    photos = join(base, 'photos')
    mkdirSync(join(photos, 'noise'), { recursive: true })
    // noise compresses badly: each thumbnail is tens of kilobytes, so a small disk fills after a few
    for (let i = 0; i < IMAGES; i++) {
      await rawImage(200, 200, 3, i + 1)
        .png()
        .toFile(join(photos, 'noise', `${i}.png`))
    }
  })
  afterAll(() => rmSync(base, { recursive: true, force: true }))

  const small = join(tmpdir(), `cohort-full-thumbs-${process.pid}`)
  mkdirSync(small, { recursive: true })
  const mountProblem = tryMount(small, '256k')
  afterAll(() => {
    if (mountProblem === null) execFileSync('umount', [small])
    rmSync(small, { recursive: true, force: true })
  })

  it.skipIf(mountProblem !== null)(
    `thumbnails on a full tmpfs: keeps what was committed, removes the rest, says so plainly${mountProblem ? ` (skipped: cannot mount a tmpfs here: ${mountProblem})` : ''}`,
    async () => {
      const db = openDatabase(join(base, 'tmpfs-library.sqlite'))
      const ctx: ImportContext = { db, thumbnailsDir: join(small, 'thumbnails') }
      try {
        const failure = await importFolder(ctx, { folder: photos, dataset: 'noise', chunkSize: 2 }).catch(
          (err: unknown) => err,
        )
        expect(failure).toBeInstanceOf(DiskFullError)
        const imported = (failure as DiskFullError).imported
        expect(imported).toBeGreaterThan(0)
        expect(imported).toBeLessThan(IMAGES)
        expect((failure as Error).message).toBe(
          `The disk is full: imported ${imported} pictures before it filled; free some space and import again to add the rest.`,
        )
        expect((failure as Error).message).not.toMatch(/ENOSPC/)
        // exactly the committed rows have thumbnails: no orphan, no temporary file, nothing missing
        expect(committedHashes(db)).toHaveLength(imported)
        expect(thumbnailFiles(ctx.thumbnailsDir)).toEqual(committedHashes(db))

        // space freed: the same import adds the rest and loses nothing
        execFileSync('mount', ['-o', 'remount,size=16m', small])
        const report = await importFolder(ctx, { folder: photos, dataset: 'noise', chunkSize: 2 })
        expect(report.imported).toBe(IMAGES - imported)
        expect(report.rejected).toEqual([])
        expect(committedHashes(db)).toHaveLength(IMAGES)
        expect(thumbnailFiles(ctx.thumbnailsDir)).toEqual(committedHashes(db))
      } finally {
        db.close()
      }
    },
  )

  it('a library that cannot grow (SQLITE_FULL): keeps the committed rows, removes the thumbnails of the rest', async () => {
    const db = openDatabase(join(base, 'capped-library.sqlite'))
    const ctx: ImportContext = { db, thumbnailsDir: join(base, 'capped-thumbnails') }
    try {
      // the library may not grow by a page: a real "database or disk is full" from SQLite, deterministic
      const pages = db.pragma('page_count', { simple: true }) as number
      db.pragma(`max_page_count = ${pages}`)
      const failure = await importFolder(ctx, { folder: photos, dataset: 'noise', chunkSize: 4 }).catch(
        (err: unknown) => err,
      )
      expect(failure).toBeInstanceOf(DiskFullError)
      const imported = (failure as DiskFullError).imported
      expect((failure as Error).message).toMatch(/^The disk is full: imported \d+ pictures? before it filled/)
      expect(committedHashes(db)).toHaveLength(imported)
      expect(imported).toBeLessThan(IMAGES)
      expect(thumbnailFiles(ctx.thumbnailsDir)).toEqual(committedHashes(db))
    } finally {
      db.close()
    }
  })
})
