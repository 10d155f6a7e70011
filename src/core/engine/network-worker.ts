/**
 * The worker side of a NetworkGroup: one network trained in its own thread (under Node the wasm backend
 * computes on one core, so a group uses every core only with one network per thread).
 * Mid-step the worker posts its logits and blocks on a shared int32 until the coordinator has written the
 * teacher logits, so the loss is finished in the same gradient tape.
 */
import type { MessagePort } from 'node:worker_threads'
import { initBackend } from './backend'
import { closeNativeKernels } from './native/setup'
import { NetworkTrainer, stepNetworks } from './network-trainer'
import {
  SIGNAL_OUTCOME,
  SIGNAL_STEP,
  TEACHER_ABORTED,
  type WorkerReply,
  type WorkerRequest,
} from './protocol'

/** How long a worker waits for teacher logits before giving up (the coordinator died or hung). */
const TEACHER_TIMEOUT_MS = 10 * 60 * 1000

export class StepAbortedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'StepAbortedError'
  }
}

export function serveNetwork(port: MessagePort): void {
  let trainer: NetworkTrainer | undefined
  let signal: Int32Array | undefined
  const reply = (message: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)

  const need = (): NetworkTrainer => {
    if (!trainer) throw new Error('the network worker got a request before it was created')
    return trainer
  }

  const waitForTeacher = (id: number, logits: Float32Array, teacher: Float32Array): Float32Array => {
    const word = signal!
    reply({ type: 'logits', id, logits: logits.slice() })
    const deadline = Date.now() + TEACHER_TIMEOUT_MS
    for (let seen = Atomics.load(word, SIGNAL_STEP); seen !== id; seen = Atomics.load(word, SIGNAL_STEP)) {
      if (Date.now() > deadline) throw new StepAbortedError('no teacher logits arrived from the coordinator')
      Atomics.wait(word, SIGNAL_STEP, seen, 1000)
    }
    if (Atomics.load(word, SIGNAL_OUTCOME) === TEACHER_ABORTED)
      throw new StepAbortedError('the coordinator aborted this step')
    return teacher.slice()
  }

  const handle = async (message: WorkerRequest): Promise<void> => {
    switch (message.type) {
      case 'init': {
        const info = await initBackend(message.backend, { concurrentNetworks: message.concurrentNetworks })
        signal = new Int32Array(message.signal)
        trainer = new NetworkTrainer(message.config)
        reply({ type: 'ready', id: message.id, backend: info.name, kernels: info.kernels })
        return
      }
      case 'step': {
        const t = need()
        const teacher = new Float32Array(message.teacher)
        const { losses } = stepNetworks(
          [t],
          [message.x],
          message.labels,
          ([logits]) => waitForTeacher(message.id, logits!, teacher.subarray(0, logits!.length)),
          message.lambda,
          message.temperature,
          [message.mask],
        )
        reply({ type: 'stepped', id: message.id, losses: losses[0]! })
        return
      }
      case 'predict': {
        const logits = need().predict(message.x)
        reply({ type: 'predicted', id: message.id, logits }, [logits.buffer as ArrayBuffer])
        return
      }
      case 'getWeights': {
        const weights = need().getWeights()
        reply({ type: 'weights', id: message.id, weights })
        return
      }
      case 'setWeights':
        need().setWeights(message.weights)
        reply({ type: 'done', id: message.id })
        return
      case 'setLearningRate':
        need().setLearningRate(message.lr)
        reply({ type: 'done', id: message.id })
        return
      case 'getOptimizerState': {
        const state = await need().getOptimizerState()
        reply({ type: 'optimizerState', id: message.id, state })
        return
      }
      case 'setOptimizerState':
        await need().setOptimizerState(message.state)
        reply({ type: 'done', id: message.id })
        return
      case 'dispose':
        trainer?.dispose()
        trainer = undefined
        // The native kernels' pool threads end with the network, not when the process happens to exit.
        await closeNativeKernels()
        reply({ type: 'done', id: message.id })
        port.close()
        return
    }
  }

  // One request at a time, in order: a step must not interleave with anything else on this network.
  let queue = Promise.resolve()
  port.on('message', (message: WorkerRequest) => {
    queue = queue.then(() =>
      handle(message).catch((error: unknown) => {
        reply({
          type: 'failed',
          id: message.id,
          message: error instanceof Error ? error.message : String(error),
        })
      }),
    )
  })
}
