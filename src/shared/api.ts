/**
 * The one Cohort API. The service in `src/core/service` implements it; the Electron IPC
 * binding, the HTTP binding (web mode) and the CLI all call it. Every method is addressed
 * by a channel name `<namespace>.<method>` listed in API_CHANNELS, whose arguments are
 * validated by the schemas in `src/shared/api-schema.ts` before they reach the service.
 */
import type {
  AcceptAgreeingRequest,
  AugmentPreview,
  AugmentPreviewRequest,
  AcceptReport,
  AddedImage,
  CsvApplyResult,
  DatasetSummary,
  EpochMetrics,
  EvaluationReport,
  FolderExportReport,
  ImageQuery,
  ImageRecord,
  ImageUpload,
  ImportProgress,
  ImportReport,
  LabelSummary,
  ImportedModel,
  ModelCopyReport,
  RecognisedImageSource,
  RecognitionReport,
  RecogniseRequest,
  RefreshReport,
  RunPlan,
  RunStatus,
  RunSummary,
  Split,
  SplitReport,
  SplitEvaluation,
  SplitRequest,
  SuggestionList,
  SuggestionQuery,
  ZooCatalogue,
} from './types'
import type { TrainingSettingsInput } from './training-settings'

export interface SystemInfo {
  version: string
  home: string
  libraryFile: string
  /** the TensorFlow.js backend training and recognition use here, and Cohort's kernels registered on it */
  backend: { name: string; kernels: string[] } | { name: null; error: string }
}

export interface ImportFolderArgs {
  folder: string
  dataset: string
}

export interface ImportFilesArgs {
  files: string[]
  dataset: string
  label?: string | null
}

export interface HistoryResult {
  /** what was undone or redone, in words; null when there was nothing to do */
  description: string | null
}

export interface CohortApi {
  'system.info'(): Promise<SystemInfo>

  'datasets.list'(): Promise<DatasetSummary[]>
  'datasets.create'(name: string): Promise<DatasetSummary>
  'datasets.rename'(datasetId: number, name: string): Promise<DatasetSummary>
  'datasets.remove'(datasetId: number): Promise<void>
  /** Imports the bundled Fashion-MNIST sample (500 images, 10 labels) as "fashion-mnist-sample", split 80/20. */
  'datasets.importSample'(): Promise<ImportReport>
  /** `path,label,split` for every image */
  'datasets.exportCsv'(datasetId: number): Promise<string>
  /** Applies labels and splits from CSV text to images matched by path, as one undoable action. */
  'datasets.applyCsv'(datasetId: number, csv: string, baseDir?: string): Promise<CsvApplyResult>
  /** Copies the images into `<folder>/<label>/`, optionally one split only. */
  'datasets.exportFolder'(datasetId: number, folder: string, split?: Split): Promise<FolderExportReport>

  'labels.create'(datasetId: number, name: string): Promise<LabelSummary>
  'labels.rename'(labelId: number, name: string): Promise<void>
  'labels.merge'(fromLabelId: number, intoLabelId: number): Promise<void>
  'labels.remove'(labelId: number): Promise<void>
  /** Gives the label key 1–9 (null: none); a label holding that key takes this label's old one. */
  'labels.setKey'(labelId: number, key: number | null): Promise<void>
  /** Gives the label one of the palette's colours (src/shared/label-colours.ts); null: its default one. */
  'labels.setColour'(labelId: number, colour: string | null): Promise<void>

  'images.list'(query: ImageQuery): Promise<ImageRecord[]>
  'images.count'(query: ImageQuery): Promise<number>
  'images.label'(datasetId: number, imageIds: number[], labelId: number | null): Promise<void>
  'images.setSplit'(datasetId: number, imageIds: number[], split: Split): Promise<void>
  'images.undo'(datasetId: number): Promise<HistoryResult>
  'images.redo'(datasetId: number): Promise<HistoryResult>
  /**
   * Keeps a recognised picture in a dataset with the confirmed or corrected label: uploaded bytes are saved
   * in the library (`<home>/added/<sha256>.<ext>`), a path is imported where it is. Says when it was there.
   */
  'images.addRecognised'(datasetId: number, source: RecognisedImageSource, label: string): Promise<AddedImage>
  /** Marks images whose source file disappeared as missing (and returned ones as ok again). */
  'images.refresh'(datasetId: number): Promise<RefreshReport>

  'splits.apply'(request: SplitRequest): Promise<SplitReport>

  /** Starts an import; progress arrives as 'import.progress' events; resolves with the report. */
  'imports.folder'(args: ImportFolderArgs): Promise<ImportReport>
  'imports.files'(args: ImportFilesArgs): Promise<ImportReport>
  'imports.cancel'(): Promise<void>

  /**
   * Validates the training settings (only `dataset` is required), freezes the class names, creates the run
   * and starts its trainer process. Progress arrives as 'run.*' events.
   */
  'runs.start'(settings: TrainingSettingsInput): Promise<RunSummary>
  /**
   * What `runs.start` would do with these settings, without starting: every setting resolved, why Cohort
   * chose each one the person left out (from the dataset's pictures and size), and the predicted duration.
   */
  'runs.plan'(settings: TrainingSettingsInput): Promise<RunPlan>
  /**
   * A few of the dataset's labelled training pictures (chosen by the seed) as the networks get them and as
   * the augmentation changes them, `views` times each: what the Train view shows beside the setting.
   */
  'runs.previewAugmentation'(datasetId: number, request: AugmentPreviewRequest): Promise<AugmentPreview>
  'runs.list'(datasetId?: number): Promise<RunSummary[]>
  'runs.get'(runId: number): Promise<RunSummary>
  /** every recorded epoch's metrics, in order */
  'runs.epochs'(runId: number): Promise<EpochMetrics[]>
  /** Stops the run before its next step; it stays resumable from its last completed epoch. */
  'runs.cancel'(runId: number): Promise<void>
  /** Continues a cancelled, interrupted or failed run from its last checkpoint. */
  'runs.resume'(runId: number): Promise<RunSummary>
  /**
   * Trains a completed run's networks alone (teacher "none", the same settings and seed) as a new run, so
   * Results can show what training together added. Returns the alone run already asked for, if there is one.
   */
  'runs.trainAlone'(runId: number): Promise<RunSummary>
  /** Resolves with the run once its trainer has ended (at once if it is not training). */
  'runs.wait'(runId: number): Promise<RunSummary>
  /**
   * Deletes a run that is not training: its row, its epochs and its folder (checkpoints, model). A run
   * still training is refused; cancel it first.
   */
  'runs.remove'(runId: number): Promise<void>

  /**
   * Recognises image files (folders are expanded) with a model: a run id (its final model) or the folder of
   * a model bundle (exported or imported). Unreadable files get a per-file error, not a failure.
   */
  'recognise.files'(
    model: number | string,
    files: string[],
    options?: RecogniseRequest,
  ): Promise<RecognitionReport>
  /**
   * Recognises every picture under a folder on this computer, as `recognise.files` does; a folder that is
   * missing (or a file) is an error ("Folder not found: …"), not a report of one unreadable file.
   */
  'recognise.folder'(
    model: number | string,
    folder: string,
    options?: RecogniseRequest,
  ): Promise<RecognitionReport>
  /**
   * Recognises pictures sent as bytes (dropped, pasted or captured in a browser, where no path exists):
   * at most 200 per call, 20 MB each. Each result's `path` is the picture's name.
   */
  'recognise.images'(
    model: number | string,
    images: ImageUpload[],
    options?: RecogniseRequest,
  ): Promise<RecognitionReport>
  /** Accuracy of each network and the ensemble on a labelled folder (sub-folders are labels). */
  'runs.evaluate'(model: number | string, folder: string): Promise<EvaluationReport>
  /** A run's final model on its dataset's validation or test split, with every image's answer. */
  'runs.evaluateSplit'(runId: number, split: 'validation' | 'test'): Promise<SplitEvaluation>
  /** Every network of the zoo with its parameters and FLOPs at this input, and every teacher, for the picker. */
  'models.zoo'(imageSize: number, channels: 1 | 3, classes: number): Promise<ZooCatalogue>
  /** Copies a run's final model to a new or empty folder. */
  'models.export'(runId: number, outDir: string): Promise<ModelCopyReport>
  /** Validates a model folder and copies it into the library; use the returned `dir` to recognise with it. */
  'models.import'(dir: string): Promise<ModelCopyReport>
  /** The model folders imported into the library (models.import), each with its metadata. */
  'models.list'(): Promise<ImportedModel[]>

  /**
   * The trained group's suggested label for each unlabelled picture of the dataset, in the chosen "label
   * next" order (default: random). Pictures not answered yet are recognised first (a run's own are answered
   * in the background when it completes). No completed run: an empty list with runId null.
   */
  'suggestions.list'(datasetId: number, query?: SuggestionQuery): Promise<SuggestionList>
  /** Gives the still-unlabelled pictures among `imageIds` their suggested labels, as one undoable action. */
  'suggestions.accept'(datasetId: number, imageIds: number[]): Promise<AcceptReport>
  /**
   * Accepts every suggestion (optionally within a split or a set of pictures) on which all networks agree
   * with at least `minConfidence`, as one undoable action.
   */
  'suggestions.acceptAgreeing'(datasetId: number, request: AcceptAgreeingRequest): Promise<AcceptReport>
}

export type ApiChannel = keyof CohortApi
export type ApiArgs<C extends ApiChannel> = Parameters<CohortApi[C]>
export type ApiResult<C extends ApiChannel> = Awaited<ReturnType<CohortApi[C]>>

/**
 * The outcome of one API call as it crosses a process or network boundary (IPC, HTTP): the value, or the
 * error's name and human message — never a stack trace.
 */
export type Envelope<T = unknown> =
  { ok: true; value: T } | { ok: false; error: { name: string; message: string } }

/** Events pushed from the service to every shell. */
export interface ApiEvents {
  'import.progress': ImportProgress & { dataset: string }
  /** a few times a second while a run trains; epoch 0 while its images are decoded (steps = images) */
  'run.progress': { runId: number; epoch: number; step: number; steps: number }
  /** after each epoch is committed (checkpoint and metrics) */
  'run.epoch': { runId: number; metrics: EpochMetrics }
  'run.status': { runId: number; status: RunStatus; message: string | null; backend?: string }
  /** a completed run has answered for every unlabelled picture of its dataset (suggestions.list is fresh) */
  'suggestions.ready': { datasetId: number; runId: number }
  /** a few times a second while a run answers for its dataset's unlabelled pictures (`done` of `total`) */
  'suggestions.progress': { datasetId: number; runId: number; done: number; total: number }
  /** the background answers after a run could not be computed; the earlier suggestions are kept */
  'suggestions.failed': { datasetId: number; runId: number; message: string }
}
export type ApiEventName = keyof ApiEvents

export const API_CHANNELS = [
  'system.info',
  'datasets.list',
  'datasets.create',
  'datasets.rename',
  'datasets.remove',
  'datasets.importSample',
  'datasets.exportCsv',
  'datasets.applyCsv',
  'datasets.exportFolder',
  'labels.create',
  'labels.rename',
  'labels.merge',
  'labels.remove',
  'labels.setKey',
  'labels.setColour',
  'images.list',
  'images.count',
  'images.label',
  'images.setSplit',
  'images.undo',
  'images.redo',
  'images.refresh',
  'images.addRecognised',
  'splits.apply',
  'imports.folder',
  'imports.files',
  'imports.cancel',
  'runs.start',
  'runs.plan',
  'runs.previewAugmentation',
  'runs.list',
  'runs.get',
  'runs.epochs',
  'runs.cancel',
  'runs.resume',
  'runs.trainAlone',
  'runs.wait',
  'runs.remove',
  'recognise.files',
  'recognise.folder',
  'recognise.images',
  'runs.evaluate',
  'runs.evaluateSplit',
  'models.zoo',
  'models.export',
  'models.import',
  'models.list',
  'suggestions.list',
  'suggestions.accept',
  'suggestions.acceptAgreeing',
] as const satisfies readonly ApiChannel[]

export const API_EVENTS = [
  'import.progress',
  'run.progress',
  'run.epoch',
  'run.status',
  'suggestions.ready',
  'suggestions.progress',
  'suggestions.failed',
] as const satisfies readonly ApiEventName[]

/** The IPC prefix keeps Cohort's channels apart from Electron's own. */
export const IPC_PREFIX = 'cohort:'
