import { describe, expect, it } from 'vitest'
import { fitLinearTeacher, projectOntoSimplex } from '../../../../src/core/training/linear-fit'
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

describe('projectOntoSimplex', () => {
  it('gives hand-computed projections', () => {
    expect(projectOntoSimplex([0.2, 0.3, 0.5])).toEqual([0.2, 0.3, 0.5]) // already on it
    expect(projectOntoSimplex([2, 0])).toEqual([1, 0])
    expect(projectOntoSimplex([1, 1])).toEqual([0.5, 0.5])
    // θ = (0.9 + 0.5 − 1)/2 = 0.2 → (0.7, 0.3, 0)
    projectOntoSimplex([0.9, 0.5, -1]).forEach((v, i) => expect(v).toBeCloseTo([0.7, 0.3, 0][i]!, 12))
  })

  it('is the nearest simplex point (no random simplex point is closer)', () => {
    const r = Random.fromSeed(5)
    for (let trial = 0; trial < 20; trial++) {
      const v = [0, 0, 0, 0].map(() => (r.next() - 0.5) * 4)
      const p = projectOntoSimplex(v)
      expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12)
      const dist = (q: number[]) => q.reduce((s, x, i) => s + (x - v[i]!) ** 2, 0)
      for (let k = 0; k < 50; k++) {
        const q = [r.next(), r.next(), r.next(), r.next()]
        const s = q.reduce((a, b) => a + b, 0)
        expect(dist(p)).toBeLessThanOrEqual(dist(q.map((x) => x / s)) + 1e-12)
      }
    }
  })
})

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
