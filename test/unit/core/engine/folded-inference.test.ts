import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/core/engine/backend'
import { FoldedInference, foldedPredict, releaseFolded } from '../../../../src/core/engine/folded-inference'
import { NetworkTrainer, stepNetworks } from '../../../../src/core/engine/network-trainer'
import { ZOO, type NetworkArch } from '../../../../src/core/engine/zoo'
import { relativeError } from './helpers'

const SIZE = 12
const CLASSES = 5

const trainers: NetworkTrainer[] = []
function trainer(arch: NetworkArch, channels: number): NetworkTrainer {
  const t = new NetworkTrainer({
    spec: { arch, inputSize: SIZE, channels, classes: CLASSES, seed: 3 },
    optimizer: { kind: 'adam', lr: 1e-2 },
  })
  trainers.push(t)
  return t
}

const images = (n: number, channels: number, phase = 0) =>
  new Float32Array(n * SIZE * SIZE * channels).map((_, i) => Math.sin(i * 0.37 + phase) * 1.5)

/** Moving statistics, γ and β far from their initial 0, 1, 1, 0, so folding them changes every weight. */
function randomiseBatchNorms(t: NetworkTrainer): void {
  let seed = 10
  for (const layer of t.model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue
    const values = layer.getWeights().map((w, i) =>
      tf.tidy(() => {
        const r = tf.randomUniform(w.shape, 0, 1, 'float32', seed++)
        // γ, β, mean, variance: variance stays positive, the rest straddle zero
        return i === 3 ? tf.add(tf.mul(r, 2), 0.05) : tf.sub(tf.mul(r, 2), 1)
      }),
    )
    layer.setWeights(values)
    tf.dispose(values)
  }
}

/** A few collaborative steps: trained weights and moving statistics. */
function trainBriefly(t: NetworkTrainer, channels: number): void {
  const labels = Int32Array.from([0, 1, 2, 3, 4, 0])
  const teacher = () => new Float32Array(6 * CLASSES).map((_, i) => (i % CLASSES) - 2)
  for (let step = 0; step < 3; step++) stepNetworks([t], [images(6, channels, step)], labels, teacher, 1, 2)
}

function stockLogits(t: NetworkTrainer, x: Float32Array): Float32Array {
  return tf.tidy(() => (t.model.predict(t.images(x)) as tf.Tensor).dataSync() as Float32Array)
}

const argmax = (z: Float32Array) =>
  Array.from({ length: z.length / CLASSES }, (_, r) => {
    const row = Array.from(z.subarray(r * CLASSES, (r + 1) * CLASSES))
    return row.indexOf(Math.max(...row))
  })

/**
 * Within 1e-5 of the logits' scale (max |a − b| / max |b|): briefly trained resnet-20s reach logits near 190,
 * where one float32 step is 1.5e-5, and the stock model on wasm and on cpu differ by as much as folding does.
 */
const TOLERANCE = 1e-5

beforeAll(async () => {
  await initBackend('wasm')
})
afterEach(() => {
  for (const t of trainers.splice(0)) t.dispose()
})

describe('BatchNorm folded into the convolutions at predict time', () => {
  const cases = ZOO.flatMap(({ name }) =>
    [1, 3].flatMap((channels) =>
      (['random', 'trained'] as const).map((state) => [name, channels, state] as const),
    ),
  )

  it.each(cases)(
    '%s, %i channel(s), %s weights: same logits and predictions as the stock model',
    (arch, c, state) => {
      const t = trainer(arch, c)
      if (state === 'random') randomiseBatchNorms(t)
      else trainBriefly(t, c)
      const batchNorms = t.model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length
      // every BatchNorm of the zoo follows a convolution: all of them must be folded
      expect(FoldedInference.plan(t.model)!.foldedCount).toBe(batchNorms)
      for (const [n, batchSize] of [
        [1, 256],
        [7, 256],
        [7, 3], // split into batches of 3 and joined again
      ] as const) {
        const x = images(n, c, 0.5)
        const stock = stockLogits(t, x)
        const folded = t.predict(x, batchSize)
        expect(relativeError(folded, stock), `${n} images in batches of ${batchSize}`).toBeLessThanOrEqual(
          TOLERANCE,
        )
        expect(argmax(folded)).toEqual(argmax(stock))
      }
    },
  )

  it('refolds after the weights change, and leaves no tensor behind', () => {
    const t = trainer('resnet-8', 3)
    trainBriefly(t, 3) // creates the optimiser's slots
    const x = images(4, 3)
    const baseline = tf.memory().numTensors
    t.predict(x)
    const withFolded = tf.memory().numTensors
    // one filter and one bias per folded convolution, nothing else
    expect(withFolded - baseline).toBe(2 * FoldedInference.plan(t.model)!.foldedCount)
    t.predict(x)
    expect(tf.memory().numTensors).toBe(withFolded)
    trainBriefly(t, 3)
    const afterTraining = t.predict(x)
    expect(tf.memory().numTensors).toBe(withFolded)
    expect(relativeError(afterTraining, stockLogits(t, x))).toBeLessThanOrEqual(TOLERANCE)
    releaseFolded(t.model)
    expect(tf.memory().numTensors).toBe(baseline)
  })

  it('predicts a graph it cannot fold (a layer applied twice) as the stock model does', () => {
    const input = tf.input({ shape: [4, 4, 2] })
    const shared = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', useBias: false })
    const twice = shared.apply(shared.apply(input)) as tf.SymbolicTensor
    const bn = tf.layers.batchNormalization({}).apply(twice) as tf.SymbolicTensor
    const model = tf.model({ inputs: input, outputs: bn })
    expect(FoldedInference.plan(model)).toBeUndefined()
    tf.tidy(() => {
      const x = tf.randomNormal([2, 4, 4, 2])
      const stock = (model.predict(x) as tf.Tensor).dataSync()
      expect(Array.from(foldedPredict(model, x).dataSync())).toEqual(Array.from(stock))
    })
    releaseFolded(model)
    model.dispose()
  })
})
