import type { Dirent, Stats } from 'node:fs'
import { readdir, realpath, stat } from 'node:fs/promises'
import { basename, extname, join, relative, resolve, isAbsolute } from 'node:path'
import type { RejectedFile } from '../../shared/types'
import { describeKind, plainErrorText, systemErrorText } from '../files/read'

/** A candidate image found in the folder; whether it really is one is decided when it is decoded. */
export interface ScannedFile {
  path: string
  /** name of the first-level sub-folder it lies under; null for loose files in the root */
  label: string | null
  bytes: number
  mtimeMs: number
}

export interface ScanResult {
  files: ScannedFile[]
  /** system files, sidecars and repeated directories (e.g. a symlink loop) left out on purpose */
  skipped: number
  rejected: RejectedFile[]
}

export class FolderScanError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FolderScanError'
  }
}

// Metadata that cameras, editors and operating systems leave beside pictures.
const SIDECAR_EXTENSIONS = new Set([
  '.csv',
  '.tsv',
  '.txt',
  '.json',
  '.xmp',
  '.xml',
  '.md',
  '.ini',
  '.db',
  '.log',
  '.aae',
  '.thm',
  '.yaml',
  '.yml',
])
const SYSTEM_DIRECTORIES = new Set(['__MACOSX', '@eaDir', '$RECYCLE.BIN', 'System Volume Information'])

/** Hidden files (.DS_Store, ._AppleDouble…), Thumbs.db, desktop.ini and sidecars are not pictures. */
// the documents a shared picture folder carries beside its pictures, often without an extension
const DOCUMENT_NAMES = new Set(['license', 'licence', 'copying', 'readme', 'notice', 'authors'])

export function isSystemFile(name: string): boolean {
  if (name.startsWith('.')) return true
  if (name === 'Icon\r') return true
  if (DOCUMENT_NAMES.has(name.toLowerCase())) return true
  return SIDECAR_EXTENSIONS.has(extname(name).toLowerCase())
}

/** Hidden entries and OS folders (AppleDouble archives, NAS thumbnails, the recycle bin) are never content. */
function isHiddenEntry(name: string): boolean {
  return name.startsWith('.') || SYSTEM_DIRECTORIES.has(name)
}

/** Folder names become label names; macOS stores them decomposed (NFD), so fold to one form. */
export function labelName(folderName: string): string {
  return folderName.normalize('NFC')
}

function isInside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** Why a folder cannot be scanned, in a person's words (never a system error's code or call). */
function folderError(root: string, err: unknown): FolderScanError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new FolderScanError(`Folder not found: ${root}`)
  if (code === 'ENOTDIR')
    return new FolderScanError(`Folder not found: ${root} (a folder on its path is a file)`)
  return new FolderScanError(`Cannot open the folder ${root}: ${systemErrorText(err)}`)
}

/**
 * Lists the files of a folder recursively. First-level sub-folders name the labels; deeper folders keep
 * their top-level label. Symlinks are followed only while they stay inside the folder, and each real
 * directory is entered once, so symlink loops end. Never opens a file, so a FIFO cannot block the scan.
 */
export async function scanFolder(folder: string, signal?: AbortSignal): Promise<ScanResult> {
  const root = resolve(folder)
  let rootReal: string
  try {
    rootReal = await realpath(root)
    const stats = await stat(rootReal)
    if (!stats.isDirectory()) {
      const kind = stats.isFile() ? 'a file' : describeKind(stats)
      throw new FolderScanError(`${root} is ${kind}, not a folder.`)
    }
  } catch (err) {
    if (err instanceof FolderScanError) throw err
    throw folderError(root, err)
  }
  const result: ScanResult = { files: [], skipped: 0, rejected: [] }
  const visited = new Set<string>([rootReal])

  const walk = async (dir: string, label: string | null, depth: number): Promise<void> => {
    signal?.throwIfAborted()
    let entries: Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      result.rejected.push({ path: dir, reason: 'unreadable', detail: systemErrorText(err) })
      return
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const subfolders: { path: string; label: string | null }[] = []
    const hidden = entries.filter((entry) => isHiddenEntry(entry.name))
    result.skipped += hidden.length
    entries = entries.filter((entry) => !isHiddenEntry(entry.name))
    const infos = await Promise.all(
      entries.map((entry) => describeEntry(join(dir, entry.name), entry, rootReal)),
    )
    for (const [i, info] of infos.entries()) {
      const entry = entries[i]!
      const path = join(dir, entry.name)
      if (info.kind === 'rejected') {
        result.rejected.push(info.rejected)
      } else if (info.kind === 'directory') {
        if (visited.has(info.real)) {
          result.skipped++
          continue
        }
        visited.add(info.real)
        subfolders.push({ path, label: depth === 0 ? labelName(entry.name) : label })
      } else if (isSystemFile(entry.name)) {
        result.skipped++
      } else if (!info.stats.isFile()) {
        result.rejected.push({
          path,
          reason: 'unreadable',
          detail: `not a regular file (${describeKind(info.stats)})`,
        })
      } else {
        result.files.push({ path, label, bytes: info.stats.size, mtimeMs: info.stats.mtimeMs })
      }
    }
    for (const sub of subfolders) await walk(sub.path, sub.label, depth + 1)
  }

  await walk(root, null, 0)
  return result
}

type EntryInfo =
  | { kind: 'rejected'; rejected: RejectedFile }
  | { kind: 'directory'; real: string }
  | { kind: 'file'; stats: Stats }

async function describeEntry(path: string, entry: Dirent, rootReal: string): Promise<EntryInfo> {
  try {
    if (entry.isSymbolicLink()) {
      let real: string
      try {
        real = await realpath(path)
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        const detail = code === 'ELOOP' ? 'the symbolic link loops' : 'the symbolic link is broken'
        return { kind: 'rejected', rejected: { path, reason: 'unreadable', detail } }
      }
      if (!isInside(rootReal, real)) {
        return {
          kind: 'rejected',
          rejected: { path, reason: 'outside-symlink', detail: `it leads to ${real}` },
        }
      }
      const stats = await stat(real)
      return stats.isDirectory() ? { kind: 'directory', real } : { kind: 'file', stats }
    }
    if (entry.isDirectory()) return { kind: 'directory', real: await realpath(path) }
    return { kind: 'file', stats: await stat(path) }
  } catch (err) {
    return { kind: 'rejected', rejected: { path, reason: 'unreadable', detail: plainErrorText(err) } }
  }
}

/** The base name helper used by importFiles for the same system-file rule. */
export function isSystemPath(path: string): boolean {
  return isSystemFile(basename(path))
}
