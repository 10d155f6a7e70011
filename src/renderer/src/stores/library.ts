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

  async function refresh(): Promise<void> {
    try {
      datasets.value = await call('datasets.list')
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  async function importFolder(folder: string, dataset: string): Promise<void> {
    importing.value = true
    importError.value = null
    progress.value = null
    const stop = on('import.progress', (p) => (progress.value = p))
    try {
      lastReport.value = await call('imports.folder', { folder, dataset })
    } catch (err) {
      lastReport.value = null
      importError.value = (err as Error).message
    } finally {
      stop()
      importing.value = false
      await refresh()
    }
  }

  async function cancelImport(): Promise<void> {
    await call('imports.cancel')
  }

  return {
    datasets,
    error,
    importError,
    progress,
    lastReport,
    importing,
    refresh,
    importFolder,
    cancelImport,
  }
})
