import { describe, expect, it } from 'vitest'
import { answerWeights, didNotLearn, learnedThreshold } from '../../../src/shared/learning'
import { metadataAnswerWeights } from '../../../src/core/engine/ensemble'

describe('a network that did not learn', () => {
  it('is below 1.5× chance, at most 10 points above chance', () => {
    expect(learnedThreshold(10)).toBeCloseTo(0.15, 10) // 1.5 × 10 %
    expect(learnedThreshold(5)).toBeCloseTo(0.3, 10) // 1.5 × 20 %, also 20 % + 10 points
    expect(learnedThreshold(2)).toBeCloseTo(0.6, 10) // not 75 %: 65 % of 2 labels is learning
    expect(learnedThreshold(3)).toBeCloseTo(1 / 3 + 0.1, 10)
  })

  it('flags a network at chance, not one clearly above it; an unknown accuracy is not judged', () => {
    expect(didNotLearn(0.1, 10)).toBe(true) // a mobilenet on a tiny set, at chance
    expect(didNotLearn(0.149, 10)).toBe(true)
    expect(didNotLearn(0.15, 10)).toBe(false)
    expect(didNotLearn(0.82, 10)).toBe(false)
    expect(didNotLearn(0.55, 2)).toBe(true)
    expect(didNotLearn(0.65, 2)).toBe(false)
    expect(didNotLearn(null, 10)).toBe(false)
  })
})

describe('the app’s answer', () => {
  it('gives a network that did not learn no say, renormalising the others', () => {
    expect(answerWeights([0.5, 0.5], [0.9, 0.1], 10)).toEqual([1, 0])
    const w = answerWeights([0.2, 0.3, 0.5], [0.8, 0.12, 0.7], 10)
    expect(w[1]).toBe(0)
    expect(w[0]).toBeCloseTo(0.2 / 0.7, 10)
    expect(w[2]).toBeCloseTo(0.5 / 0.7, 10)
  })

  it('shares equally among the learned when their own weights were all zero', () => {
    expect(answerWeights([0, 0, 1], [0.8, 0.7, 0.1], 10)).toEqual([0.5, 0.5, 0])
  })

  it('keeps the weights when every network learned, or when none did (nothing better is known)', () => {
    expect(answerWeights([0.4, 0.6], [0.8, 0.9], 10)).toEqual([0.4, 0.6])
    expect(answerWeights([0.4, 0.6], [0.1, 0.12], 10)).toEqual([0.4, 0.6])
  })

  it('applies to a model saved before the rule: its metadata’s equal weights drop the network at chance', () => {
    const metadata = {
      classNames: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
      networks: [{ valAcc: 0.84 }, { valAcc: 0.1 }],
      ensemble: { weights: [0.5, 0.5] },
    }
    expect(metadataAnswerWeights(metadata)).toEqual([1, 0])
  })
})
