/**
 * BatchNorm in training mode as two fused passes each way, over channels-last data seen as [rows, C]:
 * - forward: one read pass for the batch statistics, one write pass for y = x·a + b;
 * - backward: one read pass for Σdy and Σdy·x per channel, one write pass for dx = k1·dy + k2·x + k3.
 * tfjs composes the same from moments + batchNorm and their autodiff: ~20 full passes over the activation
 * per layer and step, each as slow as these JS loops (the activation is a few MB; memory-bound either way).
 * Variance is the biased batch variance, as tfjs-layers' BatchNormalization uses.
 */
import type * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { type Info, KernelError } from './wasm-ops'

export const BATCH_NORM_TRAIN = 'CohortBatchNormTrain'
export const BATCH_NORM_TRAIN_GRAD = 'CohortBatchNormTrainGrad'

export interface BatchNormAttrs {
  epsilon: number
}

/** Views are taken after every output is allocated: an allocation may grow the heap and detach older views. */
function view(b: BackendWasm, info: Info): Float32Array {
  return b.typedArrayFromHeap(info) as Float32Array
}

function channelsOf(x: Info, kernel: string): number {
  const channels = x.shape[x.shape.length - 1]
  if (x.dtype !== 'float32' || channels === undefined || channels === 0) {
    throw new KernelError(
      `${kernel} needs float32 data with channels last, got ${x.dtype} ${JSON.stringify(x.shape)}`,
    )
  }
  return channels
}

/** inputs x, gamma, beta → [y, mean, variance] */
export const batchNormTrain: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as BackendWasm
  const { x, gamma, beta } = inputs as { x: Info; gamma: Info; beta: Info }
  const { epsilon } = attrs as unknown as BatchNormAttrs
  const C = channelsOf(x, BATCH_NORM_TRAIN)
  const y = b.makeOutput(x.shape, 'float32')
  const meanOut = b.makeOutput([C], 'float32')
  const varianceOut = b.makeOutput([C], 'float32')
  const xs = view(b, x)
  const rows = xs.length / C
  // Sums of x − (first row), in doubles: shifting by a sample keeps E[d²] − E[d]² from cancelling.
  const shift = Float64Array.from(xs.subarray(0, C))
  const s1 = new Float64Array(C)
  const s2 = new Float64Array(C)
  for (let r = 0, k = 0; r < rows; r++) {
    for (let c = 0; c < C; c++, k++) {
      const d = xs[k]! - shift[c]!
      s1[c] = s1[c]! + d
      s2[c] = s2[c]! + d * d
    }
  }
  const g = view(b, gamma)
  const be = view(b, beta)
  const mean = view(b, meanOut)
  const variance = view(b, varianceOut)
  const scale = new Float32Array(C)
  const offset = new Float32Array(C)
  for (let c = 0; c < C; c++) {
    const m = s1[c]! / rows
    const v = Math.max(0, s2[c]! / rows - m * m)
    mean[c] = shift[c]! + m
    variance[c] = v
    scale[c] = g[c]! / Math.sqrt(v + epsilon)
    offset[c] = be[c]! - mean[c]! * scale[c]!
  }
  const ys = view(b, y)
  for (let r = 0, k = 0; r < rows; r++) {
    for (let c = 0; c < C; c++, k++) ys[k] = xs[k]! * scale[c]! + offset[c]!
  }
  return [y, meanOut, varianceOut]
}

/**
 * inputs dy, x, gamma, mean, variance (the forward's batch statistics) → [dx, dgamma, dbeta], with the
 * statistics' own dependence on x included: dx = γ·σ⁻¹·(dy − mean(dy) − x̂·mean(dy·x̂)).
 */
export const batchNormTrainGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as BackendWasm
  const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', Info>
  const { epsilon } = attrs as unknown as BatchNormAttrs
  const C = channelsOf(x, BATCH_NORM_TRAIN_GRAD)
  const dx = b.makeOutput(x.shape, 'float32')
  const dgammaOut = b.makeOutput([C], 'float32')
  const dbetaOut = b.makeOutput([C], 'float32')
  const xs = view(b, x)
  const dys = view(b, dy)
  const rows = xs.length / C
  const sumDy = new Float64Array(C)
  const sumDyX = new Float64Array(C)
  for (let r = 0, k = 0; r < rows; r++) {
    for (let c = 0; c < C; c++, k++) {
      const d = dys[k]!
      sumDy[c] = sumDy[c]! + d
      sumDyX[c] = sumDyX[c]! + d * xs[k]!
    }
  }
  const g = view(b, gamma)
  const mu = view(b, mean)
  const va = view(b, variance)
  const dgamma = view(b, dgammaOut)
  const dbeta = view(b, dbetaOut)
  const k1 = new Float32Array(C)
  const k2 = new Float32Array(C)
  const k3 = new Float32Array(C)
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(va[c]! + epsilon)
    const sumDyXhat = inv * (sumDyX[c]! - mu[c]! * sumDy[c]!)
    dgamma[c] = sumDyXhat
    dbeta[c] = sumDy[c]!
    // dx = a·dy − a·mean(dy) − a·inv·(x − μ)·mean(dy·x̂), expanded into per-channel k1·dy + k2·x + k3
    const a = g[c]! * inv
    const slope = (a * inv * sumDyXhat) / rows
    k1[c] = a
    k2[c] = -slope
    k3[c] = slope * mu[c]! - (a * sumDy[c]!) / rows
  }
  const dxs = view(b, dx)
  for (let r = 0, k = 0; r < rows; r++) {
    for (let c = 0; c < C; c++, k++) dxs[k] = k1[c]! * dys[k]! + k2[c]! * xs[k]! + k3[c]!
  }
  return [dx, dgammaOut, dbetaOut]
}
