import { describe, expect, it } from 'vitest'
import {
  distillationWeightAt,
  learningRateAt,
  type LearningRatePlan,
  totalSteps,
} from '../../../../src/core/training/schedule'

const plan = (over: Partial<LearningRatePlan>): LearningRatePlan => ({
  baseLr: 0.1,
  shape: { kind: 'cosine', endFraction: 0 },
  epochs: 2,
  stepsPerEpoch: 5,
  warmupEpochs: 0,
  ...over,
})

describe('learningRateAt', () => {
  it('cosine to 0: base at step 0, half at the midpoint, above 0 at the last step', () => {
    const p = plan({})
    expect(totalSteps(p)).toBe(10)
    expect(learningRateAt(0, p)).toBeCloseTo(0.1, 12)
    expect(learningRateAt(5, p)).toBeCloseTo(0.05, 12)
    // ½·0.1·(1 + cos(0.9π)) = 0.05·(1 − 0.951057) = 0.0024472
    expect(learningRateAt(9, p)).toBeCloseTo(0.0024472, 6)
    const all = Array.from({ length: 10 }, (_, s) => learningRateAt(s, p))
    all.slice(1).forEach((lr, i) => expect(lr).toBeLessThan(all[i]!))
  })

  it('cosine to a floor', () => {
    const p = plan({ shape: { kind: 'cosine', endFraction: 0.1 } })
    expect(learningRateAt(5, p)).toBeCloseTo(0.01 + 0.09 * 0.5, 12)
    expect(learningRateAt(9, p)).toBeGreaterThan(0.01)
  })

  it('step decay multiplies by γ every k epochs', () => {
    const p = plan({ epochs: 3, shape: { kind: 'step', gamma: 0.1, everyEpochs: 1 } })
    expect([0, 4, 5, 9, 10, 14].map((s) => learningRateAt(s, p))).toEqual([
      0.1,
      0.1,
      0.1 * 0.1,
      0.1 * 0.1,
      0.1 * 0.1 ** 2,
      0.1 * 0.1 ** 2,
    ])
  })

  it('linear warm-up then cosine over the remaining steps', () => {
    const p = plan({ warmupEpochs: 1, epochs: 3 }) // 5 warm-up steps, then 10 cosine steps
    expect([0, 1, 4].map((s) => learningRateAt(s, p))).toEqual(
      [0.02, 0.04, 0.1].map((v) => expect.closeTo(v, 12)),
    )
    expect(learningRateAt(5, p)).toBeCloseTo(0.1, 12)
    expect(learningRateAt(10, p)).toBeCloseTo(0.05, 12)
  })

  it('warm-up then step decay, and constant', () => {
    const p = plan({ warmupEpochs: 0.4, shape: { kind: 'step', gamma: 0.5, everyEpochs: 1 } }) // 2 warm-up steps
    expect([0, 1, 2, 5].map((s) => learningRateAt(s, p))).toEqual([0.05, 0.1, 0.1, 0.05])
    expect(learningRateAt(7, plan({ shape: { kind: 'constant' } }))).toBe(0.1)
  })

  it('rejects steps outside the plan and bad plans', () => {
    expect(() => learningRateAt(10, plan({}))).toThrow(/from 0 to 9 \(got 10\)/)
    expect(() => learningRateAt(0, plan({ baseLr: 0 }))).toThrow(/learning rate must be a positive/)
    expect(() => learningRateAt(0, plan({ warmupEpochs: 2 }))).toThrow(/fewer than 2 epochs/)
    expect(() => learningRateAt(0, plan({ shape: { kind: 'step', gamma: 2, everyEpochs: 1 } }))).toThrow(
      /decay factor/,
    )
  })
})

describe('distillationWeightAt', () => {
  it('ramps λ linearly over the warm-up steps, then holds it; no warm-up is λ from the first step', () => {
    // 2 epochs of 3 steps: λ/6, 2λ/6, … λ at step 5, λ after
    const ramp = Array.from({ length: 8 }, (_, s) => distillationWeightAt(s, 1.5, 2, 3))
    expect(ramp).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.5, 1.5])
    expect(distillationWeightAt(0, 1.5, 0, 3)).toBe(1.5)
    expect(distillationWeightAt(0, 0, 2, 3)).toBe(0)
  })
})
