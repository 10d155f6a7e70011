import { describe, expect, it } from 'vitest'
import { solveLinearSystem } from '../../../../src/core/training/solve'

describe('solveLinearSystem', () => {
  it('solves a hand-computed system that needs pivoting', () => {
    // 0·x + 2y = 4, 3x + y = 5  →  y = 2, x = 1
    const x = solveLinearSystem(
      [
        [0, 2],
        [3, 1],
      ],
      [4, 5],
    )!
    expect(x[0]).toBeCloseTo(1, 12)
    expect(x[1]).toBeCloseTo(2, 12)
  })

  it('returns null for a singular system', () => {
    expect(
      solveLinearSystem(
        [
          [1, 2],
          [2, 4],
        ],
        [1, 2],
      ),
    ).toBeNull()
  })
})
