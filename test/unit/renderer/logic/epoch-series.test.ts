import { describe, expect, it } from 'vitest'
import type { EpochMetrics } from '../../../../src/shared/types'
import { fusionWeightsVary, weightSeries } from '../../../../src/renderer/src/logic/epoch-series'

function epoch(teacherWeights: number[] | null, ensembleWeights: number[]): EpochMetrics {
  const network = (index: number) => ({
    index,
    arch: 'cnn',
    trainLoss: 1,
    trainCe: 1,
    trainKd: 0,
    trainAcc: 0.5,
    valLoss: 1,
    valAcc: 0.5,
  })
  return {
    epoch: 1,
    networks: [network(0), network(1)],
    teacher: { valAcc: 0.5, weights: teacherWeights },
    ensemble: { valAcc: 0.5, weights: ensembleWeights },
    lr: 0.1,
    seconds: 1,
  }
}

describe('fusion weights', () => {
  it('are left out for a weightless teacher beside a plain-average ensemble', () => {
    expect(fusionWeightsVary([epoch(null, [0.5, 0.5]), epoch(null, [0.5, 0.5])])).toBe(false)
    expect(fusionWeightsVary([])).toBe(false)
  })

  it('are shown when the teacher weighs the networks, even while its weights are still equal', () => {
    const epochs = [epoch([0.5, 0.5], [0.5, 0.5]), epoch([0.7, 0.3], [0.5, 0.5])]
    expect(fusionWeightsVary(epochs)).toBe(true)
    expect(weightSeries(epochs).map((s) => s.values)).toEqual([
      [0.5, 0.7],
      [0.5, 0.3],
    ])
  })

  it('are shown when the recognition ensemble is weighted', () => {
    const epochs = [epoch(null, [0.5, 0.5]), epoch(null, [0.6, 0.4])]
    expect(fusionWeightsVary(epochs)).toBe(true)
    expect(weightSeries(epochs)[0]!.values).toEqual([0.5, 0.6])
  })
})
