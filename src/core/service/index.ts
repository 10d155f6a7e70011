/**
 * The Cohort service: the one implementation of the API every shell binds (Electron IPC,
 * HTTP in web mode, the CLI). Plain Node; owns the library database for its lifetime.
 */
import type { CohortApi, ImportFilesArgs, ImportFolderArgs, SystemInfo } from '../../shared/api'
import type { ImageQuery, ImportReport, Split, SplitRequest } from '../../shared/types'
import { libraryPaths, type LibraryPaths } from '../paths'
import { openDatabase, type Db } from '../store/db'
import { createDataset, datasetSummary, deleteDataset, listDatasets, renameDataset } from '../store/datasets'
import { createLabel, deleteLabel, listLabels, mergeLabels, renameLabel } from '../store/labels'
import { countImages, getImage, listImages } from '../store/image-queries'
import { labelImages, redo, setSplitOverride, undo } from '../dataset/labelling'
import { splitDataset } from '../dataset/split'
import { applyCsv, exportCsv } from '../dataset/csv'
import { exportDatasetToFolder } from '../dataset/export-folder'
import { importFiles, importFolder, refreshMissing, type ImportContext } from '../dataset/import'
import { fullImageFile, thumbnailFile, type ImageFile } from './image-files'
import { ServiceEvents } from './events'

export interface ServiceOptions {
  /** library folder (thumbnails, runs); the database lives here unless dbFile is given */
  home: string
  dbFile?: string | undefined
  /** path of a better-sqlite3 addon built for this runtime (Electron) */
  sqliteBinding?: string | undefined
  /** the app's version, reported by system.info */
  version?: string
}

export type { ImageFile }

export interface CohortService extends CohortApi {
  readonly events: ServiceEvents
  readonly paths: LibraryPaths
  /** Resolves a `cohort-image://image/<id>/<thumb|full>` URL to bytes; null for anything the store does not know. */
  imageFile(url: string): Promise<ImageFile | null>
  close(): void
}

export async function createCohortService(options: ServiceOptions): Promise<CohortService> {
  const paths = libraryPaths(options.home, options.dbFile)
  const db = openDatabase(paths.db, undefined, options.sqliteBinding)
  return new Service(db, paths, options.version ?? 'dev')
}

class Service implements CohortService {
  readonly events = new ServiceEvents()
  private currentImport: AbortController | null = null

  constructor(
    private readonly db: Db,
    readonly paths: LibraryPaths,
    private readonly version: string,
  ) {}

  close(): void {
    this.currentImport?.abort()
    if (this.db.open) this.db.close()
  }

  async 'system.info'(): Promise<SystemInfo> {
    return { version: this.version, home: this.paths.home, libraryFile: this.paths.db }
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
  async 'datasets.remove'(datasetId: number) {
    deleteDataset(this.db, datasetId)
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

  async imageFile(url: string): Promise<ImageFile | null> {
    const match = /^cohort-image:\/\/image\/(\d{1,12})\/(thumb|full)\/?$/.exec(url)
    if (!match) return null
    const image = getImage(this.db, Number(match[1]))
    if (!image) return null
    return match[2] === 'thumb' ? thumbnailFile(this.paths.thumbnails, image) : fullImageFile(image)
  }
}
