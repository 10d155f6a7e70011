/**
 * The trainer process: started by the run supervisor (src/core/service/runs.ts) with `child_process.fork`,
 * or by Electron's `utilityProcess` from the bundled entry. It trains one run and exits, so training never
 * competes with the app's own thread and a crash here never takes the app down.
 */
import { libraryPaths } from '../core/paths'
import { openDatabase } from '../core/store/db'
import { runTrainingJob } from './run-job'
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

/** Serves one run over the transport; resolves once the run has ended and the app was told. */
export function serveTrainer(transport: TrainerTransport): Promise<void> {
  let stop: false | 'cancelled' | 'interrupted' = false
  let started = false
  let lastProgress = 0
  return new Promise((resolve) => {
    transport.onDisconnect(() => {
      stop ||= 'interrupted'
      // nobody will ever ask for a run now
      if (!started) resolve()
    })
    transport.onMessage((message) => {
      if (message.type === 'cancel') {
        stop ||= 'cancelled'
        return
      }
      if (started) return
      started = true
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
            onProgress: (p) => {
              // a few updates a second are enough for a progress bar
              const now = Date.now()
              if (now - lastProgress < 250 && p.step !== p.steps) return
              lastProgress = now
              send({ type: 'progress', runId, ...p })
            },
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

// Ctrl-C in a terminal reaches the whole process group: the app decides (it asks to cancel), not the signal.
process.on('SIGINT', () => undefined)
await serveTrainer(processTransport())
process.exit(0)
