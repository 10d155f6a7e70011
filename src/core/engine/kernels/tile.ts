/**
 * Tile for wasm as block copies on the heap (the BatchNorm gradient tiles a [1,1,1,C] scale over the
 * whole activation; wasm's element-by-element kernel was one of a step's largest costs: docs/BENCHMARKS.md).
 */
import type * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { type Info, run } from './wasm-ops'

/** Fills out[at…] with x[from…] tiled along dims ≥ level; returns the number of values written. */
function fill(
  x: Float32Array | Int32Array,
  out: Float32Array | Int32Array,
  shape: number[],
  reps: number[],
  level: number,
  from: number,
  at: number,
): number {
  const inner = shape.slice(level + 1).reduce((p, q) => p * q, 1)
  let written = 0
  if (level === shape.length - 1) {
    out.set(x.subarray(from, from + shape[level]!), at)
    written = shape[level]!
  } else {
    for (let i = 0; i < shape[level]!; i++) {
      written += fill(x, out, shape, reps, level + 1, from + i * inner, at + written)
    }
  }
  // The block just written repeats reps[level] times: double it until it is all there.
  const total = written * reps[level]!
  for (let done = written; done < total; done *= 2) {
    out.copyWithin(at + done, at, at + Math.min(done, total - done))
  }
  return total
}

export const tileKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as BackendWasm
  const { x } = inputs as { x: Info }
  const { reps } = attrs as unknown as { reps: number[] }
  if (
    (x.dtype !== 'float32' && x.dtype !== 'int32') ||
    x.shape.length === 0 ||
    x.shape.some((d) => d === 0)
  ) {
    return run(b, 'Tile', { x }, { reps })
  }
  const out = b.makeOutput(
    x.shape.map((d, i) => d * reps[i]!),
    x.dtype,
  )
  const src = b.typedArrayFromHeap(x) as Float32Array | Int32Array
  const dst = b.typedArrayFromHeap(out) as Float32Array | Int32Array
  fill(src, dst, x.shape, reps, 0, 0, 0)
  return out
}
