/**
 * The one way Cohort reads a file a person pointed it at (pictures, CSVs, IDX files, model bundles): regular
 * files only, size-capped before a byte is read, read with a bound even if the file grows or lies about its
 * size (/proc files say 0), and every refusal a reason in the words import gives. A path that names a device,
 * a named pipe or a socket can neither block (O_NONBLOCK, then a check on the open handle) nor fill memory.
 */
import { constants, type Stats } from 'node:fs'
import { lstat, open, stat, type FileHandle } from 'node:fs/promises'
import { REJECT_MESSAGES, type RejectReason } from '../../shared/types'

/** Bigger pictures are refused unread: no photo worth training on is this large, and reading it costs memory. */
export const MAX_PICTURE_BYTES = 256 * 1024 * 1024

/** A file that is not read, with the reason a person can act on (as import reports it). */
export class FileRefusedError extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(`${REJECT_MESSAGES[reason]}: ${detail}`)
    this.name = 'FileRefusedError'
  }
}

export interface ReadLimits {
  /** more bytes than this are refused ('too-large'), before reading when the size says so */
  maxBytes: number
  /** refuse a symbolic link instead of following it (for paths whose place was checked already) */
  noFollow?: boolean
  /** refuse a file with no bytes ('empty') */
  refuseEmpty?: boolean
}

/** What kind of thing a path that is not a regular file is, in a person's words. */
export function describeKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFIFO()) return 'a named pipe'
  if (stats.isSocket()) return 'a socket'
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device'
  return 'a special file'
}

export function tooLarge(bytes: number, limit: number, atLeast = false): FileRefusedError {
  return new FileRefusedError(
    'too-large',
    `${atLeast ? 'more than ' : ''}${mib(bytes)}, the limit is ${mib(limit)}`,
  )
}

function mib(n: number): string {
  if (n < 2 ** 20) return `${n} bytes`
  return `${Math.round((n / 2 ** 20) * 10) / 10} MiB`
}

const NOT_FOLLOWED = 'it is a symbolic link, which is not followed here'

function notRegular(stats: Stats): FileRefusedError {
  return new FileRefusedError('unreadable', `not a regular file (${describeKind(stats)})`)
}

/** A system error as a plain reason (no error codes or syscall names for a person to decode). */
function openError(err: unknown, noFollow: boolean): FileRefusedError {
  return new FileRefusedError('unreadable', systemErrorText(err, noFollow))
}

/** Why a path could not be opened, in a person's words, from the system error's code. */
export function systemErrorText(err: unknown, noFollow = false): string {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ENOENT'
    ? 'the file does not exist'
    : code === 'ENOTDIR'
      ? 'a folder on its path is a file'
      : code === 'ELOOP'
        ? noFollow
          ? NOT_FOLLOWED
          : 'the symbolic link loops'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENXIO'
            ? 'not a regular file (a socket or device)'
            : code === 'EISDIR'
              ? 'not a regular file (a folder)'
              : code === 'ENAMETOOLONG'
                ? 'the path is too long'
                : code === 'ENOSPC' || code === 'EDQUOT'
                  ? 'the disk is full'
                  : code === 'EROFS'
                    ? 'the disk is read-only'
                    : code === 'EEXIST'
                      ? 'it already exists'
                      : `an input/output error (${code ?? 'unknown'})`
}

/**
 * Any error as a reason a person can read: a system error (it has a code such as ENOENT) in plain words,
 * never its code and call ("ENOENT: no such file or directory, realpath …"); Cohort's own errors as they are.
 */
export function plainErrorText(err: unknown): string {
  if (err instanceof FileRefusedError) return refusalText(err)
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return systemErrorText(err)
  return err instanceof Error ? err.message : String(err)
}

/**
 * Reads a whole regular file of at most `maxBytes`. Nothing is opened unless the path names a regular
 * file; the open handle is checked again (the path may have been swapped meanwhile), and at most
 * `maxBytes + 1` bytes are ever read, so a file that grows or reports a wrong size is still refused.
 */
export async function readFileBounded(path: string, limits: ReadLimits): Promise<Buffer> {
  const { maxBytes, noFollow = false, refuseEmpty = false } = limits
  let before: Stats
  try {
    before = noFollow ? await lstat(path) : await stat(path)
  } catch (err) {
    throw openError(err, noFollow)
  }
  // devices are never opened: opening one can have effects of its own (a tape rewinds, a tty is claimed)
  if (before.isSymbolicLink()) throw new FileRefusedError('unreadable', NOT_FOLLOWED)
  if (!before.isFile()) throw notRegular(before)
  if (before.size > maxBytes) throw tooLarge(before.size, maxBytes)
  let flags = constants.O_RDONLY | constants.O_NONBLOCK
  if (noFollow) flags |= constants.O_NOFOLLOW
  let handle: FileHandle
  try {
    handle = await open(path, flags)
  } catch (err) {
    throw openError(err, noFollow)
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw notRegular(stats)
    if (stats.size > maxBytes) throw tooLarge(stats.size, maxBytes)
    const bytes = await readAtMost(handle, stats.size, maxBytes)
    if (bytes.length > maxBytes) throw tooLarge(maxBytes, maxBytes, true)
    if (refuseEmpty && bytes.length === 0) throw new FileRefusedError('empty', '0 bytes')
    return bytes
  } catch (err) {
    if (err instanceof FileRefusedError) throw err
    throw openError(err, noFollow)
  } finally {
    await handle.close()
  }
}

/**
 * A refusal as one sentence for a list of files: an unreadable file's own detail says it plainly ("the file
 * does not exist", "not a regular file (a named pipe)"); the others keep import's sentence before it.
 */
export function refusalText(err: FileRefusedError): string {
  return err.reason === 'unreadable' ? err.detail : err.message
}

/** readFileBounded as UTF-8 text. */
export async function readTextBounded(path: string, limits: ReadLimits): Promise<string> {
  return (await readFileBounded(path, limits)).toString('utf8')
}

const GROWTH_CHUNK = 64 * 1024

/**
 * Reads until end of file or until `maxBytes + 1` bytes are in (one past the limit proves it is exceeded).
 * The buffer starts at the reported size + 1, so a file that keeps its size costs one allocation.
 */
async function readAtMost(handle: FileHandle, reported: number, maxBytes: number): Promise<Buffer> {
  const ceiling = maxBytes + 1
  let buffer = Buffer.allocUnsafe(Math.min(reported + 1, ceiling))
  let length = 0
  for (;;) {
    if (length === buffer.length) {
      if (length >= ceiling) break
      const grown = Buffer.allocUnsafe(Math.min(ceiling, Math.max(length * 2, length + GROWTH_CHUNK)))
      buffer.copy(grown, 0, 0, length)
      buffer = grown
    }
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
    if (bytesRead === 0) break
    length += bytesRead
  }
  return buffer.subarray(0, length)
}
