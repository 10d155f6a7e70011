import { afterAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { linkSync, mkdirSync, readdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  FileRefusedError,
  plainErrorText,
  readFileBounded,
  readTextBounded,
} from '../../../../src/core/files/read'
import { tempDir } from '../../../helpers/temp'

const MiB = 1024 * 1024

/** The refusal a read ends in, and how long it took. */
async function refusal(path: string, limits: Parameters<typeof readFileBounded>[1]) {
  const started = performance.now()
  const err = await readFileBounded(path, limits).then(
    () => null,
    (e: unknown) => e,
  )
  const ms = performance.now() - started
  expect(err, path).toBeInstanceOf(FileRefusedError)
  return { err: err as FileRefusedError, ms }
}

describe('the bounded reader', () => {
  const dir = tempDir()
  afterAll(() => dir.cleanup())
  const file = join(dir.path, 'plain.txt')
  writeFileSync(file, 'hello')

  it('reads a regular file, through a hard link too, and a symbolic link unless told not to', async () => {
    expect((await readFileBounded(file, { maxBytes: 5 })).toString()).toBe('hello')
    linkSync(file, join(dir.path, 'hard'))
    expect(await readTextBounded(join(dir.path, 'hard'), { maxBytes: 5 })).toBe('hello')
    symlinkSync(file, join(dir.path, 'soft'))
    expect(await readTextBounded(join(dir.path, 'soft'), { maxBytes: 5 })).toBe('hello')
    const { err } = await refusal(join(dir.path, 'soft'), { maxBytes: 5, noFollow: true })
    expect(err.message).toMatch(/symbolic link/)
  })

  it('refuses a file over the limit, an empty file when asked, and a missing one, in plain words', async () => {
    const over = await refusal(file, { maxBytes: 4 })
    expect(over.err.reason).toBe('too-large')
    expect(over.err.message).toBe('the file is larger than the safety limit: 5 bytes, the limit is 4 bytes')
    writeFileSync(join(dir.path, 'empty'), '')
    expect((await refusal(join(dir.path, 'empty'), { maxBytes: 9, refuseEmpty: true })).err.reason).toBe(
      'empty',
    )
    expect((await readFileBounded(join(dir.path, 'empty'), { maxBytes: 9 })).length).toBe(0)
    expect((await refusal(join(dir.path, 'nope'), { maxBytes: 9 })).err.detail).toBe(
      'the file does not exist',
    )
  })

  it('refuses a named pipe at once instead of waiting for a writer', async () => {
    const fifo = join(dir.path, 'pipe')
    execFileSync('mkfifo', [fifo])
    const { err, ms } = await refusal(fifo, { maxBytes: MiB })
    expect(err.detail).toBe('not a regular file (a named pipe)')
    expect(ms).toBeLessThan(1000)
  })

  it('refuses devices (/dev/zero, /dev/urandom) and folders without reading them', async () => {
    for (const device of ['/dev/zero', '/dev/urandom']) {
      const { err, ms } = await refusal(device, { maxBytes: MiB })
      expect(err.detail).toBe('not a regular file (a device)')
      expect(ms).toBeLessThan(1000)
    }
    mkdirSync(join(dir.path, 'folder'))
    expect((await refusal(join(dir.path, 'folder'), { maxBytes: MiB })).err.detail).toBe(
      'not a regular file (a folder)',
    )
  })

  it('reads a /proc file that reports 0 bytes, and stops one byte past the limit', async () => {
    const status = await readTextBounded('/proc/self/status', { maxBytes: MiB })
    expect(status).toMatch(/^Name:/)
    const { err } = await refusal('/proc/self/status', { maxBytes: 16 })
    expect(err.message).toBe(
      'the file is larger than the safety limit: more than 16 bytes, the limit is 16 bytes',
    )
  })

  it('refuses a sparse 4 GB file before reading it, in bounded time and memory', async () => {
    const sparse = join(dir.path, 'sparse.jpg')
    writeFileSync(sparse, '')
    truncateSync(sparse, 4 * 1024 * MiB)
    const rss = process.memoryUsage().rss
    const { err, ms } = await refusal(sparse, { maxBytes: 256 * MiB })
    expect(err.message).toBe('the file is larger than the safety limit: 4096 MiB, the limit is 256 MiB')
    expect(ms).toBeLessThan(1000)
    expect(process.memoryUsage().rss - rss).toBeLessThan(50 * MiB)
  })
})

describe('plainErrorText: any error as a reason a person reads', () => {
  const tmp = tempDir()
  afterAll(() => tmp.cleanup())

  /** the error a real file-system call ends in */
  const failure = (call: () => unknown) => {
    try {
      call()
    } catch (err) {
      return err
    }
    throw new Error('the call did not fail')
  }

  it('words real system errors plainly, without their code or call', () => {
    const file = join(tmp.path, 'a-file')
    writeFileSync(file, 'x')
    const missing = failure(() => readdirSync(join(tmp.path, 'nowhere')))
    const underFile = failure(() => mkdirSync(join(file, 'sub')))
    const exists = failure(() => mkdirSync(tmp.path))
    expect([missing, underFile, exists].map(plainErrorText)).toEqual([
      'the file does not exist',
      'a folder on its path is a file',
      'it already exists',
    ])
    for (const err of [missing, underFile, exists])
      expect(plainErrorText(err)).not.toMatch(/E[A-Z]{3,}|mkdir|scandir/)
  })

  it('keeps Cohort’s own messages and a refusal’s reason as they are', () => {
    expect(plainErrorText(new Error('The dataset has no labels.'))).toBe('The dataset has no labels.')
    expect(plainErrorText(new FileRefusedError('unreadable', 'permission denied'))).toBe('permission denied')
  })
})
