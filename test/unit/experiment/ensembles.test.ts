import { describe, expect, it } from 'vitest'
import { recognitionEnsembles } from '../../../src/experiment/ensembles'
import { ENSEMBLE_RULES } from '../../../src/core/training/validation-weights'

/** Logits for two classes that put `right` of the images on their label (the rest on the other class). */
function logits(labels: number[], right: boolean[], margin = 1): Float32Array {
  return Float32Array.from(
    labels.flatMap((y, n) => {
      const c = right[n] ? y : 1 - y
      return c === 0 ? [margin, 0] : [0, margin]
    }),
  )
}

describe('recognitionEnsembles', () => {
  // 8 validation images: network A gets 7 right, network B 4 right
  const valLabels = [0, 1, 0, 1, 0, 1, 0, 1]
  const a = [true, true, true, true, true, true, true, false]
  const b = [true, false, true, false, true, false, true, false]
  const validation = {
    logits: [logits(valLabels, a), logits(valLabels, b)],
    labels: Int32Array.from(valLabels),
  }
  // 4 test images where A is right and B, more confident, is wrong on two: the plain average follows B there
  const testLabels = [0, 1, 0, 1]
  const test = {
    logits: [logits(testLabels, [true, true, true, true]), logits(testLabels, [false, false, true, true], 3)],
    labels: Int32Array.from(testLabels),
  }

  it('measures every rule on the same predictions, weights from validation, accuracy on test', () => {
    const result = recognitionEnsembles(validation, test, 2, 0.01)
    expect(Object.keys(result)).toEqual([...ENSEMBLE_RULES])
    for (const rule of ENSEMBLE_RULES) {
      const { weights } = result[rule]
      expect(weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 9)
      expect(weights.every((w) => w >= 0)).toBe(true)
    }
    expect(result.equal.weights).toEqual([0.5, 0.5])
    expect(result.equal.testAcc).toBe(0.5)
    // 7/8 vs 4/8 with τ = 0.01: all weight on A, which is right on every test image
    expect(result.softmax.weights[0]).toBeGreaterThan(0.99)
    expect(result.softmax.testAcc).toBe(1)
    expect(result.softmax.valAcc).toBe(7 / 8)
    expect(result.proportional.weights[0]).toBeCloseTo(7 / 11, 9)
  })

  it('uses τ for the softmax rule only', () => {
    const soft = recognitionEnsembles(validation, test, 2, 10)
    expect(soft.softmax.weights[0]).toBeLessThan(0.51)
    expect(soft['standard-error'].weights).toEqual(
      recognitionEnsembles(validation, test, 2, 0.01)['standard-error'].weights,
    )
  })
})
