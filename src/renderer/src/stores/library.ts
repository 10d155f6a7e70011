import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call, on } from '../api'
import type { DatasetSummary, ImportProgress, ImportReport } from '../../../shared/types'

/** The library: datasets with their counts, and the import in progress. */
export const useLibraryStore = defineStore('library', () => {
  const datasets = ref<DatasetSummary[]>([])
  const error = ref<string | null>(null)
  const importError = ref<string | null>(null)
  const progress = ref<ImportProgress | null>(null)
  const lastReport = ref<ImportReport | null>(null)
  const importing = ref(false)
  /** the dataset an import just landed in: its page offers the next step until dismissed */
  const landed = ref<number | null>(null)

  async function refresh(): Promise<void> {
    try {
      datasets.value = await call('datasets.list')
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  /** Runs one import with progress; its report or its error is kept for the view. */
  async function runImport(start: () => Promise<ImportReport>): Promise<void> {
    importing.value = true
    importError.value = null
    progress.value = null
    const stop = on('import.progress', (p) => (progress.value = p))
    try {
      lastReport.value = await start()
    } catch (err) {
      lastReport.value = null
      importError.value = (err as Error).message
    } finally {
      stop()
      importing.value = false
      await refresh()
    }
  }

  function importFolder(folder: string, dataset: string): Promise<void> {
    return runImport(() => call('imports.folder', { folder, dataset }))
  }

  function importFiles(files: string[], dataset: string): Promise<void> {
    return runImport(() => call('imports.files', { files, dataset }))
  }

  /** The bundled Fashion-MNIST sample, offered when the library is empty. */
  function importSample(): Promise<void> {
    return runImport(() => call('datasets.importSample'))
  }

  async function cancelImport(): Promise<void> {
    await call('imports.cancel')
  }

  /** Renames a dataset; false when the service refused (the reason is shown). */
  async function rename(datasetId: number, name: string): Promise<boolean> {
    try {
      await call('datasets.rename', datasetId, name)
      error.value = null
      return true
    } catch (err) {
      error.value = (err as Error).message
      return false
    } finally {
      await refresh()
    }
  }

  /** How many runs a dataset has, for the confirmation of its deletion. */
  function runCount(datasetId: number): Promise<number> {
    return call('runs.list', datasetId).then((runs) => runs.length)
  }

  /** Deletes a dataset with its labels, splits and runs (its picture files stay). */
  async function remove(datasetId: number): Promise<boolean> {
    try {
      await call('datasets.remove', datasetId)
      error.value = null
      return true
    } catch (err) {
      error.value = (err as Error).message
      return false
    } finally {
      await refresh()
    }
  }

  /** Something the view could not start, said plainly (the same slot as an import's error). */
  function explain(message: string): void {
    importError.value = message
  }

  return {
    explain,
    landed,
    datasets,
    error,
    importError,
    progress,
    lastReport,
    importing,
    refresh,
    importFolder,
    importFiles,
    importSample,
    cancelImport,
    rename,
    runCount,
    remove,
  }
})
