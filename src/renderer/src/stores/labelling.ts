import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '../api'
import type { Split } from '../../../shared/types'
import { stillMatchesAfterAccept, stillMatchesAfterLabel } from '../logic/filter'
import { advanceIndex } from '../logic/selection'
import { count } from '../logic/words'
import { useDatasetStore } from './dataset'
import { useNoticesStore } from './notices'
import { useSelectionStore } from './selection'

/** Changing the selected images: labels, split overrides, undo and redo. */
export const useLabellingStore = defineStore('labelling', () => {
  const dataset = useDatasetStore()
  const selection = useSelectionStore()
  const notices = useNoticesStore()
  const busy = ref(false)
  // Actions run one after another: a key pressed while the last label is still being saved waits
  // for it (and for its auto-advance) instead of being lost or applied to the old selection.
  let queue: Promise<unknown> = Promise.resolve()
  function serial(action: () => Promise<void>): Promise<void> {
    const run = queue.then(async () => {
      busy.value = true
      try {
        await action()
      } finally {
        busy.value = false
      }
    })
    queue = run.catch(() => undefined)
    return run
  }

  /**
   * Gives the selection `labelId` (null unlabels). With one image selected the selection then
   * moves on to the next image of the filter (auto-advance), so labelling is one key per image.
   */
  function apply(labelId: number | null, labelName?: string): Promise<void> {
    return serial(() => applyNow(labelId, labelName))
  }

  async function applyNow(labelId: number | null, labelName?: string): Promise<void> {
    const datasetId = dataset.datasetId
    const imageIds = [...selection.ids]
    if (datasetId === null) return
    if (imageIds.length === 0) return notices.say('Select one or more images first')
    const ok = await notices.attempt(() => call('images.label', datasetId, imageIds, labelId))
    await dataset.reload()
    if (!ok) return
    const n = imageIds.length
    const what = count(n, 'image')
    notices.say(labelId === null ? `Unlabelled ${what}` : `Labelled ${what} '${labelName ?? ''}'`)
    if (n === 1 && selection.focus !== null) {
      const stayed = stillMatchesAfterLabel(dataset.filter, labelId)
      await selection.selectIndex(advanceIndex(selection.focus, dataset.total, stayed))
    } else if (!stillMatchesAfterLabel(dataset.filter, labelId)) {
      selection.clear() // they left the grid
    }
  }

  /**
   * Gives the selected pictures their suggested labels (one undoable action); with one picture selected the
   * selection moves on, as labelling does. Pictures with a label or without a suggestion are left alone.
   */
  function accept(): Promise<void> {
    return serial(acceptNow)
  }

  async function acceptNow(): Promise<void> {
    const datasetId = dataset.datasetId
    const imageIds = [...selection.ids]
    if (datasetId === null) return
    if (imageIds.length === 0) return notices.say('Select one or more images first')
    let accepted = 0
    const ok = await notices.attempt(async () => {
      accepted = (await call('suggestions.accept', datasetId, imageIds)).accepted
    })
    await dataset.reload()
    if (!ok) return
    if (accepted === 0)
      return notices.say('No suggestion to accept: those pictures have labels or no suggestion')
    notices.say(`Accepted ${count(accepted, 'suggested label')}`)
    if (imageIds.length === 1 && selection.focus !== null) {
      const stayed = stillMatchesAfterAccept(dataset.filter)
      await selection.selectIndex(advanceIndex(selection.focus, dataset.total, stayed))
    } else if (!stillMatchesAfterAccept(dataset.filter)) {
      selection.clear()
    }
  }

  /** Puts the selection in `split` and keeps it there through re-splits. */
  function setSplit(split: Split): Promise<void> {
    return serial(() => setSplitNow(split))
  }

  async function setSplitNow(split: Split): Promise<void> {
    const datasetId = dataset.datasetId
    const imageIds = [...selection.ids]
    if (datasetId === null || imageIds.length === 0) return
    const ok = await notices.attempt(() => call('images.setSplit', datasetId, imageIds, split))
    if (ok) notices.say(`Put ${count(imageIds.length, 'image')} in ${split}`)
    await dataset.reload()
  }

  /** Undoes the last action on the open dataset, or on `datasetId` (Recognise adds to a run's dataset). */
  function undo(datasetId = dataset.datasetId): Promise<void> {
    return serial(() => step(datasetId, 'images.undo', 'Undid', 'Nothing to undo'))
  }

  function redo(datasetId = dataset.datasetId): Promise<void> {
    return serial(() => step(datasetId, 'images.redo', 'Redid', 'Nothing to redo'))
  }

  async function step(
    datasetId: number | null,
    channel: 'images.undo' | 'images.redo',
    done: string,
    nothing: string,
  ): Promise<void> {
    if (datasetId === null) return
    await notices.attempt(async () => {
      const { description } = await call(channel, datasetId)
      notices.say(description === null ? nothing : `${done}: ${description}`)
    })
    await dataset.reload()
  }

  return { busy, apply, accept, setSplit, undo, redo }
})
