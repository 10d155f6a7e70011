import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type {
  DatasetSummary,
  ImageUpload,
  ModelBundleInfo,
  NetworkChoice,
  Prediction,
  RecognisedImageSource,
  RecognitionReport,
  RecognitionResult,
  RecogniseRequest,
  SplitEvaluation,
} from '../../../shared/types'
import { REJECT_MESSAGES } from '../../../shared/types'
import { call, filePath } from '../api'
import { base64Of } from '../logic/base64'
import { answersOf, judgeAnswers, NOT_CHECKED, unsureWhy, type Trust } from '../logic/trust'
import { useDatasetStore } from './dataset'
import { useLabellingStore } from './labelling'
import { isAloneRun } from '../../../shared/run-choice'
import { useNoticesStore } from './notices'

const NOT_A_PICTURE = 'Not a picture'

/** Labels shown as bars per picture; the keys 1–9 still reach every label of the model. */
export const TOP_K = 5
/**
 * Base64 text sent per `recognise.images` call. Web mode refuses request bodies over 8 MiB, so pictures
 * go in groups under it; a single larger picture still goes alone (and gets the server's answer).
 */
export const UPLOAD_BATCH_CHARS = 6 * 1024 * 1024
const UPLOADS_PER_CALL = 200

/** The model pictures are recognised with: a finished run of the library, or an imported model folder. */
export interface RecogniseModel {
  /** what `recognise.*` takes: a run id or the imported model's folder */
  ref: number | string
  title: string
  classNames: string[]
  networks: { index: number; arch: string }[]
  /** the run's dataset (where confirmed pictures go); null for an imported model */
  datasetId: number | null
}

/** One picture in the Recognise list, from drop, paste, the file picker or the camera. */
export interface RecogniseItem {
  key: number
  name: string
  /** an object URL of the local bytes, revoked when the item goes */
  thumbUrl: string
  source: RecognisedImageSource
  /** 'unreadable': the file is no picture Cohort can read (`error` says why); 'error': recognising failed */
  state: 'recognising' | 'done' | 'unreadable' | 'error'
  predictions: Prediction[]
  perNetwork: { index: number; arch: string; predictions: Prediction[] }[]
  error: string | null
  /** what the error means for the person: "Not a picture", "Could not read this picture", … */
  verdict: string | null
  /** the label it was added to the dataset with */
  added: string | null
  /** the dataset image it became, once added */
  imageId: number | null
  addedMessage: string | null
}

/** A probability as people read it, the same everywhere in the view. */
export function percent(p: number): string {
  return `${(p * 100).toFixed(1)}%`
}

/** Groups uploads into calls under the body budget and the per-call count. */
export function uploadGroups<T extends { data: string }>(uploads: readonly T[]): T[][] {
  const groups: T[][] = []
  let group: T[] = []
  let chars = 0
  for (const u of uploads) {
    if (
      group.length > 0 &&
      (chars + u.data.length > UPLOAD_BATCH_CHARS || group.length >= UPLOADS_PER_CALL)
    ) {
      groups.push(group)
      group = []
      chars = 0
    }
    group.push(u)
    chars += u.data.length
  }
  if (group.length > 0) groups.push(group)
  return groups
}

/**
 * The Recognise view's state: the chosen model and network, the pictures and what the networks think,
 * and the one-key loop that adds a recognised picture to the dataset with its confirmed label.
 */
function importedModel(dir: string, m: ModelBundleInfo): RecogniseModel {
  return {
    ref: dir,
    title: `Imported · ${m.classNames.length} labels · ${m.networks.map((n) => n.arch).join(' + ')}`,
    classNames: m.classNames,
    networks: m.networks.map((n) => ({ index: n.index, arch: n.arch })),
    datasetId: null,
  }
}

export const useRecogniseStore = defineStore('recognise', () => {
  const notices = useNoticesStore()
  const labelling = useLabellingStore()
  const openDataset = useDatasetStore()
  const runs = ref<RecogniseModel[]>([])
  const imported = ref<RecogniseModel[]>([])
  const datasets = ref<DatasetSummary[]>([])
  const model = ref<RecogniseModel | null>(null)
  const network = ref<NetworkChoice>('ensemble')
  /** where confirmed pictures go: the run's dataset, or the one chosen for an imported model */
  const targetDatasetId = ref<number | null>(null)
  const items = ref<RecogniseItem[]>([])
  const current = ref(0)
  const batch = ref<{ folder: string; report: RecognitionReport } | null>(null)
  const batchBusy = ref(false)
  /** why the last folder could not be recognised */
  const batchError = ref<string | null>(null)
  /** what the last export did, or why it could not */
  const exported = ref<{ ok: boolean; text: string } | null>(null)
  /** the chosen run's answers on its validation pictures, which Enter's trust rule reads; null: none to read */
  const validation = shallowRef<SplitEvaluation | null>(null)
  let nextKey = 1

  const targetDataset = computed(() => datasets.value.find((d) => d.id === targetDatasetId.value) ?? null)
  /** label name → its key in the dataset pictures go to: the same key as in its Dataset and Results views */
  const labelKeys = computed<Record<string, number>>(() =>
    Object.fromEntries(
      (targetDataset.value?.labels ?? [])
        .filter((l) => l.key !== null)
        .sort((a, b) => a.key! - b.key!)
        .map((l) => [l.name, l.key!]),
    ),
  )
  const currentItem = computed(() => items.value[current.value] ?? null)
  /** how far the chosen model's answers (the group's, or the chosen network's) are trusted: logic/trust.ts */
  const trust = computed<Trust>(() =>
    validation.value ? judgeAnswers(answersOf(validation.value, network.value)) : NOT_CHECKED,
  )

  /**
   * Why Enter would not take this picture's top label, with what to do instead (the Results view's rule for
   * "mark as"); null when Enter takes it.
   */
  function enterRefusal(item: RecogniseItem): string | null {
    const top = item.predictions[0]
    if (item.state !== 'done' || top === undefined) return null
    const why = unsureWhy(top.probability, trust.value)
    return why === null ? null : `${why} — pick the label with 1–9 or L`
  }

  async function refresh(): Promise<void> {
    const [allRuns, allDatasets, allImported] = await Promise.all([
      call('runs.list'),
      call('datasets.list'),
      call('models.list'),
    ])
    datasets.value = allDatasets
    imported.value = allImported.map((m) => importedModel(m.dir, m.metadata))
    const names = new Map(allDatasets.map((d) => [d.id, d.name]))
    runs.value = allRuns
      .filter((r) => r.status === 'completed')
      .map((r) => ({
        ref: r.id,
        title: `Run ${r.id} · ${names.get(r.datasetId) ?? 'dataset'} · ${r.networks.map((n) => n.arch).join(' + ')}${isAloneRun(r) ? ` (trained alone, for run ${String(r.config.aloneFor)})` : ''}`,
        classNames: r.classNames,
        networks: r.networks.map((n) => ({ index: n.index, arch: n.arch })),
        datasetId: r.datasetId,
      }))
    if (model.value === null && runs.value.length > 0) await choose(runs.value[0]!)
  }

  async function choose(next: RecogniseModel): Promise<void> {
    model.value = next
    network.value = 'ensemble'
    if (next.datasetId !== null) targetDatasetId.value = next.datasetId
    else if (!datasets.value.some((d) => d.id === targetDatasetId.value)) {
      targetDatasetId.value = datasets.value[0]?.id ?? null
    }
    batch.value = null
    validation.value = null
    await Promise.all([recogniseAgain(), loadValidation(next)])
  }

  /** The run's validation answers; an imported model, or a run whose dataset has none, is not checked. */
  async function loadValidation(m: RecogniseModel): Promise<void> {
    if (typeof m.ref !== 'number') return
    try {
      const report = await call('runs.evaluateSplit', m.ref, 'validation')
      if (model.value === m) validation.value = report
    } catch {
      // no labelled validation picture the model knows: nothing to judge the run by
    }
  }

  async function chooseNetwork(choice: NetworkChoice): Promise<void> {
    network.value = choice
    batch.value = null
    await recogniseAgain()
  }

  async function importModel(dir: string): Promise<boolean> {
    return notices.attempt(async () => {
      const report = await call('models.import', dir)
      const entry = importedModel(report.dir, report.metadata)
      imported.value.push(entry)
      notices.say(`Imported the model into ${report.dir}`)
      await choose(entry)
    })
  }

  /**
   * Exports the chosen run's model; the outcome (or why not) is `exported`, shown beside the Export button
   * whatever else the view shows.
   */
  async function exportModel(dir: string): Promise<boolean> {
    const m = model.value
    if (m === null || typeof m.ref !== 'number') return false
    exported.value = null
    try {
      const report = await call('models.export', m.ref, dir)
      const networks = report.metadata.networks.length
      exported.value = {
        ok: true,
        text: `Exported ${networks} networks (${report.files} files) to ${report.dir}`,
      }
      return true
    } catch (err) {
      exported.value = { ok: false, text: err instanceof Error ? err.message : String(err) }
      return false
    }
  }

  function request(): RecogniseRequest {
    return { network: network.value, topK: TOP_K, perNetwork: network.value === 'ensemble' }
  }

  /**
   * Turns picked, dropped, pasted or captured files into items, then recognises them. A file of another
   * type (a text, a PDF) gets its item too, saying it is not a picture, and is never sent.
   */
  async function addFiles(files: readonly File[]): Promise<void> {
    const added: RecogniseItem[] = []
    for (const file of files) {
      const name = file.name || 'pasted picture'
      const item: RecogniseItem = {
        key: nextKey++,
        name,
        thumbUrl: '',
        source: { path: name }, // replaced below for a picture; never sent for anything else
        state: 'recognising',
        predictions: [],
        perNetwork: [],
        error: null,
        verdict: null,
        added: null,
        imageId: null,
        addedMessage: null,
      }
      if (file.type !== '' && !file.type.startsWith('image/')) {
        Object.assign(item, {
          state: 'unreadable',
          verdict: NOT_A_PICTURE,
          error: `${name} is a ${file.type} file`,
        })
      } else {
        // the desktop app reads the file where it is; a browser has only the bytes
        const path = filePath(file)
        item.source = path ? { path } : { name: file.name || 'picture.png', data: await base64Of(file) }
        item.thumbUrl = URL.createObjectURL(file)
      }
      added.push(item)
    }
    if (added.length === 0) return
    const first = items.value.length
    items.value.push(...added)
    current.value = first
    await recognise(items.value.slice(first).filter((i) => i.state === 'recognising'))
  }

  async function recogniseAgain(): Promise<void> {
    // a file that is not a picture stays one, whatever the model
    const again = items.value.filter((i) => i.state !== 'unreadable' || i.thumbUrl !== '')
    for (const item of again) item.state = 'recognising'
    await recognise(again)
  }

  /** Recognises the items (paths in one call, bytes in groups), filling each item's result. */
  async function recognise(targets: RecogniseItem[]): Promise<void> {
    const m = model.value
    if (m === null || targets.length === 0) return
    const byPath = targets.filter((t) => 'path' in t.source)
    const byBytes = targets.filter((t) => 'data' in t.source)
    const apply = (group: RecogniseItem[], report: RecognitionReport) =>
      report.results.forEach((result, i) => group[i] && fill(group[i], result))
    try {
      if (byPath.length > 0) {
        const paths = byPath.map((t) => (t.source as { path: string }).path)
        apply(byPath, await call('recognise.files', m.ref, paths, request()))
      }
      const withUploads = byBytes.map((item) => ({ item, data: (item.source as ImageUpload).data }))
      for (const group of uploadGroups(withUploads)) {
        const uploads = group.map((g) => g.item.source as ImageUpload)
        apply(
          group.map((g) => g.item),
          await call('recognise.images', m.ref, uploads, request()),
        )
      }
    } catch (err) {
      for (const t of targets) {
        if (t.state === 'recognising') {
          Object.assign(t, {
            state: 'error',
            verdict: 'Could not recognise this picture',
            error: (err as Error).message,
          })
        }
      }
      notices.fail(err)
    }
  }

  function fill(item: RecogniseItem, result: RecognitionResult): void {
    if ('error' in result) {
      // the service's reasons are import's: "not an image …: why" means the bytes are no picture at all
      const notImage = REJECT_MESSAGES['not-an-image']
      const notPicture = result.error.startsWith(notImage)
      Object.assign(item, {
        state: 'unreadable',
        verdict: notPicture ? NOT_A_PICTURE : 'Could not read this picture',
        error: notPicture ? result.error.slice(notImage.length).replace(/^: /, '') || notImage : result.error,
        predictions: [],
        perNetwork: [],
      })
    } else {
      Object.assign(item, {
        state: 'done',
        error: null,
        verdict: null,
        predictions: result.predictions,
        perNetwork: result.perNetwork ?? [],
      })
    }
  }

  /**
   * Adds the current picture to the dataset: 'top' confirms the top prediction, a number is a label's key
   * in that dataset (as in its Dataset view), a name any label (the palette; a new name creates it).
   * Moves on to the next picture.
   */
  async function addCurrent(choice: 'top' | number | string): Promise<boolean> {
    const item = currentItem.value
    const m = model.value
    if (item === null || m === null || item.state !== 'done') return false
    let label: string | undefined
    if (choice === 'top') {
      const refusal = enterRefusal(item)
      if (refusal !== null) {
        notices.say(refusal)
        return false
      }
      label = item.predictions[0]?.label
    } else if (typeof choice === 'string') label = choice
    else {
      label = targetDataset.value?.labels.find((l) => l.key === choice)?.name
      if (label === undefined)
        notices.say(`No label has key ${choice} in this dataset yet: press L to pick or create one`)
    }
    if (label === undefined) return false
    const datasetId = targetDatasetId.value
    if (datasetId === null) {
      notices.fail(new Error('Choose a dataset to add the picture to.'))
      return false
    }
    return notices.attempt(async () => {
      const result = await call('images.addRecognised', datasetId, item.source, label)
      item.added = result.image.label
      item.imageId = result.image.id
      item.addedMessage = result.message
      notices.say(result.message)
      move(1)
      await reloadDatasets()
    })
  }

  /** Undoes (or redoes) the last action on the dataset pictures are added to; the cards show what is so now. */
  async function step(direction: 'undo' | 'redo'): Promise<void> {
    const datasetId = targetDatasetId.value
    if (datasetId === null) return
    await (direction === 'undo' ? labelling.undo(datasetId) : labelling.redo(datasetId))
    const kept = items.value.filter((i) => i.imageId !== null)
    await notices.attempt(async () => {
      const rows = await call('images.list', { datasetId, ids: kept.map((i) => i.imageId!) })
      const labels = new Map(rows.map((r) => [r.id, r.label]))
      for (const item of kept) {
        const label = labels.get(item.imageId!) ?? null
        if (label !== item.added) Object.assign(item, { added: label, addedMessage: null })
      }
      await reloadDatasets()
    })
  }

  /** Re-reads the datasets' counts, and the open dataset's (the Dataset and Train views show them). */
  async function reloadDatasets(): Promise<void> {
    datasets.value = await call('datasets.list')
    if (openDataset.datasetId === targetDatasetId.value) await openDataset.reload()
  }

  function move(step: number): void {
    if (items.value.length === 0) return
    current.value = Math.max(0, Math.min(items.value.length - 1, current.value + step))
  }

  function select(index: number): void {
    if (index >= 0 && index < items.value.length) current.value = index
  }

  function clear(): void {
    for (const item of items.value) URL.revokeObjectURL(item.thumbUrl)
    items.value = []
    current.value = 0
  }

  /**
   * Recognises every picture of a folder on this computer (the service reads it) for the results table; a
   * folder that cannot be read leaves no table (nor CSV) and says why in `batchError`, beside the form.
   */
  async function recogniseFolder(folder: string): Promise<boolean> {
    const m = model.value
    if (m === null) return false
    batchBusy.value = true
    batch.value = null
    batchError.value = null
    try {
      const report = await call('recognise.folder', m.ref, folder, {
        network: network.value,
        topK: Math.min(3, m.classNames.length),
      })
      batch.value = { folder, report }
      return true
    } catch (err) {
      batchError.value = err instanceof Error ? err.message : String(err)
      return false
    } finally {
      batchBusy.value = false
    }
  }

  return {
    runs,
    imported,
    datasets,
    model,
    network,
    targetDatasetId,
    targetDataset,
    labelKeys,
    trust,
    enterRefusal,
    items,
    current,
    currentItem,
    batch,
    batchBusy,
    batchError,
    exported,
    refresh,
    choose,
    chooseNetwork,
    importModel,
    exportModel,
    addFiles,
    addCurrent,
    step,
    move,
    select,
    clear,
    recogniseFolder,
  }
})
