/**
 * Messages between the app (the run supervisor in src/core/service/runs.ts) and the trainer process
 * (src/trainer/main.ts). Plain JSON data, a discriminated union on `type`, so either side can check what it
 * received with one switch and both the Node child-process channel and Electron's utilityProcess carry it.
 */
import type { BackendName, EpochMetrics, RunStatus } from './types'

/** From the app to the trainer. */
export type ParentMessage =
  /** train run `runId` (from its checkpoint if it has one) in the library at `home` */
  | { type: 'start'; runId: number; library: { home: string; dbFile: string } }
  /** stop before the next step; the run stays resumable from its last checkpoint */
  | { type: 'cancel' }

/** From the trainer to the app. Every epoch is committed to SQLite before its message is sent. */
export type TrainerMessage =
  | { type: 'started'; runId: number; backend: BackendName }
  /** epoch 0: images being decoded (step of steps images); from 1: training steps of that epoch */
  | { type: 'progress'; runId: number; epoch: number; step: number; steps: number }
  | { type: 'epoch'; runId: number; metrics: EpochMetrics }
  | { type: 'finished'; runId: number; status: RunStatus; message?: string }

const TRAINER_TYPES = new Set(['started', 'progress', 'epoch', 'finished'])
const PARENT_TYPES = new Set(['start', 'cancel'])

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
