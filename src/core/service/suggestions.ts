/**
 * The 'suggestions.*' channels: a run's suggested labels for the unlabelled pictures of its dataset, in a
 * "label next" order, and accepting them. Answers come from a `SuggestionSource` — a background trainer
 * process in the app (src/core/service/suggest-jobs.ts), the service's own process in the CLI's one-shot
 * commands — and are cached in SQLite in one transaction per job; a completed run answers for its dataset in
 * the background and replaces the older runs' answers.
 */
import type { AcceptAgreeingRequest, AcceptReport, SuggestionList, SuggestionQuery } from '../../shared/types'
import { DEFAULT_LABEL_ORDER } from '../../shared/types'
import type { ModelBundle } from '../engine/model-metadata'
import { acceptSuggestions } from '../suggestions/accept'
import { suggestLabels } from '../suggestions/compute'
import { orderPictures } from '../suggestions/ordering'
import type { Db } from '../store/db'
import { requireDataset } from '../store/datasets'
import { StoreError } from '../store/errors'
import { getRun, requireRun } from '../store/runs'
import {
  dropOtherRunsSuggestions,
  latestCompletedRun,
  picturesWithoutSuggestion,
  readSuggestions,
  saveSuggestions,
  type StoredSuggestion,
  type SuggestionRow,
} from '../store/suggestions'
import type { ServiceEvents } from './events'
import { SuggestionsCancelled } from './suggest-jobs'

/** Runs `work` with the final model of a completed run, loaded and disposed around it. */
export type RunModelLoader = <T>(runId: number, work: (bundle: ModelBundle) => Promise<T>) => Promise<T>

/** Computes a run's answers for the pictures of its dataset that it has none for (not saved yet). */
export type SuggestionSource = (
  job: { runId: number; datasetId: number },
  options: { signal: AbortSignal; onProgress: (progress: { done: number; total: number }) => void },
) => Promise<SuggestionRow[]>

/** Answers in this process, batch by batch (the CLI's one-shot commands and the labelling experiment). */
export function inProcessSource(db: Db, withRunModel: RunModelLoader): SuggestionSource {
  return async ({ runId, datasetId }, options) => {
    const missing = picturesWithoutSuggestion(db, runId, datasetId)
    if (missing.length === 0) return []
    return withRunModel(runId, (bundle) => suggestLabels(bundle, missing, options))
  }
}

interface SuggestJob {
  datasetId: number
  work: Promise<void>
  stop: AbortController
}

export class SuggestionDesk {
  /** runs answering right now: a second caller waits for the same work instead of repeating it */
  private readonly jobs = new Map<number, SuggestJob>()
  private closed = false

  constructor(
    private readonly db: Db,
    private readonly events: ServiceEvents,
    private readonly source: SuggestionSource,
  ) {}

  async list(datasetId: number, query: SuggestionQuery = {}): Promise<SuggestionList> {
    const order = query.order ?? DEFAULT_LABEL_ORDER
    const runId = this.runFor(datasetId, query.runId)
    if (runId === null) return { runId: null, order, suggestions: [] }
    await this.answer(runId, datasetId)
    const stored = readSuggestions(this.db, runId, datasetId)
    const ranked = this.rank(runId, stored, order, query.seed ?? runId)
    return {
      runId,
      order,
      suggestions: ranked.slice(0, query.limit ?? ranked.length).map((s) => ({
        imageId: s.imageId,
        path: s.path,
        label: s.label,
        confidence: s.confidence,
        agree: s.agree,
      })),
    }
  }

  async accept(datasetId: number, imageIds: readonly number[]): Promise<AcceptReport> {
    const runId = this.requireRunFor(datasetId)
    await this.answer(runId, datasetId)
    const stored = readSuggestions(this.db, runId, datasetId, { ids: [...imageIds] })
    return acceptSuggestions(this.db, datasetId, stored, new Set(imageIds).size)
  }

  async acceptAgreeing(datasetId: number, request: AcceptAgreeingRequest): Promise<AcceptReport> {
    const runId = this.requireRunFor(datasetId, request.runId)
    await this.answer(runId, datasetId)
    const agreeing = readSuggestions(this.db, runId, datasetId, request.filter).filter(
      (s) => s.agree && s.confidence >= request.minConfidence,
    )
    return acceptSuggestions(this.db, datasetId, agreeing)
  }

  /**
   * After a run completes: if it is its dataset's latest, the older runs' jobs stop, it answers for every
   * unlabelled picture and its answers replace the older runs'. Never throws (it runs unawaited); a failure
   * is told as 'suggestions.failed' and the answers are computed again on the next 'suggestions.list'.
   */
  async refreshAfterRun(runId: number): Promise<void> {
    const run = getRun(this.db, runId)
    if (!run || latestCompletedRun(this.db, run.datasetId) !== runId) return
    const datasetId = run.datasetId
    this.cancel(
      (job, id) => job.datasetId === datasetId && id !== runId,
      `Run ${runId} is newer; its suggestions replace these.`,
    )
    try {
      await this.answer(runId, datasetId)
      dropOtherRunsSuggestions(this.db, datasetId, runId)
      this.events.emit('suggestions.ready', { datasetId, runId })
    } catch (err) {
      if (err instanceof SuggestionsCancelled || !this.db.open) return
      const message = err instanceof Error ? err.message : String(err)
      console.error(`cohort: suggestions of run ${runId}: ${message}`)
      this.events.emit('suggestions.failed', { datasetId, runId, message })
    }
  }

  /** Runs that are answering right now (for diagnostics and tests). */
  activeRunIds(): number[] {
    return [...this.jobs.keys()]
  }

  /** The dataset is being deleted: its jobs stop. */
  cancelDataset(datasetId: number): void {
    this.cancel((job) => job.datasetId === datasetId, 'The dataset was deleted.')
  }

  /** The run is being deleted: its job stops. */
  cancelRun(runId: number): void {
    this.cancel((_, id) => id === runId, `Run ${runId} was deleted.`)
  }

  /** The service is closing: every job stops (a background one is ended). */
  close(): void {
    this.closed = true
    this.cancel(() => true, 'Cohort is closing.')
  }

  /** The run whose suggestions to use: the one asked for (checked) or the dataset's latest completed one. */
  private runFor(datasetId: number, runId?: number): number | null {
    requireDataset(this.db, datasetId)
    if (runId === undefined) return latestCompletedRun(this.db, datasetId)
    const run = requireRun(this.db, runId)
    if (run.datasetId !== datasetId) {
      throw new StoreError(
        `Run ${runId} trained another dataset; its suggestions are for that one.`,
        'invalid',
      )
    }
    if (run.status !== 'completed') {
      throw new StoreError(
        `Run ${runId} has no trained model yet (it is ${run.status}); suggestions come from a completed run.`,
        'invalid',
      )
    }
    return runId
  }

  private requireRunFor(datasetId: number, runId?: number): number {
    const found = this.runFor(datasetId, runId)
    if (found === null) {
      throw new StoreError(
        `Dataset "${requireDataset(this.db, datasetId).name}" has no completed run yet; train one to get suggestions.`,
        'invalid',
      )
    }
    return found
  }

  /** Makes sure the run has answered for every unlabelled picture of the dataset. */
  private answer(runId: number, datasetId: number): Promise<void> {
    if (this.closed) return Promise.reject(new SuggestionsCancelled('Cohort is closing.'))
    const running = this.jobs.get(runId)
    if (running) return running.work
    const stop = new AbortController()
    const onProgress = (p: { done: number; total: number }) =>
      this.events.emit('suggestions.progress', { datasetId, runId, ...p })
    const work: Promise<void> = this.source({ runId, datasetId }, { signal: stop.signal, onProgress })
      .then(
        (rows) => {
          if (stop.signal.aborted) throw stop.signal.reason as Error
          if (rows.length > 0) saveSuggestions(this.db, runId, rows)
        },
        (err: unknown) => {
          // a cancelled in-process job says "Recognition was cancelled": the reason is the person's
          throw stop.signal.aborted ? (stop.signal.reason as Error) : err
        },
      )
      .finally(() => {
        if (this.jobs.get(runId)?.work === work) this.jobs.delete(runId)
      })
    this.jobs.set(runId, { datasetId, work, stop })
    return work
  }

  private cancel(which: (job: SuggestJob, runId: number) => boolean, reason: string): void {
    for (const [runId, job] of this.jobs) {
      if (!which(job, runId)) continue
      this.jobs.delete(runId)
      job.stop.abort(new SuggestionsCancelled(`Suggestions of run ${runId} stopped: ${reason}`))
    }
  }

  private rank(runId: number, stored: StoredSuggestion[], order: SuggestionQuery['order'], seed: number) {
    if (stored.length === 0) return stored
    const classes = requireRun(this.db, runId).classNames.length
    const networks = stored[0]!.probabilities.length / classes
    const probabilities = Array.from({ length: networks }, (_, i) => {
      const rows = new Float32Array(stored.length * classes)
      stored.forEach((s, k) =>
        rows.set(s.probabilities.subarray(i * classes, (i + 1) * classes), k * classes),
      )
      return rows
    })
    const indices = orderPictures(order ?? DEFAULT_LABEL_ORDER, { probabilities, classes, seed })
    return indices.map((k) => stored[k]!)
  }
}
