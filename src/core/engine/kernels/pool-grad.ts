/**
 * MaxPoolGrad for wasm as one pass over the wasm heap. wasm's own kernel is slow and breaks ties between
 * equal values differently from the cpu backend (ReLU zeros make ties common); like cpu and TensorFlow,
 * this one routes the gradient to the first maximum of each window.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { type Info, KernelError } from './wasm-ops'

interface PoolAttrs {
  filterSize: number | [number, number]
  strides: number | [number, number]
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

export const maxPoolGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as BackendWasm
  const { dy, input } = inputs as { dy: Info; input: Info }
  const a = attrs as unknown as PoolAttrs
  if (input.shape.length !== 4) throw new KernelError('MaxPoolGrad needs a 4-D NHWC input')
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  )
  const out = b.makeOutput(input.shape, 'float32')
  // Views are taken after the allocation: growing the heap replaces its buffer.
  const dx = b.typedArrayFromHeap(out) as Float32Array
  const x = b.typedArrayFromHeap(input) as Float32Array
  const g = b.typedArrayFromHeap(dy) as Float32Array
  dx.fill(0)
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = info
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info
  const top = info.padInfo.top
  const left = info.padInfo.left
  // Channels innermost, as in memory: each window is read as whole contiguous pixel rows.
  const best = new Float32Array(C)
  const at = new Int32Array(C)
  for (let n = 0; n < info.batchSize; n++) {
    const xBatch = n * H * W * C
    for (let i = 0; i < Ho; i++) {
      const r0 = Math.max(0, i * sh - top)
      const r1 = Math.min(H, i * sh - top + fh)
      for (let j = 0; j < Wo; j++) {
        const c0 = Math.max(0, j * sw - left)
        const c1 = Math.min(W, j * sw - left + fw)
        if (r0 >= r1 || c0 >= c1) continue
        // The window's first pixel starts the search (no per-window fill: it cost more than the search).
        const first = xBatch + (r0 * W + c0) * C
        for (let c = 0; c < C; c++) {
          best[c] = x[first + c]!
          at[c] = first + c
        }
        for (let r = r0; r < r1; r++) {
          for (let q = r === r0 ? c0 + 1 : c0; q < c1; q++) {
            const k = xBatch + (r * W + q) * C
            for (let c = 0; c < C; c++) {
              const v = x[k + c]!
              // Strictly greater: the first maximum keeps the gradient.
              if (v > best[c]!) {
                best[c] = v
                at[c] = k + c
              }
            }
          }
        }
        const gBase = ((n * Ho + i) * Wo + j) * C
        for (let c = 0; c < C; c++) dx[at[c]!]! += g[gBase + c]!
      }
    }
  }
  return out
}
