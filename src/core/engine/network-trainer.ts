/**
 * One network with its optimiser, and the collaborative training step shared by the in-process group and
 * the one-network workers: forward, hand the logits out, get the teacher logits back *inside the same
 * gradient tape* (no second forward pass), then the group loss CE + λ·T²·KL (losses.ts) and one update.
 */
import * as tf from '@tensorflow/tfjs'
import { FusedAdam } from './adam'
import { foldedPredict, releaseFolded } from './folded-inference'
import { groupLoss } from './losses'
import type { NetworkConfig, NetworkWeights, OptimizerConfig, OptimizerState, StepLosses } from './protocol'
import { createNetwork, type NetworkSpec } from './zoo'

export class TrainingInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TrainingInputError'
  }
}

function createOptimizer(config: OptimizerConfig): tf.Optimizer {
  if (!(config.lr > 0)) throw new TrainingInputError(`learning rate must be positive, got ${config.lr}`)
  if (config.kind === 'sgd') {
    const momentum = config.momentum ?? 0
    return momentum > 0
      ? tf.train.momentum(config.lr, momentum, config.nesterov ?? false)
      : tf.train.sgd(config.lr)
  }
  return new FusedAdam(config.lr, config.beta1 ?? 0.9, config.beta2 ?? 0.999, config.epsilon ?? 1e-7)
}

/** By default only convolution and dense kernels are decayed; biases and BatchNorm parameters are not. */
const DECAYED = /(kernel|depthwise_kernel)(_\d+)?$/

export class NetworkTrainer {
  readonly model: tf.LayersModel
  readonly spec: NetworkSpec
  private readonly optimizer: tf.Optimizer
  private readonly weightDecay: number
  private readonly decayAll: boolean
  private readonly variables: tf.Variable[]

  constructor(config: NetworkConfig) {
    this.spec = config.spec
    this.model = createNetwork(config.spec)
    this.optimizer = createOptimizer(config.optimizer)
    this.weightDecay = config.optimizer.weightDecay ?? 0
    this.decayAll = config.optimizer.decayAll ?? false
    this.variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable)
  }

  get trainableVariables(): tf.Variable[] {
    return this.variables
  }

  /** Images as a 4-D tensor, checking the size against the network. */
  images(x: Float32Array): tf.Tensor4D {
    const { inputSize, channels } = this.spec
    const per = inputSize * inputSize * channels
    if (x.length === 0 || x.length % per !== 0) {
      throw new TrainingInputError(
        `expected images of ${inputSize}×${inputSize}×${channels} (${per} floats each), got ${x.length} floats`,
      )
    }
    return tf.tensor4d(x, [x.length / per, inputSize, inputSize, channels])
  }

  applyGradients(grads: tf.NamedTensorMap): void {
    if (this.weightDecay > 0) {
      for (const v of this.variables) {
        const g = grads[v.name]
        if (g && (this.decayAll || DECAYED.test(v.name)))
          grads[v.name] = tf.add(g, tf.mul(v, this.weightDecay))
      }
    }
    this.optimizer.applyGradients(grads)
  }

  setLearningRate(lr: number): void {
    if (!(lr > 0)) throw new TrainingInputError(`learning rate must be positive, got ${lr}`)
    const optimizer = this.optimizer as unknown as {
      learningRate: number
      setLearningRate?: (lr: number) => void
    }
    // SGD and momentum keep a negated-rate scalar (setLearningRate updates it); Adam reads the field.
    if (optimizer.setLearningRate) optimizer.setLearningRate(lr)
    else optimizer.learningRate = lr
  }

  /**
   * Logits in inference mode (BatchNorm uses its moving statistics, folded into the convolutions),
   * batched to bound memory.
   */
  predict(x: Float32Array, batchSize = 256): Float32Array {
    let logits: Float32Array = new Float32Array(0)
    tf.tidy(() => {
      const out = foldedPredict(this.model, this.images(x), batchSize)
      logits = out.dataSync() as Float32Array
    })
    return logits
  }

  getWeights(): NetworkWeights {
    const weights = this.model.weights
    return {
      names: weights.map((w) => w.originalName),
      shapes: weights.map((w) => w.shape.map((d) => d ?? 0)),
      values: this.model.getWeights().map((t) => t.dataSync() as Float32Array),
    }
  }

  setWeights(weights: NetworkWeights): void {
    const own = this.model.weights
    if (weights.values.length !== own.length) {
      throw new TrainingInputError(
        `these weights are for a network with ${weights.values.length} tensors; ${this.spec.arch} has ${own.length}`,
      )
    }
    const tensors = own.map((w, i) => {
      const shape = w.shape.map((d) => d ?? 0)
      const values = weights.values[i]!
      if (values.length !== shape.reduce((p, q) => p * q, 1)) {
        throw new TrainingInputError(
          `weight ${w.originalName} should have shape [${shape}], got ${values.length} values`,
        )
      }
      return tf.tensor(values, shape)
    })
    this.model.setWeights(tensors)
    tf.dispose(tensors)
  }

  /** The optimiser's iteration count and slot variables (momentum, Adam moments) as plain arrays. */
  async getOptimizerState(): Promise<OptimizerState> {
    const named = await this.optimizer.getWeights()
    const state: OptimizerState = { names: [], shapes: [], dtypes: [], values: [] }
    for (const { name, tensor } of named) {
      state.names.push(name)
      state.shapes.push(tensor.shape.slice())
      state.dtypes.push(tensor.dtype === 'int32' ? 'int32' : 'float32')
      state.values.push(Float32Array.from(tensor.dataSync()))
    }
    // the iteration count is a fresh scalar; the rest are the optimiser's own variables and stay alive
    named[0]?.tensor.dispose()
    return state
  }

  /** Restores what getOptimizerState gave, for a network of the same architecture and optimiser. */
  async setOptimizerState(state: OptimizerState): Promise<void> {
    const n = state.names.length
    if (n === 0 || state.shapes.length !== n || state.dtypes.length !== n || state.values.length !== n) {
      throw new TrainingInputError(
        'the optimiser state is incomplete (names, shapes and values differ in count)',
      )
    }
    const slots = state.shapes.slice(1).map((s) => s.reduce((p, q) => p * q, 1))
    const own = this.variables.map((v) => v.size)
    // Adam keeps two slots per variable, momentum one, plain SGD none; each slot has its variable's size
    const perVariable = own.length === 0 ? 0 : slots.length / own.length
    const fits =
      slots.length === 0 ||
      (Number.isInteger(perVariable) && slots.every((size, i) => size === own[i % own.length]))
    if (!fits) {
      throw new TrainingInputError(
        `this optimiser state (${slots.length} slots) does not belong to ${this.spec.arch} (${own.length} trainable tensors)`,
      )
    }
    const old = (await this.optimizer.getWeights()).map((w) => w.tensor)
    const tensors = state.values.map((values, i) => tf.tensor(values, state.shapes[i], state.dtypes[i]))
    await this.optimizer.setWeights(state.names.map((name, i) => ({ name, tensor: tensors[i]! })))
    // the optimiser copied what it needs into new variables; free ours and its previous slots
    tf.dispose([...tensors, ...old])
  }

  dispose(): void {
    this.optimizer.dispose()
    releaseFolded(this.model)
    this.model.dispose()
  }
}

/**
 * One collaborative step for the given networks (all of a group in-process, or the one of a worker).
 * `teacherFor` receives every network's logits as soon as they exist — still inside the tape — and returns
 * the teacher logits; it may block (a worker waits for the coordinator there). `masks[i]`, when given, weights
 * each image of network i's loss (1 learn, 0 skip): its bagging-style data subset.
 */
export function stepNetworks(
  trainers: NetworkTrainer[],
  views: Float32Array[],
  labels: Int32Array,
  teacherFor: (logits: Float32Array[]) => Float32Array,
  lambda: number,
  temperature: number,
  masks: readonly (Float32Array | null | undefined)[] = [],
): { losses: StepLosses[]; logits: Float32Array[] } {
  if (views.length !== trainers.length) {
    throw new TrainingInputError(`expected one view per network (${trainers.length}), got ${views.length}`)
  }
  if (!(temperature > 0)) throw new TrainingInputError(`temperature must be positive, got ${temperature}`)
  if (!(lambda >= 0)) throw new TrainingInputError(`λ must be zero or positive, got ${lambda}`)
  let losses: StepLosses[] = []
  let logitsData: Float32Array[] = []
  // The tidy returns nothing: walking big typed arrays in its result would be slow.
  tf.tidy(() => {
    const inputs = trainers.map((t, i) => t.images(views[i]!))
    const batch = inputs[0]!.shape[0]
    if (inputs.some((x) => x.shape[0] !== batch) || labels.length !== batch) {
      throw new TrainingInputError(`every view and the labels must hold the same ${batch} images`)
    }
    const classes = trainers[0]!.spec.classes
    if (labels.some((y) => !Number.isInteger(y) || y < 0 || y >= classes)) {
      throw new TrainingInputError(`labels must be class indices from 0 to ${classes - 1}`)
    }
    const y = tf.tensor1d(labels, 'int32')
    const maskTensors = trainers.map((_, i) => {
      const m = masks[i]
      if (!m) return undefined
      if (m.length !== batch) throw new TrainingInputError(`a mask needs one weight per image (${batch})`)
      return tf.tensor1d(m)
    })
    const variables = trainers.flatMap((t) => t.trainableVariables)
    // One tape over the sum of the networks' losses: the teacher is a constant, so each network's
    // gradient is exactly the gradient of its own loss.
    const { grads } = tf.variableGrads(() => {
      const logits = trainers.map((t, i) => t.model.apply(inputs[i]!, { training: true }) as tf.Tensor2D)
      logitsData = logits.map((z) => z.dataSync() as Float32Array)
      const teacherLogits = teacherFor(logitsData)
      if (teacherLogits.length !== batch * classes) {
        throw new TrainingInputError(
          `the teacher must give ${batch}×${classes} logits, got ${teacherLogits.length}`,
        )
      }
      const teacher = tf.tensor2d(teacherLogits, [batch, classes])
      const loss = groupLoss(logits, y, teacher, temperature, lambda, maskTensors)
      // Read now: variableGrads disposes everything but the total.
      losses = loss.perNetwork.map((l) => ({
        ce: l.crossEntropy.dataSync()[0]!,
        kd: l.distillation!.dataSync()[0]!,
      }))
      return loss.total
    }, variables)
    for (const t of trainers) {
      const own: tf.NamedTensorMap = {}
      for (const v of t.trainableVariables) own[v.name] = grads[v.name]!
      t.applyGradients(own)
    }
  })
  return { losses, logits: logitsData }
}
