/**
 * Suggest jobs in the background: a run's answers for its dataset's unlabelled pictures computed in a
 * trainer process (src/trainer/suggest-job.ts), so the app's own process never runs the networks. The child
 * only reads the library; every part it sends is checked here, kept in memory, and the caller writes the
 * whole answer in one transaction — a child that dies or lies leaves the cache as it was.
 */
import { z } from 'zod'
import type { LibraryPaths } from '../paths'
import type { Db } from '../store/db'
import { requireRun } from '../store/runs'
import { datasetImageIds, picturesWithoutSuggestion, type SuggestionRow } from '../store/suggestions'
import type { TrainerMessage, WireSuggestion } from '../../shared/trainer-protocol'
import { forkTrainer, lastLine, type TrainerChild, type TrainerLauncher } from './runs'
import type { SuggestionSource } from './suggestions'

/** Suggestions could not be computed; the message is the person's, never a stack trace. */
export class SuggestionsError extends Error {
  override name = 'SuggestionsError'
}

/** A job stopped on purpose (a newer run, a deletion, the app closing): nothing to tell as a failure. */
export class SuggestionsCancelled extends SuggestionsError {}

/** How long a cancelled child may take to leave before it is killed (it writes nothing, so briefly). */
const CANCEL_GRACE_MS = 2000

/**
 * How long a child may say nothing before it is taken for hung and killed. It reports after every batch of
 * pictures; starting the engine and reading the models is the longest quiet stretch (seconds, a minute on a
 * loaded machine).
 */
export const SILENCE_LIMIT_MS = 3 * 60_000

const probability = z.number().min(0).max(1)
const wireRow = z.strictObject({
  imageId: z.number().int().positive(),
  label: z.string().nullable(),
  confidence: probability,
  agree: z.boolean(),
  probabilities: z.array(probability).nullable(),
  error: z.string().nullable(),
})

/** What the answers must fit: the run's class names and the pictures of its dataset. */
export interface ExpectedAnswers {
  classNames: readonly string[]
  imageIds: ReadonlySet<number>
}

/**
 * Checks one part of a child's answers against what was asked. `seen` carries the pictures and the network
 * count of the parts before, so a picture answered twice or a part with another group size is refused.
 */
export function checkSuggestionRows(
  rows: unknown,
  expected: ExpectedAnswers,
  seen: { ids: Set<number>; width: number | null },
): SuggestionRow[] {
  const parsed = z.array(wireRow).safeParse(rows)
  if (!parsed.success) throw new SuggestionsError('its answers are not in the expected form')
  return parsed.data.map((row: WireSuggestion): SuggestionRow => {
    if (!expected.imageIds.has(row.imageId)) {
      throw new SuggestionsError(`it answered for picture ${row.imageId}, which is not in the run's dataset`)
    }
    if (seen.ids.has(row.imageId)) throw new SuggestionsError(`it answered twice for picture ${row.imageId}`)
    seen.ids.add(row.imageId)
    if (row.label === null) {
      if (row.error === null || row.probabilities !== null) {
        throw new SuggestionsError(`its answer for picture ${row.imageId} has neither a label nor a reason`)
      }
      return { ...row, probabilities: null }
    }
    if (!expected.classNames.includes(row.label)) {
      throw new SuggestionsError(`it suggested "${row.label}", which is not one of the run's labels`)
    }
    const width = row.probabilities?.length ?? 0
    const classes = expected.classNames.length
    if (width === 0 || width % classes !== 0 || (seen.width !== null && seen.width !== width)) {
      throw new SuggestionsError(
        `its answer for picture ${row.imageId} has the wrong number of probabilities`,
      )
    }
    seen.width = width
    return { ...row, error: null, probabilities: Float32Array.from(row.probabilities!) }
  })
}

export interface SuggestJobOptions {
  /** aborting stops the child; the job rejects with the signal's reason */
  signal: AbortSignal
  onProgress?: (progress: { done: number; total: number }) => void
  /** a child silent this long is killed (default SILENCE_LIMIT_MS) */
  silenceLimitMs?: number
}

const seconds = (ms: number) => (ms / 1000).toLocaleString('en', { maximumFractionDigits: 1 })

/** Runs one suggest job in a child process and resolves with its checked answers. */
export function suggestInChild(
  paths: LibraryPaths,
  runId: number,
  expected: ExpectedAnswers,
  options: SuggestJobOptions,
  launch: TrainerLauncher = forkTrainer,
): Promise<SuggestionRow[]> {
  const { signal } = options
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise((resolve, reject) => {
    const child: TrainerChild = launch()
    const rows: SuggestionRow[] = []
    const seen = { ids: new Set<number>(), width: null as number | null }
    let settled = false
    const silenceLimit = options.silenceLimitMs ?? SILENCE_LIMIT_MS
    let silence: NodeJS.Timeout | undefined
    const listen = () => {
      clearTimeout(silence)
      silence = setTimeout(() => {
        child.kill()
        settle(
          new SuggestionsError(
            `Suggesting labels stopped: the background process said nothing for ${seconds(silenceLimit)} s and was ended; the earlier suggestions are kept.`,
          ),
        )
      }, silenceLimit)
      silence.unref()
    }
    const settle = (outcome: Error | SuggestionRow[]) => {
      if (settled) return
      settled = true
      clearTimeout(silence)
      signal.removeEventListener('abort', onAbort)
      if (outcome instanceof Error) reject(outcome)
      else resolve(outcome)
    }
    const refuse = (why: string) => {
      child.kill()
      settle(new SuggestionsError(`Suggesting labels stopped: the background process misbehaved (${why}).`))
    }
    const onAbort = () => {
      child.send({ type: 'cancel' })
      setTimeout(() => child.kill(), CANCEL_GRACE_MS).unref()
      settle(signal.reason as Error)
    }
    signal.addEventListener('abort', onAbort)

    child.onMessage((message: TrainerMessage) => {
      if (settled) return
      listen()
      if (message.runId !== runId) return refuse(`it answered for run ${message.runId}`)
      switch (message.type) {
        case 'suggest.progress': {
          const { done, total } = message
          if (!Number.isInteger(done) || !Number.isInteger(total) || done < 0 || done > total) {
            return refuse('its progress is not a count of pictures')
          }
          options.onProgress?.({ done, total })
          return
        }
        case 'suggest.rows':
          try {
            rows.push(...checkSuggestionRows(message.rows, expected, seen))
          } catch (err) {
            refuse((err as Error).message)
          }
          return
        case 'suggest.done':
          if (typeof message.message === 'string') {
            return settle(new SuggestionsError(`Suggesting labels failed: ${message.message}`))
          }
          if (message.count !== rows.length) {
            return refuse(`it announced ${message.count} answers and sent ${rows.length}`)
          }
          return settle(rows)
        default:
          return refuse(`it sent a '${message.type}' message, which belongs to training`)
      }
    })
    child.onExit((code, exitSignal) => {
      const detail = lastLine(child.stderrTail())
      const how = exitSignal ? `it was ended by ${exitSignal}` : `exit code ${code}`
      settle(
        new SuggestionsError(
          `Suggesting labels stopped unexpectedly (${how}${detail ? `: ${detail}` : ''}); the earlier suggestions are kept.`,
        ),
      )
    })
    child.send({ type: 'suggest', runId, library: { home: paths.home, dbFile: paths.db } })
    listen()
  })
}

/** Answers in a background trainer process (the app and web mode): the service's process never runs them. */
export function backgroundSource(db: Db, paths: LibraryPaths, launch?: TrainerLauncher): SuggestionSource {
  return async ({ runId, datasetId }, options) => {
    // no process for nothing: most lists find every picture answered
    if (picturesWithoutSuggestion(db, runId, datasetId).length === 0) return []
    const expected = {
      classNames: requireRun(db, runId).classNames,
      imageIds: datasetImageIds(db, datasetId),
    }
    return suggestInChild(paths, runId, expected, options, launch)
  }
}
