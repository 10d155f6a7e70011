import { constants } from 'node:fs'
import { copyFile, mkdir, readdir } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import type { FolderExportReport, Split } from '../../shared/types'
import { SPLITS } from '../../shared/types'
import type { Db } from '../store/db'
import { requireDataset } from '../store/datasets'
import { plainErrorText } from '../files/read'
import { StoreError } from '../store/errors'
import { listImageEntries } from '../store/image-lists'

export type { FolderExportReport }

/** Folder for images without a label; labels never map onto it. */
export const UNLABELLED_FOLDER = '_unlabelled'

export interface FolderExportOptions {
  /** export only images of this split */
  split?: Split
  /** copies in flight at once */
  concurrency?: number
}

// Characters no mainstream filesystem (Windows, macOS, Linux, FAT) accepts in a name, plus control characters.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[/\\:*?"<>|\u0000-\u001f\u007f]/g
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i
const MAX_SEGMENT = 120

/**
 * A folder or file name that every OS accepts and that cannot escape its parent: forbidden
 * characters and leading dots become '_' (so no '.', '..' or hidden names), trailing dots and spaces
 * go, and reserved Windows device names (also with an extension, like 'con.txt') get a '_' prefix.
 */
export function safeFileName(raw: string): string {
  const clean = (text: string): string =>
    text
      .replace(FORBIDDEN, '_')
      // a leading dot hides the entry (and folder imports skip hidden entries)
      .replace(/^\.+/, (dots) => '_'.repeat(dots.length))
      .replace(/[. ]+$/, '')
  let name = clean(raw.normalize('NFC'))
  if ([...name].length > MAX_SEGMENT) name = clean([...name].slice(0, MAX_SEGMENT).join(''))
  if (name === '') return '_'
  const stem = name.split('.')[0]!
  if (WINDOWS_RESERVED.test(stem.trimEnd())) return `_${name}`
  return name
}

/**
 * Copies each image's source file into `outDir/<label>/` (unlabelled → `_unlabelled/`), the
 * layout Cohort's folder import (and most tools) reads back as labels. `outDir` must be empty or
 * absent, so nothing is ever overwritten. Missing source files are reported, not fatal.
 */
export async function exportDatasetToFolder(
  db: Db,
  datasetId: number,
  outDir: string,
  opts: FolderExportOptions = {},
): Promise<FolderExportReport> {
  requireDataset(db, datasetId)
  if (opts.split !== undefined && !SPLITS.includes(opts.split)) {
    throw new StoreError(`Unknown split '${String(opts.split)}'; use one of ${SPLITS.join(', ')}.`, 'invalid')
  }
  await prepareOutDir(outDir)

  const images = listImageEntries(db, datasetId, opts.split ?? null)

  const report: FolderExportReport = {
    copied: 0,
    missing: [],
    skippedMissing: 0,
    failed: [],
    folders: {},
    perFolder: {},
  }
  const folderOf = folderNamer(report)
  const usedNames = new Map<string, Set<string>>()
  const jobs: { from: string; to: string; folder: string }[] = []
  for (const img of images) {
    if (img.status !== 'ok') {
      report.skippedMissing++
      continue
    }
    const folder = folderOf(img.label)
    const used = usedNames.get(folder) ?? new Set<string>()
    usedNames.set(folder, used)
    jobs.push({
      from: img.path,
      to: join(outDir, folder, uniqueName(safeFileName(basename(img.path)), used)),
      folder,
    })
  }

  for (const folder of usedNames.keys()) await mkdir(join(outDir, folder), { recursive: true })
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!
      try {
        // EXCL: a name clash would be our bug, and must never overwrite
        await copyFile(job.from, job.to, constants.COPYFILE_EXCL)
        report.copied++
        report.perFolder[job.folder] = (report.perFolder[job.folder] ?? 0) + 1
      } catch (err) {
        const e = err as NodeJS.ErrnoException
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') report.missing.push(job.from)
        else report.failed.push({ path: job.from, reason: e.message })
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, worker))
  return report
}

async function prepareOutDir(outDir: string): Promise<void> {
  let entries: string[]
  try {
    entries = await readdir(outDir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StoreError(`Cannot use ${outDir} as the export folder: ${plainErrorText(err)}`, 'invalid')
    }
    await mkdir(outDir, { recursive: true }).catch((err: unknown) => {
      throw new StoreError(`Cannot make the export folder ${outDir}: ${plainErrorText(err)}`, 'invalid')
    })
    return
  }
  if (entries.length > 0) {
    throw new StoreError(
      `The export folder ${outDir} is not empty; choose a new or empty folder so no file is overwritten.`,
      'invalid',
    )
  }
}

/** Maps each label to its own folder name, unique even on case-insensitive filesystems. */
function folderNamer(report: FolderExportReport): (label: string | null) => string {
  const used = new Set<string>([UNLABELLED_FOLDER.toLowerCase()])
  const byLabel = new Map<string | null, string>([[null, UNLABELLED_FOLDER]])
  return (label) => {
    let folder = byLabel.get(label)
    if (folder === undefined) {
      folder = uniqueName(safeFileName(label!), used)
      byLabel.set(label, folder)
    }
    report.folders[label ?? ''] = folder
    return folder
  }
}

/** `name`, or `stem-2.ext`, `stem-3.ext`... — the first not in `used` (compared ignoring case); marks it used. */
function uniqueName(name: string, used: Set<string>): string {
  const ext = extname(name)
  const stem = name.slice(0, name.length - ext.length)
  let candidate = name
  for (let k = 2; used.has(candidate.toLowerCase()); k++) candidate = `${stem}-${k}${ext}`
  used.add(candidate.toLowerCase())
  return candidate
}
