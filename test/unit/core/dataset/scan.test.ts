import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FolderScanError, isSystemFile, scanFolder } from '../../../../src/core/dataset/scan'

let base: string
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'cohort-scan-'))
})
afterEach(async () => {
  await rm(base, { recursive: true, force: true })
})

async function put(rel: string, data = 'x'): Promise<void> {
  await mkdir(join(base, rel, '..'), { recursive: true })
  await writeFile(join(base, rel), data)
}

describe('isSystemFile', () => {
  it('knows what operating systems and cameras leave beside pictures', () => {
    for (const name of [
      '.DS_Store',
      '._IMG_1.jpg',
      'Thumbs.db',
      'desktop.ini',
      'a.csv',
      'b.TXT',
      'c.json',
      'd.xmp',
      'LICENSE',
      'Licence',
      'COPYING',
      'README',
    ]) {
      expect(isSystemFile(name), name).toBe(true)
    }
    for (const name of ['IMG_1.jpg', 'photo.PNG', 'no-extension', 'scan.bmp'])
      expect(isSystemFile(name), name).toBe(false)
  })
})

describe('scanFolder', () => {
  it('labels files by their first-level folder and keeps loose files unlabelled', async () => {
    await put('root.jpg')
    await put('cats/a.jpg')
    await put('cats/x/y/deep.jpg')
    await put('dogs/b.png', 'bb')
    await put('Cafe\u0301/c.jpg') // decomposed, as macOS stores names
    const scan = await scanFolder(base)
    const files = scan.files.map((f) => [relative(base, f.path), f.label, f.bytes])
    expect(files).toEqual([
      ['root.jpg', null, 1],
      ['Cafe\u0301/c.jpg', 'Caf\u00e9', 1],
      ['cats/a.jpg', 'cats', 1],
      ['cats/x/y/deep.jpg', 'cats', 1],
      ['dogs/b.png', 'dogs', 2],
    ])
    expect(scan.skipped).toBe(0)
    expect(scan.rejected).toEqual([])
  })

  it('skips system files and hidden folders, and counts them', async () => {
    await put('.DS_Store')
    await put('cats/._a.jpg')
    await put('cats/a.jpg')
    await put('cats/notes.txt')
    await put('.git/objects/x.jpg')
    await put('__MACOSX/cats/a.jpg')
    const scan = await scanFolder(base)
    expect(scan.files.map((f) => relative(base, f.path))).toEqual(['cats/a.jpg'])
    expect(scan.skipped).toBe(5)
  })

  it('ends on symlink loops, follows links inside and rejects links leading outside', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'cohort-outside-'))
    try {
      await writeFile(join(outside, 'secret.jpg'), 'x')
      await put('cats/a.jpg')
      await put('.store/kept.jpg')
      await symlink('..', join(base, 'cats/up'))
      await symlink(join(base, 'cats'), join(base, 'cats/self'))
      await symlink('../.store/kept.jpg', join(base, 'cats/kept.jpg'))
      await symlink(join(outside, 'secret.jpg'), join(base, 'cats/secret.jpg'))
      await symlink(outside, join(base, 'elsewhere'))
      await symlink('missing.jpg', join(base, 'cats/broken.jpg'))
      const scan = await scanFolder(base)
      expect(scan.files.map((f) => [relative(base, f.path), f.label])).toEqual([
        ['cats/a.jpg', 'cats'],
        ['cats/kept.jpg', 'cats'],
      ])
      expect(scan.skipped).toBe(3) // .store, and the two links back to folders already seen
      expect(scan.rejected.map((r) => [relative(base, r.path), r.reason])).toEqual([
        ['elsewhere', 'outside-symlink'],
        ['cats/broken.jpg', 'unreadable'],
        ['cats/secret.jpg', 'outside-symlink'],
      ])
    } finally {
      await rm(outside, { recursive: true, force: true })
    }
  })

  it('rejects a named pipe without opening it (opening would block)', async () => {
    await mkdir(join(base, 'cats'))
    execFileSync('mkfifo', [join(base, 'cats/pipe.jpg')])
    const scan = await scanFolder(base)
    expect(scan.rejected).toEqual([
      {
        path: join(base, 'cats/pipe.jpg'),
        reason: 'unreadable',
        detail: 'not a regular file (a named pipe)',
      },
    ])
  })

  it('explains a folder that does not exist or is a file', async () => {
    await expect(scanFolder(join(base, 'nope'))).rejects.toThrow(
      new FolderScanError(`Folder not found: ${join(base, 'nope')}`),
    )
    await put('file.jpg')
    await expect(scanFolder(join(base, 'file.jpg'))).rejects.toThrow(
      new FolderScanError(`${join(base, 'file.jpg')} is a file, not a folder.`),
    )
  })
})
