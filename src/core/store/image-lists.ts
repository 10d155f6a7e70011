/** The image lists the dataset, recognition and service steps read, and the label/split writes they make. */
import type { Split } from '../../shared/types'
import type { Db } from './db'
import type { ImageChange } from './history'

/** An image as exports show it: its file, label name (null if unlabelled), split and status, by id. */
export interface ImageEntry {
  path: string
  label: string | null
  split: Split
  status: string
}

/** The dataset's images by id, only those of `split` when given. */
export function listImageEntries(db: Db, datasetId: number, split: Split | null = null): ImageEntry[] {
  return db
    .prepare<[number, string | null, string | null], ImageEntry>(
      `SELECT i.source_path AS path, l.name AS label, i.split, i.status
         FROM images i LEFT JOIN labels l ON l.id = i.label_id
        WHERE i.dataset_id = ? AND (? IS NULL OR i.split = ?) ORDER BY i.id`,
    )
    .all(datasetId, split, split)
}

/** An image's label and split as labelling and CSV rows change them. */
export interface ImageState {
  id: number
  label_id: number | null
  split: Split
  split_locked: number
}

export function listImageStates(db: Db, datasetId: number): (ImageState & { source_path: string })[] {
  return db
    .prepare<[number], ImageState & { source_path: string }>(
      'SELECT id, source_path, label_id, split, split_locked FROM images WHERE dataset_id = ?',
    )
    .all(datasetId)
}

/** The states of the listed images that are in the dataset, by id. */
export function imageStates(db: Db, datasetId: number, ids: readonly number[]): ImageState[] {
  return db
    .prepare<[number, string], ImageState>(
      `SELECT id, label_id, split, split_locked FROM images
        WHERE dataset_id = ? AND id IN (SELECT value FROM json_each(?)) ORDER BY id`,
    )
    .all(datasetId, JSON.stringify(ids))
}

/** Usable images with their label name (null if unlabelled), as a split needs them. */
export interface SplitCandidate extends ImageState {
  hash: string
  label: string | null
}

export function listSplitCandidates(db: Db, datasetId: number): SplitCandidate[] {
  return db
    .prepare<[number], SplitCandidate>(
      `SELECT i.id, i.hash, i.label_id, l.name AS label, i.split, i.split_locked
         FROM images i LEFT JOIN labels l ON l.id = i.label_id
        WHERE i.dataset_id = ? AND i.status = 'ok'`,
    )
    .all(datasetId)
}

/** A usable, labelled image in a split, as training reads it. */
export interface TrainableImage {
  id: number
  hash: string
  path: string
  label: string
  split: Exclude<Split, 'unassigned'>
}

/** By hash then id, so the tensor cache's order does not depend on import order. */
export function listTrainableImages(db: Db, datasetId: number): TrainableImage[] {
  return db
    .prepare<[number], TrainableImage>(
      `SELECT i.id, i.hash, i.source_path AS path, l.name AS label, i.split
         FROM images i JOIN labels l ON l.id = i.label_id
        WHERE i.dataset_id = ? AND i.status = 'ok' AND i.split IN ('train', 'validation', 'test')
        ORDER BY i.hash, i.id`,
    )
    .all(datasetId)
}

/** A usable, labelled picture the augmentation preview may show. */
export interface PreviewCandidate {
  id: number
  hash: string
  path: string
  label: string
}

/**
 * The pictures the augmentation preview chooses from, by hash then id (not import order): the labelled training
 * pictures, or every labelled picture while the dataset has no training split yet.
 */
export function listPreviewCandidates(db: Db, datasetId: number): PreviewCandidate[] {
  return db
    .prepare<[number, number], PreviewCandidate>(
      `SELECT i.id, i.hash, i.source_path AS path, l.name AS label
         FROM images i JOIN labels l ON l.id = i.label_id
        WHERE i.dataset_id = ? AND i.status = 'ok'
          AND (i.split = 'train' OR NOT EXISTS (
                SELECT 1 FROM images t
                 WHERE t.dataset_id = ? AND t.status = 'ok' AND t.label_id IS NOT NULL AND t.split = 'train'))
        ORDER BY i.hash, i.id`,
    )
    .all(datasetId, datasetId)
}

/** How many usable, labelled images each label has in each split. */
export function countLabelledBySplit(
  db: Db,
  datasetId: number,
): { label: string; split: string; n: number }[] {
  return db
    .prepare<[number], { label: string; split: string; n: number }>(
      `SELECT l.name AS label, i.split AS split, COUNT(*) AS n
         FROM images i JOIN labels l ON l.id = i.label_id
        WHERE i.dataset_id = ? AND i.status = 'ok' AND i.split IN ('train', 'validation', 'test')
        GROUP BY l.name, i.split`,
    )
    .all(datasetId)
}

export function listImageHashes(db: Db, datasetId: number): string[] {
  return db
    .prepare<[number], { hash: string }>('SELECT hash FROM images WHERE dataset_id = ?')
    .all(datasetId)
    .map((r) => r.hash)
}

export function findImageIdByHash(db: Db, datasetId: number, hash: string): number | undefined {
  return db
    .prepare<[number, string], { id: number }>('SELECT id FROM images WHERE dataset_id = ? AND hash = ?')
    .get(datasetId, hash)?.id
}

/** Writes each change's new label and split (the caller records them in the history, in one transaction). */
export function writeImageChanges(db: Db, changes: readonly ImageChange[]): void {
  const setLabel = db.prepare('UPDATE images SET label_id = ? WHERE id = ?')
  const setSplit = db.prepare('UPDATE images SET split = ?, split_locked = ? WHERE id = ?')
  for (const c of changes) {
    if (c.label) setLabel.run(c.label.to, c.imageId)
    if (c.split) setSplit.run(c.split.to, Number(c.split.lockedTo), c.imageId)
  }
}

/** Moves images to splits (their lock unchanged). */
export function setImageSplits(db: Db, assignment: Iterable<readonly [number, Split]>): void {
  const update = db.prepare('UPDATE images SET split = ? WHERE id = ?')
  for (const [id, split] of assignment) update.run(split, id)
}

/** A usable picture's file, hash and size (what the automatic settings look at). */
export interface PictureSize {
  hash: string
  path: string
  width: number
  height: number
}

/**
 * The dataset's usable pictures, labelled or not, by hash (so a sample does not follow import order): what they
 * look like does not wait for labels or a split.
 */
export function listPictureSizes(db: Db, datasetId: number): PictureSize[] {
  return db
    .prepare<[number], PictureSize>(
      `SELECT hash, source_path AS path, width, height FROM images
        WHERE dataset_id = ? AND status = 'ok' ORDER BY hash, id`,
    )
    .all(datasetId)
}

/** How many labelled images of the dataset each split holds per label (unassigned ones and `exceptImageId` left out). */
export function labelledSplitCounts(
  db: Db,
  datasetId: number,
  exceptImageId: number,
): { split: Split; labelId: number; count: number }[] {
  return db
    .prepare<[number, number], { split: Split; labelId: number; count: number }>(
      `SELECT split, label_id AS labelId, COUNT(*) AS count FROM images
        WHERE dataset_id = ? AND label_id IS NOT NULL AND id != ? AND split != 'unassigned'
        GROUP BY split, label_id`,
    )
    .all(datasetId, exceptImageId)
}
