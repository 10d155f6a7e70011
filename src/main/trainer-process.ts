import { utilityProcess } from 'electron'
import { join } from 'node:path'
import { isTrainerMessage } from '../shared/trainer-protocol'
import type { TrainerChild, TrainerLauncher } from '../core/service/runs'

/**
 * Starts each run's trainer as an Electron utility process (a Node process Electron manages), from
 * the bundled entry next to the main bundle. The main process only relays messages, so it stays
 * responsive however hard the trainer works, and a trainer crash never takes the app down.
 */
export const launchUtilityTrainer: TrainerLauncher = (): TrainerChild => {
  const child = utilityProcess.fork(join(__dirname, 'trainer.js'), [], {
    serviceName: 'Cohort trainer',
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let tail = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (text: string) => {
    tail = (tail + text).slice(-4000)
  })
  return {
    get pid() {
      return child.pid
    },
    send: (message) => child.postMessage(message),
    onMessage: (handler) =>
      child.on('message', (message: unknown) => {
        if (isTrainerMessage(message)) handler(message)
      }),
    onExit: (handler) => child.once('exit', (code) => handler(code, null)),
    kill: () => void child.kill(),
    stderrTail: () => tail,
  }
}
