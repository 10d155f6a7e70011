import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { call } from '../api'
import {
  MAX_QUERY_IDS,
  type RunSummary,
  type SplitEvaluation,
  type SplitImageResult,
} from '../../../shared/types'
import { newestGroupRun } from '../../../shared/run-choice'
import { useNoticesStore } from './notices'

/** What the latest run answered for one image it got wrong, in the user's words. */
export interface Mistake {
  imageId: number
  predicted: string
  confidence: number
}

/**
 * The images the dataset's latest completed run gets wrong on validation (and test, when there is one),
 * most confident first: those are the likeliest label mistakes. Evaluated once when asked for; labels
 * fixed afterwards do not change the list until it is evaluated again (the run itself is not retrained).
 */
export const useMistakesStore = defineStore('mistakes', () => {
  const notices = useNoticesStore()
  const run = ref<RunSummary | null>(null)
  const list = shallowRef<readonly Mistake[]>([])
  const evaluated = ref(false)
  const loading = ref(false)
  let datasetOf: number | null = null

  const ids = computed(() => list.value.map((m) => m.imageId))
  const byImage = computed(() => new Map(list.value.map((m) => [m.imageId, m])))

  /** Finds the dataset's newest completed run (cheap: no evaluation yet). */
  async function findRun(datasetId: number): Promise<void> {
    try {
      const runs = await call('runs.list', datasetId)
      const newest = newestGroupRun(runs)
      if (newest?.id !== run.value?.id || datasetOf !== datasetId) {
        list.value = []
        evaluated.value = false
      }
      datasetOf = datasetId
      run.value = newest
    } catch (err) {
      notices.fail(err)
    }
  }

  /** Evaluates the run on validation and test and keeps its wrong answers; false if it could not. */
  async function evaluate(): Promise<boolean> {
    const r = run.value
    if (!r) return false
    loading.value = true
    try {
      const reports = [await call('runs.evaluateSplit', r.id, 'validation')]
      const test = await call('runs.evaluateSplit', r.id, 'test').catch(() => null) // no test split: fine
      if (test) reports.push(test)
      if (run.value?.id !== r.id) return false
      // one image query names at most MAX_QUERY_IDS images: beyond that, the least confident are left out
      list.value = reports
        .flatMap(wrongAnswers)
        .sort((a, b) => b.confidence - a.confidence)
        .slice(0, MAX_QUERY_IDS)
      evaluated.value = true
      return true
    } catch (err) {
      notices.fail(err)
      return false
    } finally {
      loading.value = false
    }
  }

  return { run, list, ids, byImage, evaluated, loading, findRun, evaluate }
})

function wrongAnswers(report: SplitEvaluation): Mistake[] {
  return report.images
    .filter((i: SplitImageResult) => i.predicted !== i.label)
    .map((i) => ({
      imageId: i.imageId,
      predicted: report.classNames[i.predicted] ?? '?',
      confidence: i.confidence,
    }))
}
