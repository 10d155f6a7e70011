/**
 * The 'suggestions.*' channels: a run's suggested labels for the unlabelled pictures of its dataset, in a
 * "label next" order, and accepting them. Answers are computed the way 'recognise.files' works (in the
 * service process, batch by batch, so the event loop keeps serving between batches) and cached in SQLite;
 * a completed run answers for its dataset in the background and replaces the older runs' answers.
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
} from '../store/suggestions'
import type { ServiceEvents } from './events'

/** Runs `work` with the final model of a completed run, loaded and disposed around it. */
export type RunModelLoader = <T>(runId: number, work: (bundle: ModelBundle) => Promise<T>) => Promise<T>

export class SuggestionDesk {
  /** runs answering right now: a second caller waits for the same work instead of repeating it */
  private readonly inFlight = new Map<number, Promise<void>>()
  private readonly stop = new AbortController()

  constructor(
    private readonly db: Db,
    private readonly events: ServiceEvents,
    private readonly withRunModel: RunModelLoader,
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
   * After a run completes: if it is its dataset's latest, it answers for every unlabelled picture and its
   * answers replace the older runs'. Never throws (it runs unawaited); a failure leaves the answers to be
   * computed on the next 'suggestions.list'.
   */
  async refreshAfterRun(runId: number): Promise<void> {
    try {
      const run = getRun(this.db, runId)
      if (!run || latestCompletedRun(this.db, run.datasetId) !== runId) return
      await this.answer(runId, run.datasetId)
      if (this.stop.signal.aborted) return
      dropOtherRunsSuggestions(this.db, run.datasetId, runId)
      this.events.emit('suggestions.ready', { datasetId: run.datasetId, runId })
    } catch (err) {
      if (!this.stop.signal.aborted)
        console.error(`cohort: suggestions of run ${runId}: ${(err as Error).message}`)
    }
  }

  /** The service is closing: stop answering at the next batch. */
  close(): void {
    this.stop.abort()
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
    const running = this.inFlight.get(runId)
    if (running) return running
    const work = this.compute(runId, datasetId).finally(() => this.inFlight.delete(runId))
    this.inFlight.set(runId, work)
    return work
  }

  private async compute(runId: number, datasetId: number): Promise<void> {
    const missing = picturesWithoutSuggestion(this.db, runId, datasetId)
    if (missing.length === 0) return
    const rows = await this.withRunModel(runId, (bundle) =>
      suggestLabels(bundle, missing, { signal: this.stop.signal }),
    )
    if (this.db.open) saveSuggestions(this.db, runId, rows)
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
