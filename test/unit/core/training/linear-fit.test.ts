import { describe, expect, it } from 'vitest'
import { fitLinearTeacher } from '../../../../src/core/training/linear-fit'
import { Random } from '../../../../src/core/training/random'

/** Batch CE of Σ α_i z_i, computed directly (float64) as the yardstick. */
function ce(logits: Float32Array[], labels: Int32Array, classes: number, alpha: number[]): number {
  let total = 0
  for (let b = 0; b < labels.length; b++) {
    const mixed = Array.from({ length: classes }, (_, c) =>
      alpha.reduce((s, a, i) => s + a * logits[i]![b * classes + c]!, 0),
    )
    const top = Math.max(...mixed)
    total += top + Math.log(mixed.reduce((s, v) => s + Math.exp(v - top), 0)) - mixed[labels[b]!]!
  }
  return total / labels.length
}

function randomBatch(n: number, B: number, C: number, seed: number) {
  const r = Random.fromSeed(seed)
  const logits = Array.from({ length: n }, (_, i) =>
    Float32Array.from({ length: B * C }, () => (r.next() - 0.5) * 6 * (i + 1)),
  )
  const labels = Int32Array.from({ length: B }, () => r.int(C))
  return { logits, labels }
}

describe('fitLinearTeacher', () => {
  it('matches a 1001-point grid for two networks', () => {
    for (const seed of [1, 2, 3]) {
      const { logits, labels } = randomBatch(2, 8, 3, seed)
      const fit = fitLinearTeacher(logits, labels, 3)
      let best = Infinity
      for (let k = 0; k <= 1000; k++) best = Math.min(best, ce(logits, labels, 3, [k / 1000, 1 - k / 1000]))
      expect(fit.crossEntropy).toBeLessThanOrEqual(best + 1e-6)
      expect(fit.crossEntropy).toBeCloseTo(ce(logits, labels, 3, fit.alpha), 9)
    }
  })

  it('matches a fine simplex grid for three networks', () => {
    const { logits, labels } = randomBatch(3, 6, 3, 9)
    const fit = fitLinearTeacher(logits, labels, 3)
    let best = Infinity
    for (let a = 0; a <= 100; a++) {
      for (let b = 0; a + b <= 100; b++)
        best = Math.min(best, ce(logits, labels, 3, [a / 100, b / 100, 1 - (a + b) / 100]))
    }
    expect(fit.crossEntropy).toBeLessThanOrEqual(best + 1e-6)
    expect(fit.alpha.every((a) => a >= 0)).toBe(true)
    expect(fit.alpha.reduce((s, a) => s + a, 0)).toBeCloseTo(1, 12)
  })

  it('satisfies the optimality conditions on the simplex for four networks in a few iterations', () => {
    for (const seed of [11, 12, 13, 14]) {
      const { logits, labels } = randomBatch(4, 64, 10, seed)
      // make the networks partly right so the optimum is a real blend
      for (let b = 0; b < 64; b++) logits[b % 4]![b * 10 + labels[b]!]! += 8
      const fit = fitLinearTeacher(logits, labels, 10)
      expect(fit.iterations).toBeLessThanOrEqual(12)
      // KKT: the directional derivative towards every vertex e_j is ≥ 0  ⇔  g_j ≥ gᵀα for all j
      const h = 1e-6
      const grad = fit.alpha.map((_, i) => {
        const up = fit.alpha.map((a, j) => a + (i === j ? h : 0))
        const down = fit.alpha.map((a, j) => a - (i === j ? h : 0))
        return (ce(logits, labels, 10, up) - ce(logits, labels, 10, down)) / (2 * h)
      })
      const along = grad.reduce((s, g, i) => s + g * fit.alpha[i]!, 0)
      grad.forEach((g) => expect(g).toBeGreaterThanOrEqual(along - 1e-5))
      fit.alpha.forEach((a, i) => {
        if (a > 1e-6) expect(grad[i]).toBeCloseTo(along, 4) // support: equal derivatives
      })
    }
  })

  it('puts all weight on a network that is perfect and confident when the other is wrong', () => {
    const logits = [new Float32Array([5, 0, 0, 0, 5, 0]), new Float32Array([0, 5, 0, 5, 0, 0])]
    const fit = fitLinearTeacher(logits, new Int32Array([0, 1]), 3)
    expect(fit.alpha[0]).toBeCloseTo(1, 6)
  })
})

describe('fitLinearTeacher on diverged logits', () => {
  it('returns equal weights at once instead of searching', () => {
    const fit = fitLinearTeacher(
      [new Float32Array([NaN, 0, 0]), new Float32Array([1, 0, 0])],
      new Int32Array([0]),
      3,
    )
    expect(fit).toMatchObject({ alpha: [0.5, 0.5], iterations: 0 })
  })
})
