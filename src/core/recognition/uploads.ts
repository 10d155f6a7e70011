/**
 * Pictures that reach Cohort as bytes rather than files (dropped, pasted or captured in a browser):
 * recognising them through the same decode path as files, and keeping a recognised picture in a dataset
 * with its confirmed or corrected label (the "recognise, fix, add" loop).
 */
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type {
  AddedImage,
  Split,
  ImageUpload,
  RecognisedImageSource,
  RecognitionReport,
  RejectedFile,
} from '../../shared/types'
import { REJECT_MESSAGES } from '../../shared/types'
import { MAX_UPLOAD_BYTES, MAX_UPLOADS } from '../../shared/uploads'
import type { ModelBundle } from '../engine/model-metadata'
import { sniffFormat } from '../dataset/decode'
import { MAX_PICTURE_BYTES, readFileBounded } from '../files/read'
import { importFiles, type ImportContext } from '../dataset/import'
import { applyChanges, readStates } from '../dataset/labelling'
import { splitForAddedImage } from '../dataset/split'
import type { ImageChange } from '../store/history'
import { getImage } from '../store/image-queries'
import { nameKey } from '../store/names'
import { ensureLabel } from '../store/labels'
import type { Db } from '../store/db'
import { findDatasetById } from '../store/datasets'
import { findImageIdByHash } from '../store/image-lists'
import { inputPixelsOf, recogniseSources, rejectionText, type RecogniseOptions } from './recognise'

/** Per call, all pictures together: keeps one request's memory bounded. */
export const MAX_UPLOAD_TOTAL_BYTES = 200 * 1024 * 1024

/** Bytes that cannot be accepted at all (too many, too large, not base64), said in a sentence. */
export class UploadError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UploadError'
  }
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function megabytes(bytes: number): string {
  return `${Math.round((bytes / 2 ** 20) * 10) / 10} MB`
}

/** The bytes of one upload, checked: real base64, not empty, within the size limit. */
export function uploadBytes(upload: ImageUpload, maxBytes = MAX_UPLOAD_BYTES): Buffer {
  const text = upload.data.replace(/\s+/g, '')
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new UploadError(`'${upload.name}' did not arrive as base64 image bytes.`)
  }
  const size = (text.length / 4) * 3 - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0)
  if (size === 0) throw new UploadError(`'${upload.name}' is empty (0 bytes).`)
  if (size > maxBytes) {
    throw new UploadError(`'${upload.name}' is ${megabytes(size)}; the limit is ${megabytes(maxBytes)}.`)
  }
  return Buffer.from(text, 'base64')
}

/** A picture's name and its checked bytes. */
export interface UploadedPicture {
  name: string
  bytes: Buffer
}

/** Checks a whole call's uploads before any is decoded (or a model loaded), so a refused call costs nothing. */
export function checkUploads(
  uploads: readonly ImageUpload[],
  maxBytes = MAX_UPLOAD_BYTES,
): UploadedPicture[] {
  if (uploads.length === 0) throw new UploadError('No pictures were sent to recognise.')
  if (uploads.length > MAX_UPLOADS) {
    throw new UploadError(
      `${uploads.length} pictures were sent at once; at most ${MAX_UPLOADS} can be, or recognise a folder.`,
    )
  }
  const pictures = uploads.map((u) => ({ name: u.name, bytes: uploadBytes(u, maxBytes) }))
  const total = pictures.reduce((sum, p) => sum + p.bytes.length, 0)
  if (total > MAX_UPLOAD_TOTAL_BYTES) {
    throw new UploadError(
      `These pictures are ${megabytes(total)} together; at most ${megabytes(MAX_UPLOAD_TOTAL_BYTES)} can be sent at once.`,
    )
  }
  return pictures
}

/**
 * Recognises uploaded pictures exactly as files are recognised (same decode, same reasons for a picture
 * that cannot be read); each result's `path` is the picture's name.
 */
export async function recogniseImages(
  bundle: ModelBundle,
  pictures: readonly UploadedPicture[],
  options: RecogniseOptions = {},
): Promise<RecognitionReport> {
  const sources = pictures.map((p) => ({
    path: p.name,
    pixels: () => inputPixelsOf(p.bytes, bundle.metadata),
  }))
  return recogniseSources(bundle, sources, options)
}

/**
 * Keeps uploaded bytes as `<added>/<sha256>.<format>` (the library's `added` folder): the name comes from the content, never from
 * the sender, and an existing file is never overwritten (the same name means the same bytes). Bytes
 * that are no image format Cohort knows are refused before anything is written.
 * Returns the file and whether this call created it.
 */
export async function saveUpload(folder: string, bytes: Buffer): Promise<{ path: string; created: boolean }> {
  const format = sniffFormat(bytes)
  if (format === null || format === 'svg' || format === 'heic') {
    throw new UploadError(
      `The picture was not added: ${REJECT_MESSAGES['not-an-image']}${format ? ` (${format.toUpperCase()})` : ''}.`,
    )
  }
  await mkdir(folder, { recursive: true })
  const hash = createHash('sha256').update(bytes).digest('hex')
  const path = join(folder, `${hash}.${format === 'jpeg' ? 'jpg' : format}`)
  try {
    // O_EXCL: a name taken already holds these very bytes
    await writeFile(path, bytes, { flag: constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY })
    return { path, created: true }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { path, created: false }
    throw err
  }
}

export interface AddContext extends ImportContext {
  /** the library's folder for pictures that came as bytes (`libraryPaths().added`) */
  addedDir: string
}

/**
 * Adds a recognised picture to a dataset with `label` (created if new), through the ordinary import: the
 * same checks, thumbnail and duplicate detection. A picture already in the dataset under another label
 * is relabelled (one undoable action): the person has just said what it shows.
 */
export async function addRecognisedImage(
  ctx: AddContext,
  datasetId: number,
  source: RecognisedImageSource,
  label: string,
): Promise<AddedImage> {
  const dataset = findDatasetById(ctx.db, datasetId)
  if (!dataset) throw new UploadError(`There is no dataset with id ${datasetId}; it may have been removed.`)
  let file: string
  let created = false
  if ('data' in source) {
    const saved = await saveUpload(ctx.addedDir, uploadBytes(source))
    file = saved.path
    created = saved.created
  } else file = source.path
  const report = await importFiles(ctx, { files: [file], dataset: dataset.name, label })
  const rejected: RejectedFile | undefined = report.rejected[0]
  if (rejected) {
    if (created) await rm(file, { force: true }) // nothing in the library refers to it
    throw new UploadError(`The picture was not added: ${rejectionText(rejected)}.`)
  }
  const hash = createHash('sha256')
    .update(await readFileBounded(file, { maxBytes: MAX_PICTURE_BYTES }))
    .digest('hex')
  const image = findByHash(ctx.db, datasetId, hash)
  if (!image) throw new UploadError('The picture was not added: it vanished while it was imported.')
  if (report.imported !== 1 && image.label !== null && nameKey(image.label) === nameKey(label)) {
    return { image, outcome: 'already-there', message: `Already in the dataset as ${image.label}` }
  }
  const split = keepLabelled(ctx.db, datasetId, image.id, label, report.imported === 1)
  const kept = getImage(ctx.db, image.id)!
  const where = split === null ? '' : ` (${split})`
  if (report.imported === 1)
    return { image: kept, outcome: 'added', message: `Added as ${kept.label}${where}` }
  return {
    image: kept,
    outcome: 'relabelled',
    message: `Already in the dataset as ${image.label ?? 'unlabelled'}; now labelled ${kept.label}${where}`,
  }
}

/**
 * Gives the picture `label` and, when it is in no split yet, the split that keeps the dataset's
 * proportions for that label: one undoable action (the import gave a new picture its label already,
 * so undo takes it back to unlabelled and unassigned). Returns the split it joined, if any.
 */
function keepLabelled(
  db: Db,
  datasetId: number,
  imageId: number,
  label: string,
  isNew: boolean,
): Split | null {
  return db
    .transaction((): Split | null => {
      const { id: labelId, name } = ensureLabel(db, datasetId, label)
      const state = readStates(db, datasetId, [imageId])[0]!
      const from = isNew ? null : state.labelId
      const change: ImageChange = { imageId, label: { from, to: labelId } }
      const joins = state.split === 'unassigned' && !state.locked
      const split = joins ? splitForAddedImage(db, datasetId, labelId, imageId) : 'unassigned'
      if (split !== 'unassigned') {
        change.split = { from: 'unassigned', to: split, lockedFrom: false, lockedTo: false }
      }
      applyChanges(db, datasetId, isNew ? `Add a picture as '${name}'` : `Label 1 image as '${name}'`, [
        change,
      ])
      return change.split ? split : null
    })
    .immediate()
}

function findByHash(db: Db, datasetId: number, hash: string) {
  const id = findImageIdByHash(db, datasetId, hash)
  return id === undefined ? undefined : getImage(db, id)
}
