import { defineStore } from 'pinia'
import { ref } from 'vue'
import { call } from '../api'
import { SPLITS, type Split } from '../../../shared/types'
import { useDatasetStore } from './dataset'
import { useNoticesStore } from './notices'

/** Images per label (by name, '' for unlabelled) and split. */
export type SplitTable = Record<string, Record<Split, number>>

/** The open dataset's train/validation/test split: the counts table, the settings and re-splitting. */
export const useSplitsStore = defineStore('splits', () => {
  const dataset = useDatasetStore()
  const notices = useNoticesStore()
  const table = ref<SplitTable>({})
  const warnings = ref<string[]>([])
  const validation = ref(0.15)
  const test = ref(0.15)
  const seed = ref(1)
  const running = ref(false)

  /** Counts every label × split with `images.count` (a few dozen cheap indexed queries). */
  async function load(): Promise<void> {
    const datasetId = dataset.datasetId
    if (datasetId === null) return
    try {
      const rows: [string, number | null][] = [
        ...dataset.labels.map((l): [string, number] => [l.name, l.id]),
        ['', null],
      ]
      const next: SplitTable = {}
      await Promise.all(
        rows.map(async ([name, labelId]) => {
          const counts = await Promise.all(
            SPLITS.map((split) => call('images.count', { datasetId, labelId, split })),
          )
          next[name] = Object.fromEntries(SPLITS.map((s, i) => [s, counts[i]!])) as Record<Split, number>
        }),
      )
      table.value = next
    } catch (err) {
      notices.fail(err)
    }
  }

  async function resplit(): Promise<void> {
    const datasetId = dataset.datasetId
    if (datasetId === null) return
    running.value = true
    try {
      const ok = await notices.attempt(async () => {
        const report = await call('splits.apply', {
          datasetId,
          validation: validation.value,
          test: test.value,
          seed: seed.value,
        })
        warnings.value = report.warnings
      })
      if (ok) notices.say('Re-split the dataset')
      await dataset.reload()
      await load()
    } finally {
      running.value = false
    }
  }

  return { table, warnings, validation, test, seed, running, load, resplit }
})
