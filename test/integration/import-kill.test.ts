import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { openDatabase } from '../../src/core/store/db'
import { importFolder } from '../../src/core/dataset/import'
import { thumbnailPath } from '../../src/core/dataset/thumbnails'
import { rawImage } from '../helpers/messy-folder'

const COUNT = 400
const CHUNK = 50
let base: string
let folder: string

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'cohort-kill-'))
  folder = join(base, 'photos')
  for (const label of ['a', 'b']) await mkdir(join(folder, label), { recursive: true })
  const writes: Promise<unknown>[] = []
  for (let i = 0; i < COUNT; i++) {
    const file = join(folder, i % 2 ? 'a' : 'b', `${i}.jpg`)
    writes.push(
      rawImage(96, 96, 3, 5000 + i)
        .jpeg({ quality: 90 })
        .toFile(file),
    )
  }
  await Promise.all(writes)
})
afterAll(async () => {
  await rm(base, { recursive: true, force: true })
})

function countImages(dbFile: string): number {
  if (!existsSync(dbFile)) return 0
  const db = new Database(dbFile, { readonly: true, fileMustExist: true })
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n
  } catch {
    return 0 // schema not created yet
  } finally {
    db.close()
  }
}

it('leaves a consistent library when the importing process is killed, and a re-run completes it', async () => {
  const dbFile = join(base, 'library.sqlite')
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/import-child.ts', dbFile, folder, String(CHUNK)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('exit', (_code, signal) => resolve(signal)),
  )
  // kill as soon as at least two chunks are committed, as seen by another reader of the library
  const deadline = Date.now() + 30_000
  let seen = 0
  while (seen < 2 * CHUNK && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 10))
    seen = countImages(dbFile)
  }
  child.kill('SIGKILL')
  expect(await exited, stderr).toBe('SIGKILL')
  expect(seen).toBeGreaterThanOrEqual(2 * CHUNK)

  const db = openDatabase(dbFile)
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
  const rows = db.prepare('SELECT hash FROM images').all() as { hash: string }[]
  // killed mid-way: some but not all, and only whole chunks (each chunk is one transaction)
  expect(rows.length).toBeLessThan(COUNT)
  expect(rows.length % CHUNK).toBe(0)
  const thumbnailsDir = join(base, 'thumbnails')
  for (const { hash } of rows) expect(existsSync(thumbnailPath(thumbnailsDir, hash))).toBe(true)

  const report = await importFolder({ db, thumbnailsDir }, { folder, dataset: 'killed' })
  expect(report.imported).toBe(COUNT - rows.length)
  expect(report.duplicates).toBe(rows.length)
  expect(report.rejected).toEqual([])
  expect(report.classes).toEqual({ a: COUNT / 2, b: COUNT / 2 })
  const total = db.prepare('SELECT COUNT(*) AS n, COUNT(DISTINCT hash) AS d FROM images').get() as {
    n: number
    d: number
  }
  expect(total).toEqual({ n: COUNT, d: COUNT })
  db.close()
})
