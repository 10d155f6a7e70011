import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/core/engine/backend'
import { networkLoss } from '../../../../src/core/engine/losses'
import { NetworkTrainer, stepNetworks } from '../../../../src/core/engine/network-trainer'
import type { NetworkConfig } from '../../../../src/core/engine/protocol'

const SIZE = 8
const config: NetworkConfig = {
  spec: { arch: 'cnn', inputSize: SIZE, channels: 1, classes: 3, width: 0.5, seed: 1 },
  optimizer: { kind: 'sgd', lr: 0.1 },
}
const x = new Float32Array(4 * SIZE * SIZE).map((_, i) => Math.cos(i * 0.21))
const labels = Int32Array.from([0, 1, 2, 1])
const teacher = () => new Float32Array(4 * 3).map((_, i) => (i % 3) - 1)

const trainers: NetworkTrainer[] = []
function trainer(): NetworkTrainer {
  const t = new NetworkTrainer(config)
  trainers.push(t)
  return t
}
const trainable = (t: NetworkTrainer) => t.trainableVariables.map((v) => Array.from(v.dataSync()))

beforeAll(async () => {
  await initBackend('wasm')
})
afterEach(() => {
  for (const t of trainers.splice(0)) t.dispose()
})

describe('per-image loss masks (a network’s data subset)', () => {
  it('learns nothing from masked-out images', async () => {
    const t = trainer()
    const before = trainable(t)
    const { losses } = stepNetworks([t], [x], labels, teacher, 1, 2, [new Float32Array(4)])
    expect(losses[0]).toEqual({ ce: 0, kd: 0 })
    expect(trainable(t)).toEqual(before)
  })

  it('changes nothing when every image is in the subset', async () => {
    const [a, b] = [trainer(), trainer()]
    const plain = stepNetworks([a], [x], labels, teacher, 1, 2)
    const masked = stepNetworks([b], [x], labels, teacher, 1, 2, [new Float32Array(4).fill(1)])
    expect(masked.losses[0]!.ce).toBeCloseTo(plain.losses[0]!.ce, 6)
    expect(masked.losses[0]!.kd).toBeCloseTo(plain.losses[0]!.kd, 6)
    expect(tf.memory().numTensors).toBeGreaterThan(0)
  })
})

describe('the step trains with the loss of losses.ts', () => {
  it('reports CE and T²·KL of the logits it saw, computed by networkLoss, with and without a mask', () => {
    const [a, b] = [trainer(), trainer()]
    const mask = Float32Array.from([1, 0, 1, 1])
    const lambda = 0.7
    const T = 3
    const step = stepNetworks([a, b], [x, x], labels, teacher, lambda, T, [null, mask])
    step.logits.forEach((z, i) => {
      const expected = tf.tidy(() => {
        const l = networkLoss(
          tf.tensor2d(z, [4, 3]),
          tf.tensor1d(labels, 'int32'),
          tf.tensor2d(teacher(), [4, 3]),
          T,
          lambda,
          i === 1 ? tf.tensor1d(mask) : undefined,
        )
        return { ce: l.crossEntropy.dataSync()[0]!, kd: l.distillation!.dataSync()[0]! }
      })
      expect(step.losses[i]!.ce).toBeCloseTo(expected.ce, 6)
      expect(step.losses[i]!.kd).toBeCloseTo(expected.kd, 6)
      expect(step.losses[i]!.kd).toBeGreaterThan(0)
    })
  })
})
