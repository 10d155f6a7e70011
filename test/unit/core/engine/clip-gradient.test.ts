import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/core/engine/backend'
import { CLIP_GRAD } from '../../../../src/core/engine/clip-gradient'
import { on } from './helpers'

beforeAll(async () => {
  const info = await initBackend('wasm')
  expect(info.kernels).toContain(CLIP_GRAD)
})

/** ReLU6's gradient at values inside, outside and exactly on both edges (tfjs counts the edges as inside). */
function relu6Gradient(size: number): tf.Tensor[] {
  const edges = [-1, 0, 3, 6, 7]
  const x = tf.tensor1d(
    Array.from({ length: size }, (_, i) => (i < 5 ? edges[i]! : ((i * 37) % 100) / 10 - 2)),
  )
  const weights = tf.randomNormal([size], 0, 1, 'float32', 3)
  return [tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.clipByValue(v, 0, 6), weights)))(x)]
}

describe('ClipByValue gradient (ReLU6)', () => {
  it.each([5, 7, 50_001])('%i values: the same as the cpu backend, edges included', async (size) => {
    const reference = await on('cpu', () => relu6Gradient(size))
    const wasm = await on('wasm', () => relu6Gradient(size))
    expect(wasm[0]).toEqual(reference[0])
  })

  it('runs as one kernel on wasm', async () => {
    await tf.setBackend('wasm')
    const info = await tf.profile(() => relu6Gradient(1000))
    const names = info.kernels.map((k) => k.name)
    expect(names).toContain(CLIP_GRAD)
    expect(names).not.toContain('LogicalAnd')
    tf.dispose(info.result as tf.Tensor[])
  })
})
