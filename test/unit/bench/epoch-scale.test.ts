import { describe, expect, it } from 'vitest'
import { FULL_EPOCH_STEPS, fullEpochSeconds } from '../../../bench/epoch-scale'

describe('bench epoch scaling', () => {
  it('is 430 steps of 128 for 55,000 pictures', () => {
    expect(FULL_EPOCH_STEPS).toBe(430)
  })

  it('keeps a full epoch as measured', () => {
    expect(fullEpochSeconds({ seconds: 300, afterFirstStepSeconds: 298, steps: 430 }, 55_000)).toBe(300)
  })

  it("scales a short run's steps after the first, leaving out its warm-up", () => {
    // 4 steps: a 2 s warm-up, then 0.1 s each → 430 × 0.1 s, not 100 × 2.3 s
    expect(fullEpochSeconds({ seconds: 2.3, afterFirstStepSeconds: 0.3, steps: 4 }, 512)).toBeCloseTo(43, 10)
  })

  it('refuses to scale a single step', () => {
    expect(() => fullEpochSeconds({ seconds: 2, afterFirstStepSeconds: 0, steps: 1 }, 100)).toThrow(/2 steps/)
  })
})
