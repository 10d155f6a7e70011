/**
 * The one Cohort API. The service in `src/core/service` implements it; the Electron IPC
 * binding, the HTTP binding (web mode) and the CLI all call it. Every method is addressed
 * by a channel name `<namespace>.<method>` listed in API_CHANNELS, whose arguments are
 * validated by the schemas in `src/shared/api-schema.ts` before they reach the service.
 */
import type {
  CsvApplyResult,
  DatasetSummary,
  FolderExportReport,
  ImageQuery,
  ImageRecord,
  ImportProgress,
  ImportReport,
  LabelSummary,
  RefreshReport,
  Split,
  SplitReport,
  SplitRequest,
} from './types'

export interface SystemInfo {
  version: string
  home: string
  libraryFile: string
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

  'images.list'(query: ImageQuery): Promise<ImageRecord[]>
  'images.count'(query: ImageQuery): Promise<number>
  'images.label'(datasetId: number, imageIds: number[], labelId: number | null): Promise<void>
  'images.setSplit'(datasetId: number, imageIds: number[], split: Split): Promise<void>
  'images.undo'(datasetId: number): Promise<HistoryResult>
  'images.redo'(datasetId: number): Promise<HistoryResult>
  /** Marks images whose source file disappeared as missing (and returned ones as ok again). */
  'images.refresh'(datasetId: number): Promise<RefreshReport>

  'splits.apply'(request: SplitRequest): Promise<SplitReport>

  /** Starts an import; progress arrives as 'import.progress' events; resolves with the report. */
  'imports.folder'(args: ImportFolderArgs): Promise<ImportReport>
  'imports.files'(args: ImportFilesArgs): Promise<ImportReport>
  'imports.cancel'(): Promise<void>
}

export type ApiChannel = keyof CohortApi
export type ApiArgs<C extends ApiChannel> = Parameters<CohortApi[C]>
export type ApiResult<C extends ApiChannel> = Awaited<ReturnType<CohortApi[C]>>

/** Events pushed from the service to every shell. */
export interface ApiEvents {
  'import.progress': ImportProgress & { dataset: string }
}
export type ApiEventName = keyof ApiEvents

export const API_CHANNELS = [
  'system.info',
  'datasets.list',
  'datasets.create',
  'datasets.rename',
  'datasets.remove',
  'datasets.exportCsv',
  'datasets.applyCsv',
  'datasets.exportFolder',
  'labels.create',
  'labels.rename',
  'labels.merge',
  'labels.remove',
  'images.list',
  'images.count',
  'images.label',
  'images.setSplit',
  'images.undo',
  'images.redo',
  'images.refresh',
  'splits.apply',
  'imports.folder',
  'imports.files',
  'imports.cancel',
] as const satisfies readonly ApiChannel[]

export const API_EVENTS = ['import.progress'] as const satisfies readonly ApiEventName[]

/** The IPC prefix keeps Cohort's channels apart from Electron's own. */
export const IPC_PREFIX = 'cohort:'
