/**
 * A network's input: uint8 pixels normalised per channel. Training (`training/augment.ts`, which adds its
 * random views) and recognition both start here, so a model sees the same numbers in both.
 */
import * as tf from '@tensorflow/tfjs'

/** Per-channel statistics in [0, 1] pixel units: x ↦ (x/255 − mean[c]) / std[c]. */
export interface Normalisation {
  mean: number[]
  std: number[]
}

/** A batch of images as stored by the dataset cache: uint8, [B, H, W, C] row-major. */
export interface ImageBatch {
  pixels: Uint8Array
  shape: [number, number, number, number]
}

/** Evaluation and recognition input: normalisation only, no randomness (augmentPixels with policy `none`). */
export function normaliseBatch(batch: ImageBatch, norm: Normalisation): tf.Tensor4D {
  const C = batch.shape[3]
  if (norm.mean.length !== C || norm.std.length !== C) {
    throw new Error(
      `the normalisation has ${norm.mean.length} means and ${norm.std.length} deviations for ${C} channels`,
    )
  }
  const scale = Float32Array.from({ length: C }, (_, c) => 1 / norm.std[c]!)
  const shift = Float32Array.from({ length: C }, (_, c) => norm.mean[c]!)
  const out = new Float32Array(batch.pixels.length)
  // the same float32 steps as augmentPixels: x/255 stored, then shifted and scaled
  const v = new Float32Array(1)
  for (let i = 0; i < out.length; i++) {
    v[0] = batch.pixels[i]! * (1 / 255)
    const c = i % C
    out[i] = (v[0] - shift[c]!) * scale[c]!
  }
  return tf.tensor4d(out, batch.shape)
}
