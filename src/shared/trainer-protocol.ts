/**
 * Messages between the app (the run supervisor in src/core/service/runs.ts, the suggest jobs in
 * src/core/service/suggest-jobs.ts) and the trainer process (src/trainer/main.ts), which does one job: trains a
 * run, or answers for a run's dataset's unlabelled pictures (suggested labels). Plain JSON data, a discriminated union on `type`, so either side can check what it
 * received with one switch and both the Node child-process channel and Electron's utilityProcess carry it.
 */
import type { BackendName, EpochMetrics, RunStatus } from './types'

/** From the app to the trainer. */
export type ParentMessage =
  /** train run `runId` (from its checkpoint if it has one) in the library at `home` */
  | { type: 'start'; runId: number; library: { home: string; dbFile: string } }
  /** answer with run `runId`'s final model for its dataset's unlabelled pictures it has no suggestion for */
  | { type: 'suggest'; runId: number; library: { home: string; dbFile: string } }
  /** stop before the next step (a run stays resumable from its last checkpoint; a suggest job sends nothing more) */
  | { type: 'cancel' }

/** From the trainer to the app. Every epoch is committed to SQLite before its message is sent. */
export type TrainerMessage =
  | { type: 'started'; runId: number; backend: BackendName }
  /** epoch 0: images being decoded (step of steps images); from 1: training steps of that epoch */
  | { type: 'progress'; runId: number; epoch: number; step: number; steps: number }
  | { type: 'epoch'; runId: number; metrics: EpochMetrics }
  | { type: 'finished'; runId: number; status: RunStatus; message?: string }
  /** a suggest job: `done` of `total` pictures answered */
  | { type: 'suggest.progress'; runId: number; done: number; total: number }
  /** a suggest job's answers, a part at a time; the app keeps them until 'suggest.done' and checks each */
  | { type: 'suggest.rows'; runId: number; rows: WireSuggestion[] }
  /** every part was sent (`count` rows in all), or `message` says why the job could not answer */
  | { type: 'suggest.done'; runId: number; count: number; message?: string }

/** One picture's answer as it crosses the process boundary (store's SuggestionRow with a plain array). */
export interface WireSuggestion {
  imageId: number
  /** null when the picture could not be read; `error` says why */
  label: string | null
  confidence: number
  agree: boolean
  /** networks × classes, row-major; null when unreadable */
  probabilities: number[] | null
  error: string | null
}

const TRAINER_TYPES = new Set([
  'started',
  'progress',
  'epoch',
  'finished',
  'suggest.progress',
  'suggest.rows',
  'suggest.done',
])
const PARENT_TYPES = new Set(['start', 'suggest', 'cancel'])

function typeOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined
}

export function isTrainerMessage(value: unknown): value is TrainerMessage {
  const type = typeOf(value)
  return typeof type === 'string' && TRAINER_TYPES.has(type)
}

export function isParentMessage(value: unknown): value is ParentMessage {
  const type = typeOf(value)
  return typeof type === 'string' && PARENT_TYPES.has(type)
}
