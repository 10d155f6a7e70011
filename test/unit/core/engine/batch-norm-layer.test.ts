import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/core/engine/backend'
import { BatchNormalization, batchNormTraining } from '../../../../src/core/engine/batch-norm-layer'
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD } from '../../../../src/core/engine/kernels/batch-norm'
import { on, relativeError } from './helpers'

beforeAll(async () => {
  const info = await initBackend('wasm')
  expect(info.kernels).toEqual(expect.arrayContaining([BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD]))
})

/** tfjs's own composition: batch moments, then batchNorm, differentiated by autodiff. */
function stock(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const axes = x.shape.slice(0, -1).map((_, i) => i)
  const { mean, variance } = tf.moments(x, axes)
  return tf.batchNorm(x, mean, variance, beta, gamma, 1e-5)
}

function fused(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-5)
  tf.dispose([mean, variance])
  return y
}

/** y and the gradients of Σ y·w in x, γ and β: the loss weights w make every gradient term count. */
function outputsAndGradients(shape: number[], normalize: typeof stock, offset: number): tf.Tensor[] {
  const channels = shape[shape.length - 1]!
  // a large offset with a small spread: a one-pass E[x²] − E[x]² in float32 would lose the variance
  const x = tf.add(tf.randomNormal(shape, 0, 0.5, 'float32', 1), offset)
  const gamma = tf.randomUniform([channels], 0.5, 1.5, 'float32', 2)
  const beta = tf.randomNormal([channels], 0, 1, 'float32', 3)
  const w = tf.randomNormal(shape, 0, 1, 'float32', 4)
  const loss = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(normalize(a, g, b), w))
  return [normalize(x, gamma, beta), ...tf.grads(loss)([x, gamma, beta])]
}

describe('fused BatchNorm training kernels', () => {
  it.each([
    [[4, 5, 6, 7], 0],
    [[4, 5, 6, 7], 100],
    [[16, 3], 2],
    [[2, 9, 9, 1], -3],
  ])('%j around %i: y, dx, dγ, dβ agree with tfjs’s moments + batchNorm on cpu', async (shape, offset) => {
    const reference = await on('cpu', () => outputsAndGradients(shape, stock, offset))
    const wasm = await on('wasm', () => outputsAndGradients(shape, fused, offset))
    const names = ['y', 'dx', 'dγ', 'dβ']
    reference.forEach((r, i) => expect(relativeError(wasm[i]!, r), names[i]).toBeLessThanOrEqual(2e-4))
  })

  it('leave no tensors behind in a training step', async () => {
    await tf.setBackend('wasm')
    const x = tf.randomNormal([3, 4, 4, 5])
    const gamma = tf.ones([5])
    const beta = tf.zeros([5])
    const step = () => tf.tidy(() => tf.grads((a: tf.Tensor) => tf.sum(fused(a, gamma, beta)))([x]))
    tf.dispose(step())
    const before = tf.memory().numTensors
    tf.dispose(step())
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([x, gamma, beta])
  })
})

describe('BatchNorm inference kernel (moving statistics)', () => {
  /** x normalised by given statistics, with or without γ and β, as tfjs's batchNorm defines it. */
  function inference(shape: number[], withAffine: boolean): tf.Tensor[] {
    const channels = shape[shape.length - 1]!
    const x = tf.randomNormal(shape, 3, 2, 'float32', 5)
    const mean = tf.randomNormal([channels], 3, 1, 'float32', 6)
    const variance = tf.randomUniform([channels], 0.01, 4, 'float32', 7)
    const gamma = withAffine ? tf.randomUniform([channels], 0.5, 1.5, 'float32', 8) : undefined
    const beta = withAffine ? tf.randomNormal([channels], 0, 1, 'float32', 9) : undefined
    return [tf.batchNorm(x, mean, variance, beta, gamma, 1e-3)]
  }

  it('is Cohort’s native kernel on wasm', async () => {
    const info = await initBackend('wasm')
    expect(info.note).toBeUndefined() // the committed binary loads
    expect(info.kernels).toContain('FusedBatchNorm')
  })

  it.each([
    [[4, 5, 6, 8], true],
    [[3, 7, 7, 5], true],
    [[16, 3], false],
    [[1, 2, 2, 1], true],
  ])('%j (γ, β: %s) agrees with the cpu backend', async (shape, withAffine) => {
    const reference = await on('cpu', () => inference(shape as number[], withAffine as boolean))
    const wasm = await on('wasm', () => inference(shape as number[], withAffine as boolean))
    expect(relativeError(wasm[0]!, reference[0]!)).toBeLessThanOrEqual(1e-5)
  })

  it('leaves statistics of another shape to tfjs’s own kernel', async () => {
    const run = () => {
      const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 10)
      return [tf.batchNorm(x, tf.scalar(0.5), tf.scalar(2), tf.scalar(1), tf.scalar(3), 1e-3)]
    }
    const reference = await on('cpu', run)
    const wasm = await on('wasm', run)
    expect(relativeError(wasm[0]!, reference[0]!)).toBeLessThanOrEqual(1e-5)
  })
})

describe('BatchNormalization layer', () => {
  const input = () => tf.randomNormal([6, 4, 4, 3], 2, 3, 'float32', 9)

  function model(): tf.LayersModel {
    const x = tf.input({ shape: [4, 4, 3] })
    const y = new BatchNormalization({ name: 'bn', momentum: 0.9, epsilon: 1e-5 }).apply(
      x,
    ) as tf.SymbolicTensor
    const m = tf.model({ inputs: x, outputs: y })
    m.layers[1]!.setWeights([
      tf.tensor1d([1.5, 0.5, 1]),
      tf.tensor1d([0.1, -0.2, 0.3]),
      tf.tensor1d([1, 2, 3]),
      tf.tensor1d([4, 5, 6]),
    ])
    return m
  }

  /** one training call: its output, then the layer's four weights (γ, β, moving mean, moving variance) */
  function trainingCall(): tf.Tensor[] {
    const m = model()
    const y = m.apply(input(), { training: true }) as tf.Tensor
    const weights = m.layers[1]!.getWeights().map((w) => w.clone())
    m.dispose()
    return [y, ...weights]
  }

  it('trains with the fused kernels on wasm and matches the stock layer on cpu, moving averages included', async () => {
    const reference = await on('cpu', trainingCall)
    await tf.setBackend('wasm')
    const { kernelNames } = await tf.profile(() => tf.dispose(trainingCall()))
    expect(kernelNames).toContain(BATCH_NORM_TRAIN)
    const wasm = await on('wasm', trainingCall)
    reference.forEach((r, i) => expect(relativeError(wasm[i]!, r), `output ${i}`).toBeLessThanOrEqual(1e-5))
  })

  it('recognises with the stock inference path (moving statistics)', async () => {
    await tf.setBackend('wasm')
    const m = model()
    const { kernelNames } = await tf.profile(() => tf.dispose(m.predict(input())))
    expect(kernelNames).not.toContain(BATCH_NORM_TRAIN)
    const predicted = await on('wasm', () => [m.predict(input()) as tf.Tensor])
    // (x − moving mean)/√(moving variance + ε)·γ + β, by hand
    const byHand = await on('cpu', () => [
      tf.add(
        tf.mul(tf.div(tf.sub(input(), [1, 2, 3]), tf.sqrt(tf.add([4, 5, 6], 1e-5))), [1.5, 0.5, 1]),
        [0.1, -0.2, 0.3],
      ),
    ])
    expect(relativeError(predicted[0]!, byHand[0]!)).toBeLessThanOrEqual(1e-5)
    m.dispose()
  })

  it('saves as tfjs’s own BatchNormalization, so exported models load anywhere', () => {
    const m = model()
    const json = m.toJSON(undefined, false) as { config: { layers: { class_name: string }[] } }
    expect(json.config.layers.map((l) => l.class_name)).toEqual(['InputLayer', 'BatchNormalization'])
    // tfjs numbers repeated names within a process (bn/gamma_4): the weight's own name is what matters
    const names = m.layers[1]!.weights.map((w) => w.name.replace(/_\d+$/, ''))
    expect(names).toEqual(['bn/gamma', 'bn/beta', 'bn/moving_mean', 'bn/moving_variance'])
    m.dispose()
  })
})
