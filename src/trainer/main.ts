/**
 * The trainer process: started by the run supervisor (src/core/service/runs.ts) or the suggest jobs
 * (src/core/service/suggest-jobs.ts) with `child_process.fork`, or by Electron's `utilityProcess` from the
 * bundled entry. It does one job and exits — trains a run, or answers for a run's unlabelled pictures — so
 * the work never competes with the app's own thread and a crash here never takes the app down.
 */
import { libraryPaths } from '../core/paths'
import { openDatabase } from '../core/store/db'
import { runTrainingJob } from './run-job'
import { ROWS_PER_MESSAGE, runSuggestJob, toWire } from './suggest-job'
import { isParentMessage, type ParentMessage, type TrainerMessage } from '../shared/trainer-protocol'

/** The two things the trainer needs from its channel to the app, whichever runtime provides it. */
export interface TrainerTransport {
  send(message: TrainerMessage): Promise<void>
  onMessage(handler: (message: ParentMessage) => void): void
  /** the app went away (closed or crashed) */
  onDisconnect(handler: () => void): void
}

interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: unknown }) => void): void
}

/** Node's fork IPC channel, or Electron's `process.parentPort` in a utility process. */
export function processTransport(): TrainerTransport {
  const port = (process as unknown as { parentPort?: ParentPort }).parentPort
  if (port) {
    return {
      send: (message) => {
        port.postMessage(message)
        // postMessage has no delivery callback: give it a moment before the process may exit
        return new Promise((resolve) => setTimeout(resolve, 50))
      },
      onMessage: (handler) =>
        port.on('message', (event) => {
          if (isParentMessage(event.data)) handler(event.data)
        }),
      // a utility process dies with its parent
      onDisconnect: () => undefined,
    }
  }
  if (!process.send) throw new Error('the trainer must be started by Cohort (no channel to the app)')
  return {
    send: (message) =>
      new Promise((resolve) => {
        if (!process.connected) return resolve()
        process.send!(message, undefined, {}, () => resolve())
      }),
    onMessage: (handler) =>
      process.on('message', (message: unknown) => {
        if (isParentMessage(message)) handler(message)
      }),
    onDisconnect: (handler) => process.on('disconnect', handler),
  }
}

/** A few updates a second are enough for a progress bar. */
function throttle<T extends { done?: number; total?: number; step?: number; steps?: number }>(
  forward: (p: T) => void,
): (p: T) => void {
  let last = 0
  return (p) => {
    const now = Date.now()
    const final = p.step !== undefined ? p.step === p.steps : p.done === p.total
    if (now - last < 250 && !final) return
    last = now
    forward(p)
  }
}

/** Serves one job (a run, or a run's suggestions) over the transport; resolves once the app was told. */
export function serveTrainer(transport: TrainerTransport): Promise<void> {
  let stop: false | 'cancelled' | 'interrupted' = false
  const stopSuggesting = new AbortController()
  let started = false
  return new Promise((resolve) => {
    transport.onDisconnect(() => {
      stop ||= 'interrupted'
      stopSuggesting.abort()
      // nobody will ever ask for a job now
      if (!started) resolve()
    })
    transport.onMessage((message) => {
      if (message.type === 'cancel') {
        stop ||= 'cancelled'
        stopSuggesting.abort()
        return
      }
      if (started) return
      started = true
      if (message.type === 'suggest') {
        void serveSuggestions(transport, message.runId, message.library, stopSuggesting.signal).then(resolve)
        return
      }
      const { runId, library } = message
      const send = (m: TrainerMessage) => void transport.send(m)
      void (async () => {
        let db
        try {
          db = openDatabase(library.dbFile)
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error)
          await transport.send({ type: 'finished', runId, status: 'failed', message: text })
          return resolve()
        }
        const result = await runTrainingJob(
          { db, paths: libraryPaths(library.home, library.dbFile) },
          runId,
          {
            shouldStop: () => stop,
            onStarted: (backend) => send({ type: 'started', runId, backend }),
            onProgress: throttle((p) => send({ type: 'progress', runId, ...p })),
            onEpoch: (metrics) => send({ type: 'epoch', runId, metrics }),
          },
        )
        db.close()
        await transport.send({
          type: 'finished',
          runId,
          status: result.status,
          ...(result.message === null ? {} : { message: result.message }),
        })
        resolve()
      })()
    })
  })
}

/**
 * A suggest job: progress while it answers, then its rows a part at a time and 'suggest.done' — or only
 * 'suggest.done' with a message when it could not answer. Cancelled, it sends nothing more.
 */
async function serveSuggestions(
  transport: TrainerTransport,
  runId: number,
  library: { home: string; dbFile: string },
  signal: AbortSignal,
): Promise<void> {
  let db
  try {
    db = openDatabase(library.dbFile)
    const rows = await runSuggestJob({ db, paths: libraryPaths(library.home, library.dbFile) }, runId, {
      signal,
      onProgress: throttle((p) => void transport.send({ type: 'suggest.progress', runId, ...p })),
    })
    for (let at = 0; at < rows.length && !signal.aborted; at += ROWS_PER_MESSAGE) {
      await transport.send({
        type: 'suggest.rows',
        runId,
        rows: rows.slice(at, at + ROWS_PER_MESSAGE).map(toWire),
      })
    }
    if (!signal.aborted) await transport.send({ type: 'suggest.done', runId, count: rows.length })
  } catch (error) {
    if (signal.aborted) return
    const text = error instanceof Error ? error.message : String(error)
    await transport.send({ type: 'suggest.done', runId, count: 0, message: text })
  } finally {
    db?.close()
  }
}

// Ctrl-C in a terminal reaches the whole process group: the app decides (it asks to cancel), not the signal.
process.on('SIGINT', () => undefined)
await serveTrainer(processTransport())
process.exit(0)
