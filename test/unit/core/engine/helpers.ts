import * as tf from '@tensorflow/tfjs'

/** Runs `f` on the given backend and returns plain copies of its outputs (so they outlive the switch). */
export async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend)
  return tf
    .tidy(() => f())
    .map((t) => {
      const values = Float32Array.from(t.dataSync())
      t.dispose()
      return values
    })
}

/** max |a − b| / max |b| */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`)
  let diff = 0
  let scale = 0
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!))
    scale = Math.max(scale, Math.abs(b[i]!))
  }
  return scale === 0 ? diff : diff / scale
}
