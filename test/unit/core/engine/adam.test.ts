import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAM_UPDATE, FusedAdam } from '../../../../src/core/engine/adam'
import { initBackend } from '../../../../src/core/engine/backend'
import { relativeError } from './helpers'

beforeAll(async () => {
  const info = await initBackend('wasm')
  expect(info.kernels).toContain(ADAM_UPDATE)
})
afterAll(() => tf.setBackend('wasm'))

/** Variables of awkward sizes (1, 7, a vector remainder, several threads' worth) and their gradients per step. */
const SHAPES = [[1], [7], [3, 3, 5, 8], [20000, 3]]

async function train(
  make: () => tf.Optimizer,
  steps: number,
  resumeAt?: number,
): Promise<{ values: Float32Array[]; state: string[] }> {
  let optimizer = make()
  const variables = SHAPES.map((shape, i) =>
    tf.variable(tf.randomNormal(shape, 0, 1, 'float32', i + 1), true, `w${i}`),
  )
  for (let step = 0; step < steps; step++) {
    if (step === resumeAt) {
      // a checkpoint: the state as saved, given to a new optimiser (as resuming a run does)
      const saved = await optimizer.getWeights()
      const copies = saved.map((w) => ({ name: w.name, tensor: w.tensor.clone() }))
      optimizer.dispose()
      optimizer = make()
      await optimizer.setWeights(copies)
    }
    // a schedule's change of learning rate, as the trainer makes it
    ;(optimizer as unknown as { learningRate: number }).learningRate = step < 3 ? 1e-3 : 3e-3
    const gradients: tf.NamedTensorMap = {}
    variables.forEach((v, i) => {
      gradients[v.name] = tf.randomNormal(v.shape, 0, 1 + i, 'float32', 1000 + 100 * step + i) // seed 0 would mean unseeded
    })
    optimizer.applyGradients(gradients)
    tf.dispose(Object.values(gradients))
  }
  const values = variables.map((v) => Float32Array.from(v.dataSync()))
  const state = (await optimizer.getWeights()).map((w) => w.name)
  optimizer.dispose()
  tf.dispose(variables)
  return { values, state }
}

const fused = () => new FusedAdam(1e-3, 0.9, 0.999, 1e-7)
const stock = () => tf.train.adam(1e-3, 0.9, 0.999, 1e-7)

describe('fused Adam', () => {
  it('matches tfjs’s Adam over steps with a learning-rate change, with the same state names', async () => {
    const reference = await train(stock, 8)
    const ours = await train(fused, 8)
    expect(ours.state).toEqual(reference.state)
    ours.values.forEach((v, i) => expect(relativeError(v, reference.values[i]!), `w${i}`).toBeLessThan(1e-5))
  })

  it('resumes from saved state as an uninterrupted run', async () => {
    const straight = await train(fused, 6)
    const resumed = await train(fused, 6, 4)
    // not bit for bit: tfjs's setWeights recomputes β^t with pow, the running product differs in the last bit
    resumed.values.forEach((v, i) => expect(relativeError(v, straight.values[i]!)).toBeLessThan(1e-6))
  })

  it('is tfjs’s own update on a backend without the kernel', async () => {
    await tf.setBackend('cpu')
    expect(tf.getKernel(ADAM_UPDATE, 'cpu')).toBeUndefined()
    const reference = await train(stock, 3)
    const ours = await train(fused, 3)
    ours.values.forEach((v, i) => expect(v).toEqual(reference.values[i]))
    await tf.setBackend('wasm')
  })

  it('leaves no tensors behind', async () => {
    const optimizer = fused()
    const w = tf.variable(tf.ones([5]), true, 'leak')
    const step = () => tf.tidy(() => optimizer.applyGradients([{ name: 'leak', tensor: tf.ones([5]) }]))
    step()
    step()
    const before = tf.memory().numTensors
    step()
    expect(tf.memory().numTensors).toBe(before)
    optimizer.dispose()
    w.dispose()
  })
})
