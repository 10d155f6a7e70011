import { existsSync, readdirSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  ChunkWriter,
  checkLabels,
  importFolder,
  ImportTally,
  isDiskFull,
  runPool,
} from '../../../../src/core/dataset/import'
import type { ScannedFile } from '../../../../src/core/dataset/scan'
import { saveThumbnail, thumbnailPath } from '../../../../src/core/dataset/thumbnails'
import { createDataset } from '../../../../src/core/store/datasets'
import { rawImage } from '../../../helpers/messy-folder'
import { tempLibrary, type TempLibrary } from '../store/fixture'

const file = (path: string, label: string | null): ScannedFile => ({ path, label, bytes: 1, mtimeMs: 0 })
const hash = (n: number): string => n.toString(16).padStart(64, '0')

describe('import steps', () => {
  it('checkLabels rejects only the files of a folder that cannot name a label, with the reason', () => {
    const long = 'x'.repeat(101)
    const { files, rejected } = checkLabels([
      file('/p/cat/1.png', 'cat'),
      file('/p/a\tb/2.png', 'a\tb'),
      file(`/p/${long}/3.png`, long),
      file('/p/ dog /4.png', ' dog '),
      file('/p/loose.png', null),
      file('/p/сat/5.png', 'сat'), // Cyrillic с: a different label, and a valid one
    ])
    expect(files.map((f) => [f.path, f.label])).toEqual([
      ['/p/cat/1.png', 'cat'],
      ['/p/ dog /4.png', 'dog'],
      ['/p/loose.png', null],
      ['/p/сat/5.png', 'сat'],
    ])
    expect(rejected).toEqual([
      { path: '/p/a\tb/2.png', reason: 'invalid-label', detail: expect.stringMatching(/control character/) },
      {
        path: `/p/${long}/3.png`,
        reason: 'invalid-label',
        detail: expect.stringMatching(/101 characters long; the limit is 100/),
      },
    ])
  })

  it('ImportTally counts the same bytes under the same label (any case) as a duplicate, else a conflict', () => {
    const tally = new ImportTally()
    tally.sameBytes(file('/a', 'Cat'), { label: 'cat', path: '/x' })
    tally.sameBytes(file('/b', null), { label: null, path: '/y' })
    tally.sameBytes(file('/c', 'dog'), { label: 'cat', path: '/x' })
    expect(tally.duplicates).toBe(2)
    expect(tally.conflicts).toEqual([
      { path: '/c', existingLabel: 'cat', newLabel: 'dog', existingPath: '/x' },
    ])
    expect(tally.reject('/d', 'empty', '0 bytes')).toEqual({ kind: 'rejected', reason: 'empty' })
    expect(tally.rejected).toEqual([{ path: '/d', reason: 'empty', detail: '0 bytes' }])
  })

  it('runPool stops taking items after a failure and throws only once the items in flight settled', async () => {
    const started: number[] = []
    const finished: number[] = []
    const pool = runPool([0, 1, 2, 3, 4, 5, 6, 7], 3, undefined, async (i) => {
      started.push(i)
      await new Promise((r) => setTimeout(r, i === 1 ? 5 : 30))
      if (i === 1) throw new Error('boom')
      finished.push(i)
    })
    await expect(pool).rejects.toThrow('boom')
    expect(started).toEqual([0, 1, 2])
    expect(finished.sort()).toEqual([0, 2])
  })

  it('isDiskFull knows ENOSPC, EDQUOT and SQLITE_FULL, nothing else', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL']) expect(isDiskFull({ code })).toBe(true)
    for (const e of [{ code: 'EACCES' }, new Error('ENOSPC'), null, undefined])
      expect(isDiskFull(e)).toBe(false)
  })

  describe('ChunkWriter', () => {
    let lib: TempLibrary
    let thumbnailsDir: string
    beforeEach(() => {
      lib = tempLibrary()
      thumbnailsDir = join(lib.dir, 'thumbnails')
    })
    afterEach(() => lib.cleanup())

    const row = (datasetId: number, n: number) => ({
      datasetId,
      sourcePath: `/p/${n}.png`,
      hash: hash(n),
      bytes: 10,
      format: 'png' as const,
      width: 4,
      height: 4,
    })

    it('commits a chunk when full; after a failure removes only the thumbnails of rows not committed', async () => {
      const ds = createDataset(lib.db, 'pets').id
      const other = createDataset(lib.db, 'other').id
      const writer = new ChunkWriter({ db: lib.db, thumbnailsDir }, ds, 2)
      for (const n of [1, 2, 3, 4, 5]) await saveThumbnail(thumbnailsDir, hash(n), Buffer.from('jpeg'))
      // hash 5 is also another dataset's image: its thumbnail is shared and must stay
      new ChunkWriter({ db: lib.db, thumbnailsDir }, other, 1).add(row(other, 5), null, false)
      writer.add(row(ds, 1), 'cat', true)
      writer.add(row(ds, 2), 'cat', true) // chunk full: committed
      expect(writer.imported).toBe(2)
      writer.add(row(ds, 3), 'a\tb', true) // this label makes the next commit fail
      expect(() => writer.add(row(ds, 5), null, true)).toThrow(/control character/)
      await writer.commitWhatCan()
      expect(writer.imported).toBe(2)
      const present = [1, 2, 3, 5].filter((n) => existsSync(thumbnailPath(thumbnailsDir, hash(n))))
      expect(present).toEqual([1, 2, 5])
    })
  })

  it('one badly named sub-folder does not stop the folders beside it, and leaves no orphan thumbnail', async () => {
    const lib = tempLibrary()
    try {
      const folder = join(lib.dir, 'photos')
      const names = ['good', 'bad\tname', 'y'.repeat(101), 'esc\x1b[31m']
      for (const [i, name] of names.entries()) {
        await mkdir(join(folder, name), { recursive: true })
        await rawImage(16, 16, 3, i + 1)
          .png()
          .toFile(join(folder, name, `${i}.png`))
      }
      await writeFile(join(folder, 'good', 'empty.png'), '')
      const ctx = { db: lib.db, thumbnailsDir: join(lib.dir, 'thumbnails') }
      const report = await importFolder(ctx, { folder, dataset: 'mixed' })
      expect(report.imported).toBe(1)
      expect(report.classes).toEqual({ good: 1 })
      expect(report.rejected.map((r) => [r.path.slice(folder.length + 1), r.reason])).toEqual(
        [
          ['bad\tname/1.png', 'invalid-label'],
          ['esc\x1b[31m/3.png', 'invalid-label'],
          ['good/empty.png', 'empty'],
          [`${'y'.repeat(101)}/2.png`, 'invalid-label'],
        ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
      )
      const shards = readdirSync(ctx.thumbnailsDir)
      expect(shards.flatMap((s) => readdirSync(join(ctx.thumbnailsDir, s)))).toHaveLength(1)
      const again = await importFolder(ctx, { folder, dataset: 'mixed' })
      expect([again.imported, again.duplicates, again.rejected.length]).toEqual([0, 1, 4])
    } finally {
      lib.cleanup()
    }
  })
})
