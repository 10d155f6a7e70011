import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../../src/core/engine/backend'
import { on, relativeError } from '../helpers'

beforeAll(async () => {
  const info = await initBackend('wasm')
  expect(info.kernels).toEqual(expect.arrayContaining(['MaxPoolGrad', 'Sum', 'Mean', 'Tile', 'Identity']))
})

async function agree(f: () => tf.Tensor[], tolerance: number): Promise<void> {
  const reference = await on('cpu', f)
  const wasm = await on('wasm', f)
  expect(wasm).toHaveLength(reference.length)
  reference.forEach((r, i) => expect(relativeError(wasm[i]!, r)).toBeLessThanOrEqual(tolerance))
}

describe('MaxPoolGrad', () => {
  // Small integers make equal values in a window common: the gradient must go to the first maximum.
  const input = (shape: number[]) => tf.floor(tf.randomUniform(shape, 0, 3, 'float32', 5))
  it.each([
    [2, 2, 'valid', [2, 8, 8, 3]],
    [2, 2, 'same', [1, 7, 9, 2]],
    [3, 2, 'same', [2, 7, 7, 4]],
    [3, 1, 'valid', [1, 6, 5, 1]],
  ] as const)(
    'pool %i stride %i %s on %j routes each gradient to the first maximum',
    async (size, stride, pad, shape) => {
      await agree(() => {
        const x = input([...shape])
        const w = tf.randomNormal(tf.maxPool(x as tf.Tensor4D, size, stride, pad).shape, 0, 1, 'float32', 6)
        return [
          tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, stride, pad), w)))(x),
        ]
      }, 0)
    },
  )
})

describe('Sum and Mean over leading and middle axes', () => {
  const x = () => tf.randomNormal([4, 5, 6, 7], 0, 1, 'float32', 3)
  it.each([[[0, 1, 2]], [[1, 2]], [[0]], [[1]], [[3]], [[0, 2]], [[0, 1, 2, 3]]])('axes %j', async (axes) => {
    await agree(
      () => [tf.sum(x(), axes), tf.mean(x(), axes), tf.sum(x(), axes, true), tf.mean(x(), axes, true)],
      1e-5,
    )
  })
  it('keeps the shape the cpu backend gives', async () => {
    await tf.setBackend('wasm')
    expect(tf.tidy(() => tf.mean(x(), [1, 2], true).shape)).toEqual([4, 1, 1, 7])
    expect(tf.tidy(() => tf.sum(x(), [0, 1]).shape)).toEqual([6, 7])
  })
})

describe('Tile', () => {
  it.each([
    [
      [1, 1, 1, 5],
      [3, 4, 2, 1],
    ],
    [
      [2, 3],
      [2, 3],
    ],
    [[4], [3]],
    [
      [2, 1, 3],
      [1, 5, 2],
    ],
  ])('%j tiled by %j', async (shape, reps) => {
    await agree(() => [tf.tile(tf.randomNormal(shape, 0, 1, 'float32', 9), reps)], 0)
  })
  it('tiles int32 too', async () => {
    await tf.setBackend('wasm')
    expect(tf.tidy(() => tf.tile(tf.tensor2d([1, 2], [1, 2], 'int32'), [2, 2]).arraySync())).toEqual([
      [1, 2, 1, 2],
      [1, 2, 1, 2],
    ])
  })
})

describe('Identity', () => {
  it('shares the buffer without a copy and frees it only when the last user goes', async () => {
    await tf.setBackend('wasm')
    const start = tf.memory()
    const x = tf.tensor1d([1, 2, 3])
    const y = tf.clone(x)
    const v = tf.variable(y)
    x.dispose()
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3])
    y.dispose()
    const next = tf.tensor1d([4, 5, 6])
    v.assign(next)
    next.dispose()
    expect(Array.from(v.dataSync())).toEqual([4, 5, 6])
    v.dispose()
    expect(tf.memory().numTensors).toBe(start.numTensors)
    expect((tf.memory() as { numDataBuffers: number }).numDataBuffers).toBe(
      (start as { numDataBuffers: number }).numDataBuffers,
    )
  })
})
