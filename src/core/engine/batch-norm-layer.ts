/**
 * tfjs-layers' BatchNormalization with a fused training step where Cohort's BatchNorm kernels are
 * registered (wasm): same class name, weights and config, so saved models are plain TF.js Layers models
 * that load anywhere; inference and every other backend use the stock code unchanged.
 */
import * as tf from '@tensorflow/tfjs'
import type { LayerVariable } from '@tensorflow/tfjs-layers'
import type { BatchNormalization as StockBatchNormalization } from '@tensorflow/tfjs-layers/dist/layers/normalization'
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types'
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, type BatchNormAttrs } from './kernels/batch-norm'

/** tfjs-layers keeps these private; the fused path reads them exactly as the stock `call` does. */
interface BatchNormState {
  axis: number
  momentum: number
  epsilon: number
  center: boolean
  scale: boolean
  gamma: LayerVariable
  beta: LayerVariable
  movingMean: LayerVariable
  movingVariance: LayerVariable
}

// Taken from the registry (before ours replaces it below) rather than a deep import of tfjs-layers' ES module.
const [Stock] = tf.serialization.SerializationMap.getMap().classNameMap['BatchNormalization'] as unknown as [
  typeof StockBatchNormalization,
]

/**
 * y = γ·(x − μ)/σ + β with the batch's μ, σ², differentiable in x, γ and β through the fused kernels.
 * The statistics are kept out of any tidy: the caller disposes them.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const attrs: BatchNormAttrs = { epsilon }
  let mean: tf.Tensor1D | undefined
  let variance: tf.Tensor1D | undefined
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc]
    const outputs = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { ...attrs }) as tf.Tensor[]
    const y = outputs[0]!
    // the engine tidies a custom op's forward: the statistics the caller gets back must be kept
    mean = tf.keep(outputs[1] as tf.Tensor1D)
    variance = tf.keep(outputs[2] as tf.Tensor1D)
    save([x, gamma, mean, variance])
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [xs, g, m, v] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]
        return tf
          .engine()
          .runKernel(
            BATCH_NORM_TRAIN_GRAD,
            { dy, x: xs, gamma: g, mean: m, variance: v },
            { ...attrs },
          ) as tf.Tensor[]
      },
    }
  })
  const y = normalize(x, gamma, beta)
  return { y, mean: mean!, variance: variance! }
}

export class BatchNormalization extends Stock {
  static override className = 'BatchNormalization'

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs
    const s = this as unknown as BatchNormState
    const channelsLast = s.axis === -1 || s.axis === x.rank - 1
    const fused =
      kwargs['training'] === true &&
      channelsLast &&
      s.center &&
      s.scale &&
      x.dtype === 'float32' &&
      tf.getKernel(BATCH_NORM_TRAIN, tf.getBackend()) !== undefined
    if (!fused) return super.call(inputs, kwargs)
    return tf.tidy(() => {
      const { y, mean, variance } = batchNormTraining(x, s.gamma.read(), s.beta.read(), s.epsilon)
      // the stock layer's moving averages: moving ← moving − (moving − batch)·(1 − momentum)
      for (const [moving, batch] of [
        [s.movingMean, mean],
        [s.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const current = moving.read()
          moving.write(tf.sub(current, tf.mul(tf.sub(current, batch), 1 - s.momentum)))
        })
      }
      tf.dispose([mean, variance])
      return y
    })
  }
}

// Models built or loaded after this point get the fused layer; the JSON they save is unchanged.
tf.serialization.registerClass(BatchNormalization)
