import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { call } from '../api'
import type { ModelCopyReport, RunSummary, SplitEvaluation, SplitImageResult } from '../../../shared/types'
import { useDatasetStore } from './dataset'
import { useLabellingStore } from './labelling'
import { useNoticesStore } from './notices'
import { newestGroupRun } from '../../../shared/run-choice'
import { answersOf, judgeAnswers, NOT_CHECKED, type Trust } from '../logic/trust'

export type ResultsSplit = SplitEvaluation['split']
/** The two galleries of the view: the open confusion cell's images and the misclassified list. */
export type ResultsGallery = 'cell' | 'misclassified'

/**
 * The Results view's state: one finished run evaluated image by image on a split of its dataset, the
 * confusion cell being looked at, label fixes made from here, the dataset's other runs and exporting.
 */
export const useResultsStore = defineStore('results', () => {
  const dataset = useDatasetStore()
  const notices = useNoticesStore()
  const labelling = useLabellingStore()

  const run = ref<RunSummary | null>(null)
  const split = ref<ResultsSplit>('validation')
  const evaluation = shallowRef<SplitEvaluation | null>(null)
  const loading = ref(false)
  /** the confusion cell whose images are shown: true class × predicted class */
  const cell = ref<{ label: number; predicted: number } | null>(null)
  /** label names given to images from this view, by image id (the evaluation itself is not redone) */
  const fixed = ref<Record<number, string>>({})
  // every image labelled from here: undo and redo re-read these images' labels
  let touched = new Set<number>()
  /** the picture the person clicked or focused, and the gallery it is in: number keys label it only */
  const chosen = ref<{ gallery: ResultsGallery; imageId: number } | null>(null)
  const completedRuns = ref<RunSummary[]>([])
  const testAccuracy = shallowRef<SplitEvaluation | null>(null)
  const exported = ref<ModelCopyReport | null>(null)
  /**
   * what the run's validation answers support: a "mark as" fix is offered only from the confidence at which
   * they were 90 % right (logic/trust.ts); below it, or when none was (a weak model), a second look
   */
  const trust = ref<Trust>(NOT_CHECKED)

  const cellImages = computed<SplitImageResult[]>(() => {
    const c = cell.value
    if (!evaluation.value || !c) return []
    return evaluation.value.images.filter((i) => i.label === c.label && i.predicted === c.predicted)
  })
  /** wrong answers, the most confident first: those are the likeliest label mistakes */
  const misclassified = computed<SplitImageResult[]>(() =>
    (evaluation.value?.images ?? [])
      .filter((i) => i.predicted !== i.label)
      .sort((a, b) => b.confidence - a.confidence),
  )

  async function evaluate(): Promise<void> {
    const r = run.value
    if (!r) return
    loading.value = true
    cell.value = null
    chosen.value = null
    const wanted = split.value
    try {
      const next = await call('runs.evaluateSplit', r.id, wanted)
      if (run.value?.id === r.id && split.value === wanted) evaluation.value = next
      if (run.value?.id === r.id && wanted === 'validation') {
        trust.value = judgeAnswers(answersOf(next))
      }
    } catch (err) {
      evaluation.value = null
      notices.fail(err)
    } finally {
      loading.value = false
    }
  }

  async function loadCompletedRuns(): Promise<void> {
    const id = dataset.datasetId
    if (id === null) return
    try {
      const all = await call('runs.list', id)
      completedRuns.value = all.filter((r) => r.status === 'completed').sort((a, b) => b.id - a.id)
    } catch (err) {
      notices.fail(err)
    }
  }

  /** Test accuracy per network, when the dataset has a test split (kept apart: only validation chooses). */
  async function loadTest(runId: number): Promise<void> {
    testAccuracy.value = null
    if ((dataset.summary?.splits.test ?? 0) === 0) return
    try {
      const report = await call('runs.evaluateSplit', runId, 'test')
      if (run.value?.id === runId) testAccuracy.value = report
    } catch {
      // no labelled test images the model knows: the column stays empty
    }
  }

  // the dataset the last open() was for, set at once so a view mounting meanwhile does not open another run
  let openedFor: number | null = null

  async function open(runId: number): Promise<void> {
    openedFor = dataset.datasetId
    fixed.value = {}
    touched = new Set()
    exported.value = null
    split.value = 'validation'
    evaluation.value = null
    trust.value = NOT_CHECKED
    try {
      run.value = await call('runs.get', runId)
    } catch (err) {
      notices.fail(err)
      return
    }
    await Promise.all([evaluate(), loadCompletedRuns(), loadTest(runId)])
  }

  /** Opens the newest completed run of the dataset when none of its runs is open yet. */
  async function openLatest(): Promise<void> {
    const chosen = openedFor === dataset.datasetId
    await loadCompletedRuns()
    // a run made to compare with (its networks trained alone) is not the one to show first
    const newest = newestGroupRun(completedRuns.value) ?? completedRuns.value[0]
    if (!chosen && newest) await open(newest.id)
    else if (!chosen) run.value = null
  }

  async function setSplit(next: ResultsSplit): Promise<void> {
    split.value = next
    await evaluate()
  }

  function selectCell(label: number, predicted: number): void {
    const c = cell.value
    cell.value = c && c.label === label && c.predicted === predicted ? null : { label, predicted }
    if (chosen.value?.gallery === 'cell') chosen.value = null
  }

  function closeCell(): void {
    cell.value = null
    if (chosen.value?.gallery === 'cell') chosen.value = null
  }

  function imagesOf(gallery: ResultsGallery): SplitImageResult[] {
    return gallery === 'cell' ? cellImages.value : misclassified.value
  }

  function choose(gallery: ResultsGallery, imageId: number): void {
    chosen.value = { gallery, imageId }
  }

  /**
   * Gives the chosen picture the dataset label `name`, then chooses the next picture of the same
   * gallery. Without a chosen picture nothing is labelled: a key never acts on a picture not picked.
   */
  async function fixChosen(name: string): Promise<void> {
    const c = chosen.value
    if (!c) {
      notices.say('Click a picture first, then press a label’s key')
      return
    }
    const list = imagesOf(c.gallery)
    const at = list.findIndex((i) => i.imageId === c.imageId)
    await fix(c.imageId, name)
    const next = list[at + 1]
    if (next && chosen.value === c) chosen.value = { gallery: c.gallery, imageId: next.imageId }
  }

  /** Gives image `imageId` the dataset label called `name` (one undoable labelling action). */
  async function fix(imageId: number, name: string): Promise<void> {
    const datasetId = dataset.datasetId
    const label = dataset.labels.find((l) => l.name === name)
    if (datasetId === null || !label) {
      notices.fail(new Error(`The dataset has no label called '${name}' any more.`))
      return
    }
    const ok = await notices.attempt(() => call('images.label', datasetId, [imageId], label.id))
    if (ok) {
      touched.add(imageId)
      fixed.value = { ...fixed.value, [imageId]: name }
      notices.say(`Labelled the image '${name}'`)
      await dataset.reload()
    }
  }

  /** Undoes (or redoes) the dataset's last labelling action, then shows the pictures' labels as they are now. */
  async function step(direction: 'undo' | 'redo'): Promise<void> {
    await (direction === 'undo' ? labelling.undo() : labelling.redo())
    await refreshFixed()
  }

  async function refreshFixed(): Promise<void> {
    const datasetId = dataset.datasetId
    const e = evaluation.value
    if (datasetId === null || !e || touched.size === 0) return
    const byId = new Map(e.images.map((i) => [i.imageId, e.classNames[i.label]]))
    try {
      const rows = await call('images.list', { datasetId, ids: [...touched] })
      const next: Record<number, string> = {}
      for (const r of rows) {
        if (r.label !== null && r.label !== byId.get(r.id)) next[r.id] = r.label
      }
      fixed.value = next
    } catch (err) {
      notices.fail(err)
    }
  }

  async function exportModels(dir: string): Promise<void> {
    const r = run.value
    if (!r) return
    exported.value = null
    await notices.attempt(async () => {
      exported.value = await call('models.export', r.id, dir)
    })
  }

  return {
    trust,
    run,
    split,
    evaluation,
    loading,
    cell,
    cellImages,
    misclassified,
    fixed,
    chosen,
    completedRuns,
    testAccuracy,
    exported,
    open,
    openLatest,
    setSplit,
    selectCell,
    closeCell,
    choose,
    fix,
    fixChosen,
    step,
    exportModels,
  }
})
