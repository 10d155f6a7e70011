import { describe, expect, it } from 'vitest'
import {
  accuracyStandardError,
  covarianceWeights,
  ENSEMBLE_RULES,
  ensembleWeights,
  proportionalWeights,
  softmaxWeights,
  standardErrorWeights,
  validationWeights,
  VALIDATION_RULES,
  WeightRuleError,
} from '../../../../src/core/training/validation-weights'

const sum = (w: number[]) => w.reduce((s, v) => s + v, 0)
const expectWeights = (w: number[], expected: number[]) => {
  expect(w).toHaveLength(expected.length)
  w.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12))
}

describe('softmaxWeights', () => {
  it('is exp(acc/τ) normalised: hand-computed values', () => {
    // one point apart at τ = 0.01: 1/(1+e) and e/(1+e)
    const w = softmaxWeights([0.89, 0.9], 0.01)
    expect(w[0]).toBeCloseTo(1 / (1 + Math.E), 9)
    expect(w[1]).toBeCloseTo(Math.E / (1 + Math.E), 9)
    // the reference's τ = 0.05 is nearly flat: 0.45 / 0.55
    expect(softmaxWeights([0.89, 0.9], 0.05)[0]).toBeCloseTo(1 / (1 + Math.exp(0.2)), 9)
  })

  it('sums to 1, rises with accuracy and stays finite for tiny τ', () => {
    const w = softmaxWeights([0.7, 0.9, 0.8, 0.85], 1e-4)
    expect(sum(w)).toBeCloseTo(1, 12)
    expect(w[1]).toBeCloseTo(1, 6)
    const v = softmaxWeights([0.7, 0.9, 0.8, 0.85], 0.1)
    expect(v[0]! < v[2]! && v[2]! < v[3]! && v[3]! < v[1]!).toBe(true)
  })

  it('rejects a bad τ or accuracy', () => {
    expect(() => softmaxWeights([0.5, 0.6], 0)).toThrow(/τ must be a positive number \(got 0\)/)
    expect(() => softmaxWeights([0.5, 60], 0.1)).toThrow(
      /network 2 must be a fraction from 0 to 1 \(got 60\)/,
    )
    expect(() => softmaxWeights([], 0.1)).toThrow(WeightRuleError)
  })
})

describe('proportionalWeights', () => {
  it('is acc / Σacc, equal when all are 0', () => {
    expectWeights(proportionalWeights([0.2, 0.6]), [0.25, 0.75])
    expect(proportionalWeights([0, 0, 0])).toEqual([1 / 3, 1 / 3, 1 / 3])
  })
})

describe('covarianceWeights', () => {
  it('is C⁻¹1 / 1ᵀC⁻¹1 for uncorrelated errors: weights ∝ 1/(error rate)', () => {
    // network 1 wrong on images 0,1; network 2 wrong on image 2 only; no shared error: C = diag(2/6, 1/6)
    const w = covarianceWeights([
      [1, 1, 0, 0, 0, 0],
      [0, 0, 1, 0, 0, 0],
    ])
    // C⁻¹1 = (3, 6) (up to the tiny ridge) → (1/3, 2/3)
    expect(w[0]).toBeCloseTo(1 / 3, 3)
    expect(w[1]).toBeCloseTo(2 / 3, 3)
  })

  it('clips negative weights to 0 and renormalises', () => {
    // signed errors, network 2 larger in the same direction: C = [[1, 1.75], [1.75, 3.125]], C⁻¹1 ∝ (1.375, −0.75)
    const w = covarianceWeights([
      [1, 1],
      [2, 1.5],
    ])
    expect(w).toEqual([1, 0])
    expect(sum(w)).toBeCloseTo(1, 12)
    expect(w.every((v) => v >= 0)).toBe(true)
  })

  it('stays finite when C is singular (identical or no errors)', () => {
    expect(
      covarianceWeights([
        [1, 0, 1],
        [1, 0, 1],
      ]).map((v) => v.toFixed(6)),
    ).toEqual(['0.500000', '0.500000'])
    expect(
      covarianceWeights([
        [0, 0, 0],
        [0, 0, 0],
      ]),
    ).toEqual([0.5, 0.5])
  })

  it('rejects mismatched or empty errors', () => {
    expect(() => covarianceWeights([[1, 0], [1]])).toThrow(/network 1 has 2, network 2 has 1/)
    expect(() => covarianceWeights([[]])).toThrow(/no validation images/)
    expect(() => covarianceWeights([[NaN]])).toThrow(/non-finite/)
  })
})

describe('standardErrorWeights', () => {
  /** m validation images where network 0 is wrong on the first `a` and network 1 on the `b` after them. */
  const errors = (m: number, a: number, b: number) => [
    Array.from({ length: m }, (_, k) => (k < a ? 1 : 0)),
    Array.from({ length: m }, (_, k) => (k >= a && k < a + b ? 1 : 0)),
  ]

  it('measures the paired standard error of the accuracy difference', () => {
    // 100 images, 10 disagreements split 6/4: diff mean 0.02, E[diff²] 0.1 → sqrt((0.1 − 0.0004)/100)
    expect(accuracyStandardError(errors(100, 6, 4))).toBeCloseTo(Math.sqrt(0.0996 / 100), 12)
    expect(accuracyStandardError([[1, 0, 1]])).toBe(0)
  })

  it('gives a lead of one standard error 1/(1+e) : e/(1+e), whatever the split size', () => {
    for (const m of [250, 5000]) {
      const e = errors(m, 0.1 * m, 0.1 * m)
      const se = accuracyStandardError(e)
      const w = standardErrorWeights([0.8, 0.8 + se], e)
      expect(w[1]).toBeCloseTo(Math.E / (1 + Math.E), 9)
    }
    // the same 2-point lead is noise on 250 images and decisive on 5,000
    const small = standardErrorWeights([0.8, 0.82], errors(250, 25, 20))
    const large = standardErrorWeights([0.8, 0.82], errors(5000, 500, 400))
    expect(small[1]).toBeLessThan(0.75)
    expect(large[1]).toBeGreaterThan(0.95)
  })

  it('gives networks that never disagree equal weights', () => {
    expect(
      standardErrorWeights(
        [0.9, 0.9],
        [
          [0, 1, 0],
          [0, 1, 0],
        ],
      ),
    ).toEqual([0.5, 0.5])
  })
})

describe('validationWeights', () => {
  it('dispatches on the rule; the covariance rule needs errors', () => {
    expectWeights(validationWeights('proportional', { accuracies: [0.2, 0.6] }, 0.01), [0.25, 0.75])
    expect(validationWeights('softmax', { accuracies: [0.5, 0.5] }, 0.01)).toEqual([0.5, 0.5])
    expect(() => validationWeights('covariance', { accuracies: [0.5, 0.5] }, 0.01)).toThrow(
      /covariance rule needs each network/,
    )
    expect(() => validationWeights('standard-error', { accuracies: [0.5, 0.5] }, 0.01)).toThrow(
      /standard-error rule needs each network/,
    )
    const w = validationWeights(
      'covariance',
      {
        accuracies: [0.5, 0.5],
        errors: [
          [1, 1, 0],
          [0, 0, 1],
        ],
      },
      0.01,
    )
    expect(w[1]! > w[0]!).toBe(true)
  })
})

describe('ensembleWeights', () => {
  const measure = {
    accuracies: [0.8, 0.9],
    errors: [Float64Array.of(1, 0, 0, 1), Float64Array.of(0, 0, 0, 1)],
  }

  it('is equal for the plain average whatever the accuracies, and the validation rule otherwise', () => {
    expect(ensembleWeights('equal', measure, 0.01)).toEqual([0.5, 0.5])
    expect(ensembleWeights('equal', { accuracies: [0.1, 0.2, 0.9] }, 0.01)).toEqual([1 / 3, 1 / 3, 1 / 3])
    for (const rule of VALIDATION_RULES) {
      expect(ensembleWeights(rule, measure, 0.01)).toEqual(validationWeights(rule, measure, 0.01))
    }
    expect(ENSEMBLE_RULES).toEqual(['equal', ...VALIDATION_RULES])
  })
})
