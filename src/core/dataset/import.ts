import { createHash } from 'node:crypto'
import { rm, stat } from 'node:fs/promises'
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
import { StoreError } from '../store/errors'
import { cleanName, nameKey } from '../store/names'
import {
  countImagesByLabel,
  hashesInUse,
  insertImages,
  listImageSources,
  listKnownImages,
  setImageStatus,
} from '../store/images'
import type { KnownImage, NewImage } from '../store/images'
import { createLabel, findLabel, orderNewLabelKeys } from '../store/labels'
import { decodeImage, ImageRejectedError, inspectImage, type DecodeOptions, type ImageFacts } from './decode'
import { isSystemPath, labelName, scanFolder, type ScannedFile, type ScanResult } from './scan'
import { hasThumbnail, renderThumbnail, saveThumbnail, thumbnailPath } from './thumbnails'
import {
  describeKind,
  FileRefusedError,
  MAX_PICTURE_BYTES,
  plainErrorText,
  readFileBounded,
  tooLarge,
} from '../files/read'

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
      rejected.push({ path, reason: 'unreadable', detail: plainErrorText(err) })
    }
  }
  return importCandidates(ctx, options, files, skipped, rejected, started)
}

type Outcome =
  { kind: 'added'; label: string | null; path: string } | { kind: 'rejected'; reason: RejectReason }

/** Stops an import whose disk (thumbnails or library) filled up, after keeping what was committed. */
export class DiskFullError extends ImportError {
  constructor(readonly imported: number) {
    super(
      `The disk is full: imported ${imported} picture${imported === 1 ? '' : 's'} before it filled; ` +
        'free some space and import again to add the rest.',
    )
    this.name = 'DiskFullError'
  }
}

/** ENOSPC/EDQUOT from a file write, SQLITE_FULL from the library: the same plain message for both. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL'
}

/**
 * The import proper: check the label folders, run every file through a small pool (FileImporter), commit
 * decoded rows in chunks (ChunkWriter), then report. A kill at any moment leaves a consistent library, and a
 * failure (a full disk above all) keeps every row it could commit and removes the thumbnails of the others.
 */
async function importCandidates(
  ctx: ImportContext,
  options: CommonImportOptions,
  candidates: readonly ScannedFile[],
  skipped: number,
  scanRejected: RejectedFile[],
  started: number,
): Promise<ImportReport> {
  const target = openTarget(ctx.db, options.dataset)
  const { files, rejected } = checkLabels(candidates)
  const tally = new ImportTally([...scanRejected, ...rejected])
  const writer = new ChunkWriter(ctx, target.dataset.id, options.chunkSize ?? DEFAULT_CHUNK_SIZE)
  const importer = new FileImporter(ctx.thumbnailsDir, target, tally, writer, {
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    maxPixels: options.maxPixels,
  })
  const progress = progressReporter(files.length, options.onProgress)
  try {
    await runPool(files, options.concurrency ?? DEFAULT_CONCURRENCY, options.signal, async (file) => {
      await importer.importFile(file)
      progress.tick()
    })
  } catch (err) {
    await writer.commitWhatCan()
    throw isDiskFull(err) ? new DiskFullError(writer.imported) : err
  }
  try {
    writer.flush()
  } catch (err) {
    await writer.commitWhatCan()
    throw isDiskFull(err) ? new DiskFullError(writer.imported) : err
  }
  // files arrive in any order: the new labels' keys follow their names, as a person reads them
  orderNewLabelKeys(ctx.db, writer.createdLabels)
  progress.finish()
  return {
    dataset: target.dataset.name,
    imported: writer.imported,
    duplicates: tally.duplicates + writer.duplicates,
    conflicts: tally.conflicts.sort(byPath),
    skipped,
    rejected: tally.rejected.sort(byPath),
    classes: countImagesByLabel(ctx.db, target.dataset.id),
    cancelled: options.signal?.aborted ?? false,
    seconds: (performance.now() - started) / 1000,
  }
}

const byPath = (a: { path: string }, b: { path: string }): number =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : 0

/** The dataset an import writes to (created if new) and the images it already holds. */
export interface ImportTarget {
  dataset: { id: number; name: string }
  knownByHash: ReadonlyMap<string, KnownImage>
  knownByPath: ReadonlyMap<string, KnownImage>
}

export function openTarget(db: Db, rawName: string): ImportTarget {
  const datasetName = rawName.trim()
  if (!datasetName) throw new ImportError('Choose a dataset name to import into.')
  const dataset = ensureDataset(db, datasetName)
  const known = listKnownImages(db, dataset.id)
  return {
    dataset,
    knownByHash: new Map(known.map((k) => [k.hash, k])),
    knownByPath: new Map(known.map((k) => [k.sourcePath, k])),
  }
}

/**
 * Keeps the files whose label (their sub-folder's name) can name a label, in its clean form, and rejects
 * the others with the reason: one badly named folder must not stop the folders beside it.
 */
export function checkLabels(files: readonly ScannedFile[]): {
  files: ScannedFile[]
  rejected: RejectedFile[]
} {
  const verdicts = new Map<string, { name: string } | { problem: string }>()
  const verdict = (label: string): { name: string } | { problem: string } => {
    let v = verdicts.get(label)
    if (!v) {
      try {
        v = { name: cleanName('label', label) }
      } catch (err) {
        if (!(err instanceof StoreError)) throw err
        v = { problem: err.message }
      }
      verdicts.set(label, v)
    }
    return v
  }
  const kept: ScannedFile[] = []
  const rejected: RejectedFile[] = []
  for (const file of files) {
    const v = file.label === null ? null : verdict(file.label)
    if (v === null) kept.push(file)
    else if ('name' in v) kept.push({ ...file, label: v.name })
    else rejected.push({ path: file.path, reason: 'invalid-label', detail: v.problem })
  }
  return { files: kept, rejected }
}

/** What became of the files that add no row: duplicates, conflicts and rejects. */
export class ImportTally {
  duplicates = 0
  readonly conflicts: ImportConflict[] = []

  constructor(readonly rejected: RejectedFile[] = []) {}

  reject(path: string, reason: RejectReason, detail: string): Outcome {
    this.rejected.push({ path, reason, detail })
    return { kind: 'rejected', reason }
  }

  /** Same bytes again: a duplicate under the same label, a conflict under another (first label wins). */
  sameBytes(file: ScannedFile, existing: { label: string | null; path: string }): void {
    // labels match the way ensureLabel matches them (case-insensitively), so Cat/ and cat/ agree
    const same =
      existing.label === file.label ||
      (existing.label !== null && file.label !== null && nameKey(existing.label) === nameKey(file.label))
    if (same) this.duplicates++
    else
      this.conflicts.push({
        path: file.path,
        existingLabel: existing.label,
        newLabel: file.label,
        existingPath: existing.path,
      })
  }
}

/**
 * Decoded rows waiting for their transaction, committed a chunk at a time. It remembers the thumbnails written
 * for rows not committed yet, so a failed import can remove exactly those and leave no orphan behind.
 */
export class ChunkWriter {
  imported = 0
  /** rows another process committed with the same bytes meanwhile */
  duplicates = 0
  private pending: { row: Omit<NewImage, 'labelId'>; label: string | null }[] = []
  private readonly labelIds = new Map<string, number>()
  /** the labels this import created, in the order their first file arrived */
  readonly createdLabels: number[] = []
  private readonly uncommittedThumbnails = new Set<string>()

  constructor(
    private readonly ctx: ImportContext,
    private readonly datasetId: number,
    private readonly chunkSize: number,
  ) {}

  /** Queues a row (its thumbnail already written if `wroteThumbnail`); commits when the chunk is full. */
  add(row: Omit<NewImage, 'labelId'>, label: string | null, wroteThumbnail: boolean): void {
    this.pending.push({ row, label })
    if (wroteThumbnail) this.uncommittedThumbnails.add(row.hash)
    if (this.pending.length >= this.chunkSize) this.flush()
  }

  /** Commits the queued rows in one transaction; on failure they are dropped and their thumbnails stay listed. */
  flush(): void {
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    const { db } = this.ctx
    db.transaction(() => {
      const rows = batch.map(({ row, label }) => ({
        ...row,
        labelId: label === null ? null : this.labelId(label),
      }))
      const added = insertImages(db, rows)
      this.imported += added
      this.duplicates += rows.length - added
    })()
    for (const { row } of batch) this.uncommittedThumbnails.delete(row.hash)
  }

  /** After a failure: commits the queued rows if the library still can, then removes uncommitted thumbnails. */
  async commitWhatCan(): Promise<void> {
    try {
      this.flush()
    } catch {
      // the failure being handled already says why; those rows are simply not imported
    }
    const hashes = [...this.uncommittedThumbnails]
    const inUse = hashesInUse(this.ctx.db, hashes)
    await Promise.all(
      hashes
        .filter((hash) => !inUse.has(hash))
        .map((hash) => rm(thumbnailPath(this.ctx.thumbnailsDir, hash), { force: true })),
    )
    this.uncommittedThumbnails.clear()
  }

  private labelId(name: string): number {
    let id = this.labelIds.get(name)
    if (id === undefined) {
      const clean = cleanName('label', name)
      const existing = findLabel(this.ctx.db, this.datasetId, clean)
      id = (existing ?? createLabel(this.ctx.db, this.datasetId, clean)).id
      if (!existing) this.createdLabels.push(id)
      this.labelIds.set(name, id)
    }
    return id
  }
}

/**
 * One file's way in: skip it if unchanged since its row was written, read it once, hash it, recognise bytes
 * the dataset (or this import) already has, else decode it, write its thumbnail and queue its row. Re-running
 * an import adds only what is missing.
 */
export class FileImporter {
  /** hash → outcome of the first file with those bytes in this import, shared by later copies */
  private readonly seen = new Map<string, Promise<Outcome>>()

  constructor(
    private readonly thumbnailsDir: string,
    private readonly target: ImportTarget,
    private readonly tally: ImportTally,
    private readonly writer: ChunkWriter,
    private readonly limits: { maxFileBytes: number; maxPixels?: number },
  ) {}

  async importFile(file: ScannedFile): Promise<void> {
    const before = this.target.knownByPath.get(file.path)
    if (before && isUnchanged(before, file)) {
      this.tally.duplicates++
      return
    }
    const { maxFileBytes } = this.limits
    let bytes: Buffer
    try {
      bytes = await readCandidate(file, maxFileBytes)
    } catch (err) {
      if (err instanceof ImageRejectedError) this.tally.reject(file.path, err.reason, err.detail)
      else this.tally.reject(file.path, 'unreadable', plainErrorText(err))
      return
    }
    const hash = createHash('sha256').update(bytes).digest('hex')
    const existing = this.target.knownByHash.get(hash)
    if (existing) return this.tally.sameBytes(file, { label: existing.label, path: existing.sourcePath })
    const earlier = this.seen.get(hash)
    if (earlier) {
      // the same bytes are being (or were) decoded for another path in this run: share that outcome
      const outcome = await earlier
      if (outcome.kind === 'added') this.tally.sameBytes(file, outcome)
      else this.tally.reject(file.path, outcome.reason, 'the same bytes as another rejected file')
      return
    }
    const outcome = this.addImage(file, bytes, hash)
    this.seen.set(hash, outcome)
    await outcome
  }

  private async addImage(file: ScannedFile, bytes: Buffer, hash: string): Promise<Outcome> {
    let described: DescribedImage
    try {
      described = await describeImage(this.thumbnailsDir, bytes, hash, { maxPixels: this.limits.maxPixels })
    } catch (err) {
      if (err instanceof ImageRejectedError) return this.tally.reject(file.path, err.reason, err.detail)
      throw err
    }
    const { path, label } = file
    const row = {
      datasetId: this.target.dataset.id,
      sourcePath: path,
      hash,
      bytes: bytes.length,
      ...described.facts,
    }
    this.writer.add(row, label, described.wroteThumbnail)
    return { kind: 'added', label, path }
  }
}

export interface DescribedImage {
  facts: ImageFacts
  /** false when the thumbnail was there already (these bytes were decoded fully before) */
  wroteThumbnail: boolean
}

/** A present thumbnail proves these exact bytes decoded fully before, so only the header is read. */
export async function describeImage(
  thumbnailsDir: string,
  bytes: Buffer,
  hash: string,
  decodeOptions: DecodeOptions,
): Promise<DescribedImage> {
  if (await hasThumbnail(thumbnailsDir, hash)) {
    return { facts: await inspectImage(bytes, decodeOptions), wroteThumbnail: false }
  }
  const decoded = await decodeImage(bytes, renderThumbnail, decodeOptions)
  await saveThumbnail(thumbnailsDir, hash, decoded.output)
  return {
    facts: { format: decoded.format, width: decoded.width, height: decoded.height },
    wroteThumbnail: true,
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

/**
 * Runs `work` over the items with at most `width` in flight; stops taking new items once `signal` aborts or
 * an item fails. A failure is thrown only after the items in flight have settled, so the caller can clean up
 * knowing nothing is still writing.
 */
export async function runPool<T>(
  items: readonly T[],
  width: number,
  signal: AbortSignal | undefined,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  let failure: { error: unknown } | null = null
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted && !failure) {
      const item = items[next++]!
      try {
        await work(item)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, width) }, worker))
  // read through a cast: TypeScript cannot see the workers' assignment and narrows `failure` to null
  const failed = failure as { error: unknown } | null
  if (failed) throw failed.error
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
