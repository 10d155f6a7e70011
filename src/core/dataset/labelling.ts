import type { Split } from '../../shared/types'
import { SPLITS } from '../../shared/types'
import type { Db } from '../store/db'
import { requireDataset } from '../store/datasets'
import { StoreError } from '../store/errors'
import { recordAction, type ImageChange } from '../store/history'
import { checkIds } from '../store/image-queries'
import { imageStates, writeImageChanges } from '../store/image-lists'
import { requireLabel } from '../store/labels'

export { undo, redo, historyStatus } from '../store/history'

/** An image's current labelling state, as an action needs it to know what it changes. */
export interface ImageState {
  id: number
  labelId: number | null
  split: Split
  locked: boolean
}

/**
 * Labels (or, with null, unlabels) the images as one undoable action. Returns how many images
 * actually changed; an action that changes nothing is not recorded.
 */
export function labelImages(
  db: Db,
  datasetId: number,
  imageIds: readonly number[],
  labelId: number | null,
): number {
  return db
    .transaction(() => {
      const labelName = labelId === null ? null : labelOf(db, datasetId, labelId)
      const changes = readStates(db, datasetId, imageIds)
        .filter((s) => s.labelId !== labelId)
        .map((s): ImageChange => ({ imageId: s.id, label: { from: s.labelId, to: labelId } }))
      const what = plural(changes.length)
      return applyChanges(
        db,
        datasetId,
        labelName === null ? `Remove the label from ${what}` : `Label ${what} as '${labelName}'`,
        changes,
      )
    })
    .immediate()
}

/**
 * Puts the images in `split` and locks it there, so re-splitting leaves them alone; with null,
 * unlocks them (they keep their split until the next re-split). One undoable action; returns
 * how many images changed.
 */
export function setSplitOverride(
  db: Db,
  datasetId: number,
  imageIds: readonly number[],
  split: Split | null,
): number {
  if (split !== null && !SPLITS.includes(split)) {
    throw new StoreError(`Unknown split '${String(split)}'; use one of ${SPLITS.join(', ')}.`, 'invalid')
  }
  return db
    .transaction(() => {
      const changes: ImageChange[] = []
      for (const s of readStates(db, datasetId, imageIds)) {
        const to = split ?? s.split
        const lockedTo = split !== null
        if (to === s.split && lockedTo === s.locked) continue
        changes.push({ imageId: s.id, split: { from: s.split, to, lockedFrom: s.locked, lockedTo } })
      }
      const what = plural(changes.length)
      return applyChanges(
        db,
        datasetId,
        split === null ? `Unlock the split of ${what}` : `Put ${what} in ${split}`,
        changes,
      )
    })
    .immediate()
}

/**
 * Writes the `to` side of every change and records them as one undoable action. Call inside a
 * transaction. Returns how many images changed.
 */
export function applyChanges(
  db: Db,
  datasetId: number,
  description: string,
  changes: readonly ImageChange[],
): number {
  if (changes.length === 0) return 0
  writeImageChanges(db, changes)
  recordAction(db, datasetId, description, changes)
  return changes.length
}

/** Current state of the listed images, each checked to exist in the dataset. */
export function readStates(db: Db, datasetId: number, imageIds: readonly number[]): ImageState[] {
  requireDataset(db, datasetId)
  const ids = [...new Set(checkIds(imageIds))]
  const rows = imageStates(db, datasetId, ids)
  if (rows.length !== ids.length) {
    const found = new Set(rows.map((r) => r.id))
    const unknown = ids.filter((id) => !found.has(id))
    const shown = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? ', …' : '')
    throw new StoreError(
      `${unknown.length === 1 ? 'Image' : `${unknown.length} images`} ${shown} ${unknown.length === 1 ? 'is' : 'are'} not in this dataset; nothing was changed.`,
      'not-found',
    )
  }
  return rows.map((r) => ({ id: r.id, labelId: r.label_id, split: r.split, locked: r.split_locked === 1 }))
}

function labelOf(db: Db, datasetId: number, labelId: number): string {
  const label = requireLabel(db, labelId)
  if (label.dataset_id !== datasetId) {
    throw new StoreError(`The label '${label.name}' belongs to another dataset.`, 'invalid')
  }
  return label.name
}

function plural(n: number): string {
  return n === 1 ? '1 image' : `${n} images`
}
