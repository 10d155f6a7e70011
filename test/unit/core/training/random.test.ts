import { describe, expect, it } from 'vitest'
import { Random, RandomStateError } from '../../../../src/core/training/random'

describe('Random', () => {
  it('matches the xoshiro128** reference output (C code by Blackman & Vigna, state 1,2,3,4)', () => {
    const r = Random.restore([1, 2, 3, 4])
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ])
  })

  it('gives the same stream for the same seed and different streams per network', () => {
    const a = Random.stream(7, 0)
    const b = Random.stream(7, 0)
    const c = Random.stream(7, 1)
    const d = Random.stream(8, 0)
    const take = (r: Random) => Array.from({ length: 8 }, () => r.nextUint32())
    const xa = take(a)
    expect(take(b)).toEqual(xa)
    expect(take(c)).not.toEqual(xa)
    expect(take(d)).not.toEqual(xa)
    expect(take(Random.fromSeed(7))).toEqual(xa)
  })

  it('resumes the exact stream from a saved state', () => {
    const r = Random.stream(42, 3)
    for (let i = 0; i < 10; i++) r.next()
    const saved = r.state()
    const expected = Array.from({ length: 20 }, () => r.next())
    const resumed = Random.restore(JSON.parse(JSON.stringify(saved)))
    expect(Array.from({ length: 20 }, () => resumed.next())).toEqual(expected)
  })

  it('next() is in [0,1) with a mean near 1/2; int(n) covers 0…n−1 evenly', () => {
    const r = Random.fromSeed(1)
    let sum = 0
    let lo = 1
    let hi = 0
    const counts = [0, 0, 0, 0, 0, 0, 0]
    for (let i = 0; i < 70_000; i++) {
      const x = r.next()
      lo = Math.min(lo, x)
      hi = Math.max(hi, x)
      sum += x
      counts[r.int(7)]!++
    }
    expect(lo).toBeGreaterThanOrEqual(0)
    expect(hi).toBeLessThan(1)
    expect(sum / 70_000).toBeCloseTo(0.5, 2)
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400)
  })

  it('shuffle is a permutation and depends on the seed', () => {
    const items = Array.from({ length: 50 }, (_, i) => i)
    const a = Random.fromSeed(3).shuffle([...items])
    expect([...a].sort((x, y) => x - y)).toEqual(items)
    expect(a).not.toEqual(items)
    expect(Random.fromSeed(3).shuffle([...items])).toEqual(a)
    expect(Random.fromSeed(4).shuffle([...items])).not.toEqual(a)
  })

  it('rejects bad seeds and states with a clear message', () => {
    expect(() => Random.fromSeed(-1)).toThrow(/seed must be a whole number/)
    expect(() => Random.fromSeed(1.5)).toThrow(RandomStateError)
    expect(() => Random.restore([0, 0, 0, 0])).toThrow(/all zeros/)
    expect(() => Random.restore([1, 2, 3] as unknown as [number, number, number, number])).toThrow(
      /four whole/,
    )
    expect(() => Random.fromSeed(1).int(0)).toThrow(/between 1 and/)
  })
})
