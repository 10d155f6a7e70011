/**
 * Accepting suggestions: each picture that is still unlabelled gets its suggested label, all of them as one
 * undoable action in the dataset's history (undo makes them unlabelled again).
 */
import type { AcceptReport } from '../../shared/types'
import { applyChanges, readStates } from '../dataset/labelling'
import type { Db } from '../store/db'
import type { ImageChange } from '../store/history'
import { findLabel } from '../store/labels'
import type { StoredSuggestion } from '../store/suggestions'

/**
 * Labels every picture of `suggestions` that is still unlabelled with its suggestion. `asked` is how many
 * pictures the person meant (those without a suggestion count as skipped). Returns what happened.
 */
export function acceptSuggestions(
  db: Db,
  datasetId: number,
  suggestions: readonly Pick<StoredSuggestion, 'imageId' | 'label'>[],
  asked = suggestions.length,
): AcceptReport {
  return db
    .transaction((): AcceptReport => {
      const states = new Map(
        readStates(
          db,
          datasetId,
          suggestions.map((s) => s.imageId),
        ).map((s) => [s.id, s]),
      )
      // the run's class names are frozen; a label renamed or deleted since has no id to give
      const labelIds = new Map<string, number | undefined>()
      const changes: ImageChange[] = []
      for (const s of suggestions) {
        if (states.get(s.imageId)?.labelId !== null) continue
        if (!labelIds.has(s.label)) labelIds.set(s.label, findLabel(db, datasetId, s.label)?.id)
        const to = labelIds.get(s.label)
        if (to !== undefined) changes.push({ imageId: s.imageId, label: { from: null, to } })
      }
      const description =
        changes.length === 0
          ? null
          : `Accept ${changes.length === 1 ? '1 suggested label' : `${changes.length} suggested labels`}`
      applyChanges(db, datasetId, description ?? '', changes)
      return { accepted: changes.length, skipped: asked - changes.length, description }
    })
    .immediate()
}
