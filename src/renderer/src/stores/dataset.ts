import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '../api'
import type { ImageRecord } from '../../../shared/types'

const PAGE = 200

/** The open dataset: its images page by page (the UI issue grows this into the labelling grid). */
export const useDatasetStore = defineStore('dataset', () => {
  const datasetId = ref<number | null>(null)
  const images = ref<ImageRecord[]>([])
  const total = ref(0)
  const error = ref<string | null>(null)

  async function open(id: number): Promise<void> {
    datasetId.value = id
    try {
      const [count, first] = await Promise.all([
        call('images.count', { datasetId: id }),
        call('images.list', { datasetId: id, offset: 0, limit: PAGE }),
      ])
      total.value = count
      images.value = first
      error.value = null
    } catch (err) {
      error.value = (err as Error).message
    }
  }

  function close(): void {
    datasetId.value = null
    images.value = []
    total.value = 0
  }

  return { datasetId, images, total, error, open, close }
})
