import { describe, expect, it } from 'vitest'
import { MAX_PEER_SPREAD_PERCENT, median, ratioOf, spreadOf } from '../../../bench/spread'

describe('bench spread', () => {
  it('takes the fastest, the slowest and their spread in per cent of the fastest', () => {
    expect(spreadOf([120, 100, 110])).toEqual({ fastest: 100, slowest: 120, spreadPercent: 20 })
    expect(spreadOf([42])).toEqual({ fastest: 42, slowest: 42, spreadPercent: 0 })
  })

  it('rejects no measurements and non-positive times with a message', () => {
    expect(() => spreadOf([])).toThrow(/no measurements/)
    expect(() => spreadOf([10, 0])).toThrow(/positive times/)
    expect(() => spreadOf([10, Number.NaN])).toThrow(/positive times/)
  })

  it('medians odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it("divides Cohort's time by the peer's fastest process when the processes agree", () => {
    const r = ratioOf(270, [90, 100, 110])
    expect(r.ratio).toBeCloseTo(3, 10)
    expect(r.reason).toBeUndefined()
  })

  it('gives a ratio at exactly the limit and refuses just above it', () => {
    expect(ratioOf(200, [100, 100 + MAX_PEER_SPREAD_PERCENT]).ratio).toBeCloseTo(2, 10)
    const refused = ratioOf(200, [100, 131, 105])
    expect(refused.ratio).toBeNull()
    expect(refused.reason).toMatch(/disagree by 31 %/)
    expect(refused.reason).toMatch(/100\.0–131\.0 ms/)
  })

  it("refuses the issue's case: PyTorch swinging between 36 and 110 ms", () => {
    expect(ratioOf(270, [36, 110, 80]).ratio).toBeNull()
  })

  it('refuses a ratio from a single peer process', () => {
    const r = ratioOf(270, [90])
    expect(r.ratio).toBeNull()
    expect(r.reason).toMatch(/only 1 peer process/)
  })

  it('honours a different limit', () => {
    expect(ratioOf(100, [50, 60], 10).ratio).toBeNull()
    expect(ratioOf(100, [50, 60], 25).ratio).toBeCloseTo(2, 10)
  })
})
