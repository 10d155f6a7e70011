import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { call, on } from '../api'
import {
  DEFAULT_LABEL_ORDER,
  MAX_QUERY_IDS,
  type LabelOrder,
  type Suggestion,
  type SuggestionFilter,
} from '../../../shared/types'
import type { ImageFilter } from '../logic/filter'
import { count } from '../logic/words'
import { useDatasetStore } from './dataset'
import { useNoticesStore } from './notices'

/** Why each "label next" ordering, in one line (the default says why it is the default). */
export const ORDER_REASONS: Record<LabelOrder, string> = {
  random:
    'The default: until the labelling experiment measures an ordering that needs fewer labels, random is as good as any.',
  informative: 'Where the networks disagree most first: each of those labels teaches the group the most.',
  typical: 'The most typical pictures first: suits the first rounds, when there are very few labels.',
}

/**
 * The Dataset view's suggested labels: what the dataset's latest completed run answers for each unlabelled
 * picture, in the chosen "label next" order. Never labels until accepted (Enter, or accept all agreeing).
 */
export const useSuggestionsStore = defineStore('suggestions', () => {
  const dataset = useDatasetStore()
  const notices = useNoticesStore()
  const runId = ref<number | null>(null)
  const order = ref<LabelOrder>(DEFAULT_LABEL_ORDER)
  const list = shallowRef<readonly Suggestion[]>([])
  const loading = ref(false)
  /** while the service computes a run's suggestions for the open dataset: how far it is */
  const progress = ref<{ runId: number; done: number; total: number } | null>(null)
  let loads = 0

  const byImage = computed(() => new Map(list.value.map((s) => [s.imageId, s])))

  /**
   * Reads the open dataset's suggestions in the chosen order (the service answers missing ones first). With
   * `refilter`, a grid listing the label-next order shows the new list (a new order or a new run).
   */
  async function load(refilter = false): Promise<void> {
    const id = dataset.datasetId
    if (id === null) return
    const mine = ++loads
    loading.value = true
    try {
      const answer = await call('suggestions.list', id, { order: order.value })
      if (mine !== loads || id !== dataset.datasetId) return
      progress.value = null
      runId.value = answer.runId
      list.value = answer.suggestions
      if (refilter && dataset.filter.kind === 'labelNext') await dataset.setFilter(labelNextFilter())
    } catch (err) {
      notices.fail(err)
    } finally {
      if (mine === loads) loading.value = false
    }
  }

  function labelNextFilter(): ImageFilter {
    return {
      kind: 'labelNext',
      order: order.value,
      ids: list.value.slice(0, MAX_QUERY_IDS).map((s) => s.imageId),
    }
  }

  async function setOrder(next: LabelOrder): Promise<void> {
    order.value = next
    await load(true)
  }

  /** The part of the grid's filter "accept all agreeing" works on; null where no picture has a suggestion. */
  function acceptScope(filter: ImageFilter): SuggestionFilter | null {
    switch (filter.kind) {
      case 'all':
      case 'unlabelled':
      case 'labelNext':
        return {}
      case 'split':
        return { split: filter.split }
      default:
        return null // labelled pictures, missing files and mistakes have no suggestion to accept
    }
  }

  /** Accepts every suggestion of the grid's filter on which all networks agree at `minConfidence` or more. */
  async function acceptAgreeing(minConfidence: number): Promise<void> {
    const id = dataset.datasetId
    const filter = acceptScope(dataset.filter)
    if (id === null || filter === null) return
    await notices.attempt(async () => {
      const report = await call('suggestions.acceptAgreeing', id, { minConfidence, filter })
      notices.say(
        report.accepted === 0
          ? 'No agreeing suggestion reaches that confidence here'
          : `Accepted ${count(report.accepted, 'suggested label')} · Ctrl+Z undoes`,
      )
    })
    await dataset.reload()
  }

  /** Follows the service: a run that completes answers for the dataset in the background, saying how far. */
  function listen(): () => void {
    const stops = [
      on('suggestions.progress', (e) => {
        if (e.datasetId !== dataset.datasetId) return
        progress.value = e.done < e.total ? { runId: e.runId, done: e.done, total: e.total } : null
      }),
      on('suggestions.ready', (e) => {
        if (e.datasetId !== dataset.datasetId) return
        progress.value = null
        void load(true)
      }),
      on('suggestions.failed', (e) => {
        if (e.datasetId !== dataset.datasetId) return
        progress.value = null
        notices.fail(e.message)
      }),
    ]
    return () => stops.forEach((stop) => stop())
  }

  function clear(): void {
    loads++
    runId.value = null
    list.value = []
    progress.value = null
  }

  return {
    runId,
    order,
    list,
    loading,
    progress,
    byImage,
    load,
    setOrder,
    labelNextFilter,
    acceptScope,
    acceptAgreeing,
    listen,
    clear,
  }
})
