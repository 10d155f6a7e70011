/**
 * Messages between a NetworkGroup (the coordinator) and its one-network workers. Plain data only:
 * every message survives structured cloning; big arrays are transferred, not copied.
 */
import type { BackendName } from './backend'
import type { NetworkSpec } from './zoo'

interface WeightDecay {
  weightDecay?: number
  /** decay biases and BatchNorm parameters too, as PyTorch's `weight_decay` does (default: kernels only) */
  decayAll?: boolean
}

export type OptimizerConfig =
  | ({ kind: 'sgd'; lr: number; momentum?: number; nesterov?: boolean } & WeightDecay)
  | ({ kind: 'adam'; lr: number; beta1?: number; beta2?: number; epsilon?: number } & WeightDecay)

export interface NetworkConfig {
  spec: NetworkSpec
  optimizer: OptimizerConfig
}

/** One network's two losses on one step: CE(z, y) and T²·KL(softmax(zt/T) ‖ softmax(z/T)), batch means. */
export interface StepLosses {
  ce: number
  kd: number
}

/** All weights of a network (trainable and BatchNorm statistics), in layer order. */
export interface NetworkWeights {
  names: string[]
  shapes: number[][]
  values: Float32Array[]
}

/**
 * An optimiser's own state (its iteration count, then momentum or Adam's moments), in the optimiser's order.
 * Checkpointed with the weights so that a resumed run continues exactly where it stopped.
 */
export interface OptimizerState {
  names: string[]
  shapes: number[][]
  dtypes: ('float32' | 'int32')[]
  values: Float32Array[]
}

/**
 * The shared signal a worker blocks on for its teacher logits: two int32s, [step id, outcome]. The
 * coordinator writes the outcome, then the step id; the worker waits until the id is its own step's. An
 * outcome written before the worker even began that step (an abort) is therefore never lost.
 */
export const SIGNAL_STEP = 0
export const SIGNAL_OUTCOME = 1
export const TEACHER_READY = 1
export const TEACHER_ABORTED = 2

export type WorkerRequest =
  | {
      type: 'init'
      id: number
      config: NetworkConfig
      backend?: BackendName
      signal: SharedArrayBuffer
      /** networks of the group training at once, each in its own worker: they share the cores */
      concurrentNetworks: number
    }
  | {
      type: 'step'
      id: number
      /** NHWC images, batch × size × size × channels */
      x: Float32Array
      labels: Int32Array
      lambda: number
      temperature: number
      /** batch × classes floats the coordinator writes the teacher logits into */
      teacher: SharedArrayBuffer
      /** per-image loss weights (the network's data subset); absent = learn from every image */
      mask?: Float32Array
    }
  | { type: 'predict'; id: number; x: Float32Array }
  | { type: 'getWeights'; id: number }
  | { type: 'setWeights'; id: number; weights: NetworkWeights }
  | { type: 'setLearningRate'; id: number; lr: number }
  | { type: 'getOptimizerState'; id: number }
  | { type: 'setOptimizerState'; id: number; state: OptimizerState }
  | { type: 'dispose'; id: number }

export type WorkerReply =
  | { type: 'ready'; id: number; backend: BackendName; kernels: string[] }
  /** sent mid-step, before the worker blocks until the teacher logits are written */
  | { type: 'logits'; id: number; logits: Float32Array }
  | { type: 'stepped'; id: number; losses: StepLosses }
  | { type: 'predicted'; id: number; logits: Float32Array }
  | { type: 'weights'; id: number; weights: NetworkWeights }
  | { type: 'optimizerState'; id: number; state: OptimizerState }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; message: string }
