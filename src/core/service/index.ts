/**
 * The Cohort service: the one implementation of the API every shell binds (Electron IPC,
 * HTTP in web mode, the CLI). Plain Node; owns the library database for its lifetime.
 */
import type { CohortApi, ImportFilesArgs, ImportFolderArgs, SystemInfo } from '../../shared/api'
import type {
  AugmentPreviewRequest,
  ImportedModel,
  ImageQuery,
  ImageUpload,
  ImportReport,
  AcceptAgreeingRequest,
  RecognisedImageSource,
  RecogniseRequest,
  Split,
  SplitRequest,
  SuggestionQuery,
} from '../../shared/types'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { libraryPaths, type LibraryPaths } from '../paths'
import type { Db } from '../store/db'
import { openLibrary } from './library'
import { createDataset, datasetSummary, deleteDataset, listDatasets, renameDataset } from '../store/datasets'
import {
  createLabel,
  deleteLabel,
  listLabels,
  mergeLabels,
  renameLabel,
  setLabelColour,
  setLabelKey,
} from '../store/labels'
import { countImages, getImage, listImages } from '../store/image-queries'
import { labelImages, redo, setSplitOverride, undo } from '../dataset/labelling'
import { splitDataset } from '../dataset/split'
import { applyCsv, exportCsv } from '../dataset/csv'
import { exportDatasetToFolder } from '../dataset/export-folder'
import { importFiles, importFolder, refreshMissing, type ImportContext } from '../dataset/import'
import { clearTensorCache } from '../dataset/tensor-cache'
import { fullImageFile, thumbnailFile, type ImageFile } from './image-files'
import { ServiceEvents } from './events'
import { RunSupervisor, type TrainerLauncher } from './runs'
import { backgroundSource } from './suggest-jobs'
import { inProcessSource, SuggestionDesk } from './suggestions'
import { listImportedModelPaths, listRuns, recordModel, requireRun } from '../store/runs'
import { removeRunFolder, runDirectory } from '../training/run-folder'
import type { ModelBundle } from '../engine/model-metadata'

export interface ServiceOptions {
  /**
   * library folder (thumbnails, runs, backups…) with its `library.sqlite`; a dbFile elsewhere brings its
   * own folder beside it (see libraryPaths)
   */
  home: string
  dbFile?: string | undefined
  /** path of a better-sqlite3 addon built for this runtime (Electron) */
  sqliteBinding?: string | undefined
  /** the app's version, reported by system.info */
  version?: string
  /** the bundled sample dataset (resources/sample/fashion-mnist); shells that bundle the app pass it */
  sampleFolder?: string
  /** how trainer processes are started (Electron passes a utilityProcess launcher); default: fork */
  launchTrainer?: TrainerLauncher
  /**
   * whether a run that completes answers for its dataset's unlabelled pictures at once, in the background
   * (default true; the CLI's one-shot processes answer on demand instead)
   */
  suggestAfterRuns?: boolean
  /**
   * whether suggestions are computed in a background trainer process (default true, so the app's process
   * stays free); false answers in this process, for one-shot shells that wait for the answer anyway
   */
  suggestInBackground?: boolean
}

export type { ImageFile }

export const SAMPLE_DATASET = 'fashion-mnist-sample'

export interface CohortService extends CohortApi {
  readonly events: ServiceEvents
  readonly paths: LibraryPaths
  /** the trainer processes of this service (the 'runs.*' channels use it) */
  readonly runs: RunSupervisor
  /** the suggested labels of runs (the 'suggestions.*' channels use it) */
  readonly suggestions: SuggestionDesk
  /** Resolves a `cohort-image://image/<id>/<thumb|full>` URL to bytes; null for anything the store does not know. */
  imageFile(url: string): Promise<ImageFile | null>
  close(): void
}

export async function createCohortService(options: ServiceOptions): Promise<CohortService> {
  const paths = libraryPaths(options.home, options.dbFile)
  const db = openLibrary(paths, options.sqliteBinding)
  const service = new Service(
    db,
    paths,
    options.version ?? 'dev',
    options.sampleFolder,
    options.launchTrainer,
    options.suggestInBackground !== false,
  )
  if (options.suggestAfterRuns !== false) {
    service.events.on('run.status', ({ runId, status }) => {
      if (status === 'completed') void service.suggestions.refreshAfterRun(runId)
    })
  }
  // a run still 'running' whose trainer is gone lost it with the previous app session
  service.runs.markInterrupted()
  return service
}

class Service implements CohortService {
  readonly events = new ServiceEvents()
  private currentImport: AbortController | null = null

  readonly runs: RunSupervisor
  readonly suggestions: SuggestionDesk

  constructor(
    private readonly db: Db,
    readonly paths: LibraryPaths,
    private readonly version: string,
    private readonly sampleFolder: string | undefined,
    launchTrainer?: TrainerLauncher,
    suggestInBackground = true,
  ) {
    this.runs = new RunSupervisor(db, paths, this.events, launchTrainer)
    const source = suggestInBackground
      ? backgroundSource(db, paths, launchTrainer)
      : inProcessSource(db, (runId, work) => this.withModel(runId, work))
    this.suggestions = new SuggestionDesk(db, this.events, source)
  }

  close(): void {
    this.runs.close()
    this.suggestions.close()
    this.currentImport?.abort()
    if (this.db.open) this.db.close()
  }

  async 'system.info'(): Promise<SystemInfo> {
    return {
      version: this.version,
      home: this.paths.home,
      libraryFile: this.paths.db,
      backend: await this.chooseBackend(),
    }
  }

  /** The backend, chosen once (COHORT_BACKEND forces one); tfjs loads only when first asked. */
  private backendInfo: Promise<SystemInfo['backend']> | null = null
  private chooseBackend(): Promise<SystemInfo['backend']> {
    this.backendInfo ??= import('../engine/backend')
      .then((engine) => engine.initBackend())
      .then(
        (info) => ({ name: info.name, kernels: info.kernels }),
        (err: Error) => ({ name: null, error: err.message }),
      )
    return this.backendInfo
  }

  async 'datasets.list'() {
    return listDatasets(this.db)
  }
  async 'datasets.create'(name: string) {
    return datasetSummary(this.db, createDataset(this.db, name).id)
  }
  async 'datasets.rename'(datasetId: number, name: string) {
    return datasetSummary(this.db, renameDataset(this.db, datasetId, name).id)
  }
  /** Stops the dataset's training, deletes it, then its runs' folders (checkpoints, models) and its decoded pixels. */
  async 'datasets.remove'(datasetId: number) {
    const runs = listRuns(this.db, datasetId)
    const training = runs.filter((run) => this.runs.activeRunIds().includes(run.id))
    await Promise.all(training.map((run) => this.runs.cancel(run.id).then(() => this.runs.wait(run.id))))
    this.suggestions.cancelDataset(datasetId)
    deleteDataset(this.db, datasetId)
    await Promise.all([
      ...runs.map((run) => removeRunFolder(this.paths, run.id)),
      clearTensorCache(this.paths.cache, datasetId),
    ])
  }
  async 'datasets.importSample'(): Promise<ImportReport> {
    // from source the sample sits at the repository root; bundled shells pass its path
    const folder =
      this.sampleFolder ?? fileURLToPath(new URL('../../../resources/sample/fashion-mnist', import.meta.url))
    if (!existsSync(folder))
      throw new Error(`The sample dataset is missing from this installation (${folder}).`)
    const report = await this['imports.folder']({ folder, dataset: SAMPLE_DATASET })
    const dataset = listDatasets(this.db).find((d) => d.name === SAMPLE_DATASET)!
    // split once, so a person's own re-split or overrides survive a second click
    if (dataset.splits.unassigned === dataset.imageCount) {
      splitDataset(this.db, { datasetId: dataset.id, validation: 0.2, test: 0, seed: 1 })
    }
    return report
  }
  async 'datasets.exportCsv'(datasetId: number) {
    return exportCsv(this.db, datasetId)
  }
  async 'datasets.applyCsv'(datasetId: number, csv: string, baseDir?: string) {
    return applyCsv(this.db, datasetId, csv, baseDir === undefined ? {} : { baseDir })
  }
  async 'datasets.exportFolder'(datasetId: number, folder: string, split?: Split) {
    return exportDatasetToFolder(this.db, datasetId, folder, split === undefined ? {} : { split })
  }

  async 'labels.create'(datasetId: number, name: string) {
    const label = createLabel(this.db, datasetId, name)
    return listLabels(this.db, datasetId).find((l) => l.id === label.id)!
  }
  async 'labels.rename'(labelId: number, name: string) {
    renameLabel(this.db, labelId, name)
  }
  async 'labels.merge'(fromLabelId: number, intoLabelId: number) {
    mergeLabels(this.db, fromLabelId, intoLabelId)
  }
  async 'labels.remove'(labelId: number) {
    deleteLabel(this.db, labelId)
  }
  async 'labels.setKey'(labelId: number, key: number | null) {
    setLabelKey(this.db, labelId, key)
  }
  async 'labels.setColour'(labelId: number, colour: string | null) {
    setLabelColour(this.db, labelId, colour)
  }

  async 'images.list'(query: ImageQuery) {
    return listImages(this.db, query)
  }
  async 'images.count'(query: ImageQuery) {
    return countImages(this.db, query)
  }
  async 'images.label'(datasetId: number, imageIds: number[], labelId: number | null) {
    labelImages(this.db, datasetId, imageIds, labelId)
  }
  async 'images.setSplit'(datasetId: number, imageIds: number[], split: Split) {
    setSplitOverride(this.db, datasetId, imageIds, split)
  }
  async 'images.undo'(datasetId: number) {
    return { description: undo(this.db, datasetId) }
  }
  async 'images.redo'(datasetId: number) {
    return { description: redo(this.db, datasetId) }
  }

  async 'images.refresh'(datasetId: number) {
    return refreshMissing({ db: this.db, thumbnailsDir: this.paths.thumbnails }, datasetId)
  }

  async 'images.addRecognised'(datasetId: number, source: RecognisedImageSource, label: string) {
    const { addRecognisedImage } = await import('../recognition/uploads')
    const ctx = { db: this.db, thumbnailsDir: this.paths.thumbnails, addedDir: this.paths.added }
    return addRecognisedImage(ctx, datasetId, source, label)
  }

  async 'splits.apply'(request: SplitRequest) {
    return splitDataset(this.db, request)
  }

  async 'imports.folder'(args: ImportFolderArgs): Promise<ImportReport> {
    return this.runImport(args.dataset, (ctx, signal, onProgress) =>
      importFolder(ctx, { folder: args.folder, dataset: args.dataset, signal, onProgress }),
    )
  }
  async 'imports.files'(args: ImportFilesArgs): Promise<ImportReport> {
    return this.runImport(args.dataset, (ctx, signal, onProgress) =>
      importFiles(ctx, {
        files: args.files,
        dataset: args.dataset,
        label: args.label ?? undefined,
        signal,
        onProgress,
      }),
    )
  }
  async 'imports.cancel'() {
    this.currentImport?.abort()
  }

  /** One import at a time per library: a second would only compete for the same disk and rows. */
  private async runImport(
    dataset: string,
    work: (
      ctx: ImportContext,
      signal: AbortSignal,
      onProgress: Parameters<typeof importFolder>[1]['onProgress'],
    ) => Promise<ImportReport>,
  ): Promise<ImportReport> {
    if (this.currentImport) throw new Error('An import is already running; wait for it or cancel it first.')
    const controller = new AbortController()
    this.currentImport = controller
    try {
      return await work({ db: this.db, thumbnailsDir: this.paths.thumbnails }, controller.signal, (p) =>
        this.events.emit('import.progress', { ...p, dataset }),
      )
    } finally {
      this.currentImport = null
    }
  }

  async 'recognise.files'(model: number | string, files: string[], options: RecogniseRequest = {}) {
    const { recogniseFiles } = await import('../recognition/recognise')
    return this.withModel(model, (bundle) => recogniseFiles(bundle, files, options))
  }
  async 'recognise.folder'(model: number | string, folder: string, options: RecogniseRequest = {}) {
    const { recogniseFolder } = await import('../recognition/recognise')
    return this.withModel(model, (bundle) => recogniseFolder(bundle, folder, options))
  }
  async 'recognise.images'(model: number | string, images: ImageUpload[], options: RecogniseRequest = {}) {
    const { checkUploads, recogniseImages } = await import('../recognition/uploads')
    const pictures = checkUploads(images) // bad bytes are refused before a model is loaded
    return this.withModel(model, (bundle) => recogniseImages(bundle, pictures, options))
  }
  async 'runs.evaluate'(model: number | string, folder: string) {
    const { evaluateFolder } = await import('../recognition/evaluate')
    return this.withModel(model, (bundle) => evaluateFolder(bundle, folder))
  }
  async 'runs.evaluateSplit'(runId: number, split: 'validation' | 'test') {
    const { evaluateRunSplit } = await import('../recognition/run-evaluation')
    const run = requireRun(this.db, runId)
    return this.withModel(runId, (bundle) =>
      evaluateRunSplit({ db: this.db, cacheDir: this.paths.cache }, run, bundle, split),
    )
  }
  async 'models.zoo'(imageSize: number, channels: 1 | 3, classes: number) {
    await this.engine()
    const { zooCatalogue } = await import('./zoo')
    return zooCatalogue(imageSize, channels, classes)
  }
  async 'models.export'(runId: number, outDir: string) {
    const { exportBundle } = await this.engine()
    return exportBundle(await this.runModelDir(runId), outDir)
  }
  async 'models.import'(dir: string) {
    const { importBundle } = await this.engine()
    const report = await importBundle(dir, this.paths.models)
    recordModel(this.db, { runId: null, networkIndex: null, kind: 'imported', path: report.dir, epoch: null })
    return report
  }

  async 'models.list'(): Promise<ImportedModel[]> {
    const { readModelMetadata } = await import('../engine/model-metadata')
    const paths = listImportedModelPaths(this.db)
    const found: ImportedModel[] = []
    for (const path of paths) {
      // a folder someone deleted or damaged by hand is left out, not fatal
      try {
        found.push({ dir: path, metadata: await readModelMetadata(path) })
      } catch {
        continue
      }
    }
    return found
  }

  /**
   * TensorFlow.js and the backend are loaded on first use, so commands that never touch a model (listing
   * datasets, importing) do not pay for them.
   */
  private async engine() {
    const backend = await this.chooseBackend()
    if (backend.name === null) throw new Error(`No TensorFlow.js backend could be loaded: ${backend.error}`)
    return import('../recognition/export')
  }

  /** `<library>/runs/<id>/final`, where the trainer writes a run's model bundle once the run completes. */
  private async runModelDir(runId: number): Promise<string> {
    const run = requireRun(this.db, runId)
    const { METADATA_FILE, ModelBundleError } = await import('../engine/model-metadata')
    const dir = join(runDirectory(this.paths, runId), 'final')
    // only a completed run has a model: files under its id from anywhere else are not its answer
    if (run.status !== 'completed' || !existsSync(join(dir, METADATA_FILE))) {
      throw new ModelBundleError(
        `Run ${runId} has no trained model yet (it is ${run.status}); models are saved when a run completes.`,
      )
    }
    return dir
  }

  private async withModel<T>(model: number | string, work: (bundle: ModelBundle) => Promise<T>): Promise<T> {
    await this.engine()
    const { disposeModelBundle, readModelBundle } = await import('../engine/model-metadata')
    const bundle = await readModelBundle(typeof model === 'number' ? await this.runModelDir(model) : model)
    try {
      return await work(bundle)
    } finally {
      disposeModelBundle(bundle)
    }
  }

  async 'suggestions.list'(datasetId: number, query?: SuggestionQuery) {
    return this.suggestions.list(datasetId, query)
  }
  async 'suggestions.accept'(datasetId: number, imageIds: number[]) {
    return this.suggestions.accept(datasetId, imageIds)
  }
  async 'suggestions.acceptAgreeing'(datasetId: number, request: AcceptAgreeingRequest) {
    return this.suggestions.acceptAgreeing(datasetId, request)
  }

  async 'runs.start'(config: Record<string, unknown>) {
    return this.runs.start(config)
  }
  async 'runs.plan'(config: Record<string, unknown>) {
    return this.runs.plan(config)
  }
  async 'runs.previewAugmentation'(datasetId: number, request: AugmentPreviewRequest) {
    const { previewAugmentation } = await import('./augment-preview')
    return previewAugmentation(this.db, datasetId, request)
  }
  async 'runs.list'(datasetId?: number) {
    return this.runs.list(datasetId)
  }
  async 'runs.get'(runId: number) {
    return this.runs.get(runId)
  }
  async 'runs.epochs'(runId: number) {
    return this.runs.epochs(runId)
  }
  async 'runs.cancel'(runId: number) {
    return this.runs.cancel(runId)
  }
  async 'runs.resume'(runId: number) {
    return this.runs.resume(runId)
  }
  async 'runs.trainAlone'(runId: number) {
    return this.runs.trainAlone(runId)
  }
  async 'runs.wait'(runId: number) {
    return this.runs.wait(runId)
  }
  async 'runs.remove'(runId: number) {
    await this.runs.remove(runId)
    this.suggestions.cancelRun(runId)
  }

  async imageFile(url: string): Promise<ImageFile | null> {
    const match = /^cohort-image:\/\/image\/(\d{1,12})\/(thumb|full)\/?$/.exec(url)
    if (!match) return null
    const image = getImage(this.db, Number(match[1]))
    if (!image) return null
    return match[2] === 'thumb' ? thumbnailFile(this.paths.thumbnails, image) : fullImageFile(image)
  }
}
