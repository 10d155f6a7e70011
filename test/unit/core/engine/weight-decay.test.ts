import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/core/engine/backend'
import { NetworkTrainer, stepNetworks } from '../../../../src/core/engine/network-trainer'
import type { NetworkConfig } from '../../../../src/core/engine/protocol'

// One plain SGD step whose loss gradient is zero (every image masked out): what moves is weight decay alone,
// w ← w − lr·wd·w, so each parameter either shrinks by exactly (1 − lr·wd) or stays put.
const SIZE = 8
const LR = 0.1
const WD = 0.01
const x = new Float32Array(4 * SIZE * SIZE).map((_, i) => Math.cos(i * 0.21))
const labels = Int32Array.from([0, 1, 2, 1])
const teacher = () => new Float32Array(4 * 3)

const trainers: NetworkTrainer[] = []
function trainer(decayAll?: boolean): NetworkTrainer {
  const config: NetworkConfig = {
    spec: { arch: 'cnn', inputSize: SIZE, channels: 1, classes: 3, width: 0.5, seed: 1 },
    optimizer: { kind: 'sgd', lr: LR, weightDecay: WD, ...(decayAll === undefined ? {} : { decayAll }) },
  }
  const t = new NetworkTrainer(config)
  trainers.push(t)
  return t
}

/**
 * Per trainable variable that is not all zeros (biases and BatchNorm shifts start at 0, so decay cannot move
 * them): its name and the ratio new/old of its largest value (1 = untouched).
 */
function shrinkage(decayAll?: boolean): Map<string, number> {
  const t = trainer(decayAll)
  const before = t.trainableVariables.map((v) => Array.from(v.dataSync()))
  stepNetworks([t], [x], labels, teacher, 1, 2, [new Float32Array(4)])
  const ratios = new Map<string, number>()
  t.trainableVariables.forEach((v, i) => {
    const old = before[i]!
    const k = old.reduce((best, value, j) => (Math.abs(value) > Math.abs(old[best]!) ? j : best), 0)
    if (old[k] !== 0) ratios.set(v.name, v.dataSync()[k]! / old[k]!)
  })
  return ratios
}

beforeAll(async () => {
  await initBackend('wasm')
})
afterEach(() => {
  for (const t of trainers.splice(0)) t.dispose()
})

describe('weight decay', () => {
  const shrunk = 1 - LR * WD

  it('decays convolution and dense kernels only, by default', () => {
    const ratios = shrinkage()
    const kernels = [...ratios].filter(([name]) => /kernel/.test(name))
    const others = [...ratios].filter(([name]) => !/kernel/.test(name))
    expect(kernels.length).toBeGreaterThan(0)
    expect(others.some(([name]) => /gamma/.test(name))).toBe(true)
    for (const [, r] of kernels) expect(r).toBeCloseTo(shrunk, 6)
    for (const [, r] of others) expect(r).toBe(1)
  })

  it('decays every parameter, BatchNorm scales included, when asked (the reference recipe)', () => {
    const ratios = shrinkage(true)
    const gammas = [...ratios].filter(([name]) => /gamma/.test(name))
    expect(gammas.length).toBeGreaterThan(0)
    for (const [, r] of ratios) expect(r).toBeCloseTo(shrunk, 6)
  })
})
