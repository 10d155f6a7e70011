import { createHash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import type {
  ImportConflict,
  ImportProgress,
  ImportReport,
  RefreshReport,
  RejectedFile,
  RejectReason,
} from '../../shared/types'
import type { Db } from '../store/db'
import { ensureDataset } from '../store/datasets'
import { nameKey } from '../store/names'
import {
  countImagesByLabel,
  insertImages,
  listImageSources,
  listKnownImages,
  setImageStatus,
} from '../store/images'
import type { KnownImage, NewImage } from '../store/images'
import { ensureLabel } from '../store/labels'
import { decodeImage, ImageRejectedError, inspectImage, type ImageFacts } from './decode'
import { isSystemPath, labelName, scanFolder, type ScannedFile, type ScanResult } from './scan'
import { hasThumbnail, renderThumbnail, saveThumbnail } from './thumbnails'
import { describeKind, FileRefusedError, MAX_PICTURE_BYTES, readFileBounded, tooLarge } from '../files/read'

/** Bigger files are refused unread: no photo worth training on is this large, and reading it costs memory. */
export const DEFAULT_MAX_FILE_BYTES = MAX_PICTURE_BYTES
/** Rows committed per transaction: a killed import loses at most this many decoded images. */
export const DEFAULT_CHUNK_SIZE = 200
/**
 * Files in flight at once. Parallelism comes from several images, not from threads inside one image:
 * these are small pictures, and sharp already runs one libvips thread per image on glibc Linux
 * (sharp.concurrency() is left alone because it is process-wide). 4 matches libuv's thread pool.
 */
export const DEFAULT_CONCURRENCY = 4
const PROGRESS_INTERVAL_MS = 100

/** A request that cannot start, e.g. a dataset without a name. */
export class ImportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ImportError'
  }
}

export interface ImportContext {
  db: Db
  thumbnailsDir: string
}

interface CommonImportOptions {
  dataset: string
  signal?: AbortSignal
  /** called at most ~10 times a second, and once at the end with phase 'done' */
  onProgress?: (progress: ImportProgress) => void
  chunkSize?: number
  concurrency?: number
  maxPixels?: number
  maxFileBytes?: number
}

export interface ImportFolderOptions extends CommonImportOptions {
  folder: string
}

export interface ImportFilesOptions extends CommonImportOptions {
  files: readonly string[]
  /** label given to every file; absent or null leaves them unlabelled */
  label?: string | null
}

/** Imports a folder: first-level sub-folders are labels, loose files in the root stay unlabelled. */
export async function importFolder(ctx: ImportContext, options: ImportFolderOptions): Promise<ImportReport> {
  const started = performance.now()
  options.onProgress?.({ phase: 'scanning', done: 0, total: 0, ratePerSecond: 0, etaSeconds: null })
  let scan: ScanResult
  try {
    scan = await scanFolder(options.folder, options.signal)
  } catch (err) {
    if (!options.signal?.aborted) throw err
    scan = { files: [], skipped: 0, rejected: [] }
  }
  return importCandidates(ctx, options, scan.files, scan.skipped, scan.rejected, started)
}

/** Imports the given files (e.g. dropped on a label), all with `label` or all unlabelled. */
export async function importFiles(ctx: ImportContext, options: ImportFilesOptions): Promise<ImportReport> {
  const started = performance.now()
  const label = options.label ? labelName(options.label) : null
  const files: ScannedFile[] = []
  const rejected: RejectedFile[] = []
  let skipped = 0
  for (const given of options.files) {
    const path = resolve(given)
    if (isSystemPath(path)) {
      skipped++
      continue
    }
    try {
      const stats = await stat(path)
      if (stats.isFile()) files.push({ path, label, bytes: stats.size, mtimeMs: stats.mtimeMs })
      else
        rejected.push({ path, reason: 'unreadable', detail: `not a regular file (${describeKind(stats)})` })
    } catch (err) {
      rejected.push({ path, reason: 'unreadable', detail: (err as Error).message })
    }
  }
  return importCandidates(ctx, options, files, skipped, rejected, started)
}

type Outcome =
  { kind: 'added'; label: string | null; path: string } | { kind: 'rejected'; reason: RejectReason }

/**
 * The import proper. Files are processed by a small pool; decoded images are committed in chunks, each
 * chunk one transaction and each thumbnail written before its row, so a kill at any moment leaves a
 * consistent library. Re-running adds only what is missing: known bytes are found by hash, and a file
 * whose path and size match a row and which was not modified after that row was written is not even read.
 */
async function importCandidates(
  ctx: ImportContext,
  options: CommonImportOptions,
  files: readonly ScannedFile[],
  skipped: number,
  rejected: RejectedFile[],
  started: number,
): Promise<ImportReport> {
  const { db, thumbnailsDir } = ctx
  const datasetName = options.dataset.trim()
  if (!datasetName) throw new ImportError('Choose a dataset name to import into.')
  const dataset = ensureDataset(db, datasetName)
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  const decodeOptions = { maxPixels: options.maxPixels }
  const known = listKnownImages(db, dataset.id)
  const knownByHash = new Map(known.map((k) => [k.hash, k]))
  const knownByPath = new Map(known.map((k) => [k.sourcePath, k]))
  const seen = new Map<string, Promise<Outcome>>()
  const labelIds = new Map<string, number>()
  const conflicts: ImportConflict[] = []
  let pending: { row: Omit<NewImage, 'labelId'>; label: string | null }[] = []
  let imported = 0
  let duplicates = 0

  const flush = (): void => {
    if (pending.length === 0) return
    const batch = pending
    pending = []
    db.transaction(() => {
      const rows = batch.map(({ row, label }) => ({
        ...row,
        labelId: label === null ? null : labelId(label),
      }))
      const added = insertImages(db, rows)
      imported += added
      // another process may have imported the same bytes meanwhile
      duplicates += rows.length - added
    })()
  }
  const labelId = (name: string): number => {
    let id = labelIds.get(name)
    if (id === undefined) {
      id = ensureLabel(db, dataset.id, name).id
      labelIds.set(name, id)
    }
    return id
  }

  /** Same bytes again: a duplicate under the same label, a conflict under another (first label wins). */
  const sameBytes = (file: ScannedFile, existing: { label: string | null; path: string }): void => {
    // labels match the way ensureLabel matches them (case-insensitively), so Cat/ and cat/ agree
    const same =
      existing.label === file.label ||
      (existing.label !== null && file.label !== null && nameKey(existing.label) === nameKey(file.label))
    if (same) duplicates++
    else
      conflicts.push({
        path: file.path,
        existingLabel: existing.label,
        newLabel: file.label,
        existingPath: existing.path,
      })
  }

  const processFile = async (file: ScannedFile): Promise<void> => {
    const before = knownByPath.get(file.path)
    if (before && isUnchanged(before, file)) {
      duplicates++
      return
    }
    const reject = (reason: RejectReason, detail: string): Outcome => {
      rejected.push({ path: file.path, reason, detail })
      return { kind: 'rejected', reason }
    }
    let bytes: Buffer
    try {
      bytes = await readCandidate(file, maxFileBytes)
    } catch (err) {
      if (err instanceof ImageRejectedError) reject(err.reason, err.detail)
      else reject('unreadable', (err as Error).message)
      return
    }
    const hash = createHash('sha256').update(bytes).digest('hex')
    const existing = knownByHash.get(hash)
    if (existing) return sameBytes(file, { label: existing.label, path: existing.sourcePath })
    const earlier = seen.get(hash)
    if (earlier) {
      // the same bytes are being (or were) decoded for another path in this run: share that outcome
      const outcome = await earlier
      if (outcome.kind === 'added') sameBytes(file, outcome)
      else reject(outcome.reason, 'the same bytes as another rejected file')
      return
    }
    const outcome = (async (): Promise<Outcome> => {
      let facts: ImageFacts
      try {
        facts = await describeImage(bytes, hash)
      } catch (err) {
        if (err instanceof ImageRejectedError) return reject(err.reason, err.detail)
        throw err
      }
      const { path, label } = file
      pending.push({
        row: { datasetId: dataset.id, sourcePath: path, hash, bytes: bytes.length, ...facts },
        label,
      })
      if (pending.length >= chunkSize) flush()
      return { kind: 'added', label, path }
    })()
    seen.set(hash, outcome)
    await outcome
  }

  /** A present thumbnail proves these exact bytes decoded fully before, so only the header is read. */
  const describeImage = async (bytes: Buffer, hash: string): Promise<ImageFacts> => {
    if (await hasThumbnail(thumbnailsDir, hash)) return inspectImage(bytes, decodeOptions)
    const decoded = await decodeImage(bytes, renderThumbnail, decodeOptions)
    await saveThumbnail(thumbnailsDir, hash, decoded.output)
    return { format: decoded.format, width: decoded.width, height: decoded.height }
  }

  const progress = progressReporter(files.length, options.onProgress)
  await runPool(files, options.concurrency ?? DEFAULT_CONCURRENCY, options.signal, async (file) => {
    await processFile(file)
    progress.tick()
  })
  flush()
  progress.finish()
  const byPath = (a: { path: string }, b: { path: string }): number =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0
  return {
    dataset: dataset.name,
    imported,
    duplicates,
    conflicts: conflicts.sort(byPath),
    skipped,
    rejected: rejected.sort(byPath),
    classes: countImagesByLabel(db, dataset.id),
    cancelled: options.signal?.aborted ?? false,
    seconds: (performance.now() - started) / 1000,
  }
}

function isUnchanged(known: KnownImage, file: ScannedFile): boolean {
  return known.bytes === file.bytes && file.mtimeMs <= known.importedAtMs && known.label === file.label
}

/**
 * Reads a file once through the bounded reader, refusing empty and oversized files unread (the scan's size
 * decides first; the reader checks the open handle again, so a path swapped for a named pipe cannot block).
 */
async function readCandidate(file: ScannedFile, maxFileBytes: number): Promise<Buffer> {
  if (file.bytes === 0) throw new ImageRejectedError('empty', '0 bytes')
  if (file.bytes > maxFileBytes)
    throw new ImageRejectedError('too-large', tooLarge(file.bytes, maxFileBytes).detail)
  try {
    return await readFileBounded(file.path, { maxBytes: maxFileBytes, refuseEmpty: true })
  } catch (err) {
    if (err instanceof FileRefusedError) throw new ImageRejectedError(err.reason, err.detail)
    throw err
  }
}

/** Runs `work` over the items with at most `width` in flight; stops taking new items once `signal` aborts. */
async function runPool<T>(
  items: readonly T[],
  width: number,
  signal: AbortSignal | undefined,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted && !failed) {
      const item = items[next++]!
      try {
        await work(item)
      } catch (err) {
        failed = true
        throw err
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker))
}

function progressReporter(total: number, onProgress: ((p: ImportProgress) => void) | undefined) {
  const started = performance.now()
  let done = 0
  let lastEmit = -Infinity
  const snapshot = (phase: ImportProgress['phase']): ImportProgress => {
    const seconds = (performance.now() - started) / 1000
    const ratePerSecond = seconds > 0 ? done / seconds : 0
    const etaSeconds = phase === 'done' ? 0 : ratePerSecond > 0 ? (total - done) / ratePerSecond : null
    return { phase, done, total, ratePerSecond, etaSeconds }
  }
  return {
    tick(): void {
      done++
      const now = performance.now()
      if (!onProgress || now - lastEmit < PROGRESS_INTERVAL_MS) return
      lastEmit = now
      onProgress(snapshot('importing'))
    },
    finish(): void {
      onProgress?.(snapshot('done'))
    },
  }
}

/** Marks images whose source file disappeared as 'missing' and returned ones as 'ok'; never deletes rows. */
export async function refreshMissing(ctx: ImportContext, datasetId: number): Promise<RefreshReport> {
  const images = listImageSources(ctx.db, datasetId)
  const present = new Array<boolean>(images.length)
  await runPool(
    images.map((_, i) => i),
    16,
    undefined,
    async (i) => {
      present[i] = await stat(images[i]!.sourcePath).then(
        (s) => s.isFile(),
        () => false,
      )
    },
  )
  const gone = images.filter((img, i) => img.status === 'ok' && !present[i]).map((img) => img.id)
  const back = images.filter((img, i) => img.status === 'missing' && present[i]).map((img) => img.id)
  ctx.db.transaction(() => {
    setImageStatus(ctx.db, gone, 'missing')
    setImageStatus(ctx.db, back, 'ok')
  })()
  const missing = images.filter((img, i) => !present[i]).length
  return { missing, restored: back.length }
}
