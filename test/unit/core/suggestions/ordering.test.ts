import { describe, expect, it } from 'vitest'
import {
  disagreements,
  ensembleAnswer,
  orderPictures,
  OrderingError,
} from '../../../../src/core/suggestions/ordering'
import { Random } from '../../../../src/core/training/random'

/** Rows of probabilities (one array per picture) as one row-major Float32Array. */
const rows = (r: number[][]) => Float32Array.from(r.flat())
const isPermutation = (order: number[], n: number) =>
  order.length === n && new Set(order).size === n && order.every((i) => i >= 0 && i < n)

describe('orderPictures: informative', () => {
  it('puts the picture the networks dispute first, then a mild disagreement, then the agreed ones', () => {
    // picture 2: networks vote for different labels; picture 0: same vote, different confidence
    const a = rows([
      [0.9, 0.05, 0.05],
      [0.05, 0.9, 0.05],
      [0.8, 0.1, 0.1],
      [0.1, 0.1, 0.8],
    ])
    const b = rows([
      [0.55, 0.4, 0.05],
      [0.05, 0.9, 0.05],
      [0.1, 0.8, 0.1],
      [0.1, 0.1, 0.8],
    ])
    const order = orderPictures('informative', { probabilities: [a, b], classes: 3, seed: 1 })
    expect(order[0]).toBe(2)
    expect(order[1]).toBe(0)
    expect(isPermutation(order, 4)).toBe(true)
    const d = disagreements([a, b], 3)
    expect(d[2]!.voteEntropy).toBeCloseTo(Math.log(2), 6)
    expect(d[0]!.voteEntropy).toBe(0)
    expect(d[0]!.meanKl).toBeGreaterThan(d[1]!.meanKl)
    expect(d[1]!.meanKl).toBeCloseTo(0, 6)
  })

  it('with one network, orders by its uncertainty (most uncertain first)', () => {
    const p = rows([
      [0.98, 0.01, 0.01],
      [0.34, 0.33, 0.33],
      [0.7, 0.2, 0.1],
    ])
    expect(orderPictures('informative', { probabilities: [p], classes: 3, seed: 0 })).toEqual([1, 2, 0])
  })
})

describe('orderPictures: random', () => {
  it('is a permutation, reproducible from its seed and different for another seed', () => {
    const p = new Float32Array(100 * 2).fill(0.5)
    const one = orderPictures('random', { probabilities: [p], classes: 2, seed: 7 })
    expect(isPermutation(one, 100)).toBe(true)
    expect(orderPictures('random', { probabilities: [p], classes: 2, seed: 7 })).toEqual(one)
    expect(orderPictures('random', { probabilities: [p], classes: 2, seed: 8 })).not.toEqual(one)
    expect(one).not.toEqual(Array.from({ length: 100 }, (_, i) => i))
  })
})

describe('orderPictures: typical', () => {
  /** 2-D points: a dense blob A around (0,0), a loose blob B around (10,10), a few far outliers. */
  function blobs(seed: number) {
    const random = Random.fromSeed(seed)
    const points: { x: number; y: number; group: 'A' | 'B' | 'outlier' }[] = []
    for (let i = 0; i < 200; i++)
      points.push({ x: random.uniform(-1, 1), y: random.uniform(-1, 1), group: 'A' })
    for (let i = 0; i < 40; i++)
      points.push({ x: 10 + random.uniform(-3, 3), y: 10 + random.uniform(-3, 3), group: 'B' })
    for (let i = 0; i < 5; i++) points.push({ x: -30 + 12 * i, y: 40 - 9 * i, group: 'outlier' })
    random.shuffle(points)
    return points
  }

  it('starts in the dense region at a crowded picture, reaches the second blob early and leaves outliers late', () => {
    const points = blobs(3)
    const features = Float32Array.from(points.flatMap((p) => [p.x, p.y]))
    const probabilities = [new Float32Array(points.length).fill(1)]
    const order = orderPictures('typical', { probabilities, classes: 1, features, dims: 2, seed: 5 })
    expect(isPermutation(order, points.length)).toBe(true)
    const first = points[order[0]!]!
    expect(first.group).toBe('A')
    // denser than most pictures: its 20 nearest neighbours are closer than the median picture's
    const crowding = (q: { x: number; y: number }) => {
      const d = points.map((r) => Math.hypot(r.x - q.x, r.y - q.y)).sort((a, b) => a - b)
      return d.slice(1, 21).reduce((s, v) => s + v, 0)
    }
    const all = points.map(crowding).sort((a, b) => a - b)
    expect(crowding(first)).toBeLessThan(all[Math.floor(all.length / 2)]!)
    const early = order.slice(0, 60).map((i) => points[i]!.group)
    expect(early).toContain('B')
    expect(early.filter((g) => g === 'A').length).toBeGreaterThan(early.filter((g) => g === 'B').length)
    const lastOutlier = Math.max(...order.map((i, rank) => (points[i]!.group === 'outlier' ? rank : -1)))
    expect(lastOutlier).toBeGreaterThan(points.length / 2)
    // reproducible from the seed
    expect(orderPictures('typical', { probabilities, classes: 1, features, dims: 2, seed: 5 })).toEqual(order)
  })

  it('uses the networks’ mean probabilities as features when none are given', () => {
    // 30 pictures confidently of label 0 and one unsure picture: the confident crowd is the typical one
    const p = rows([...Array.from({ length: 30 }, () => [0.95, 0.05]), [0.5, 0.5]])
    const order = orderPictures('typical', { probabilities: [p], classes: 2, seed: 1 })
    expect(order[0]).not.toBe(30)
    expect(isPermutation(order, 31)).toBe(true)
  })

  it('orders 10,000 pictures of 10-dimensional features within a couple of seconds', () => {
    const random = Random.fromSeed(11)
    const n = 10_000
    const features = Float32Array.from({ length: n * 10 }, () => random.next())
    const probabilities = [new Float32Array(n * 10).fill(0.1)]
    const started = performance.now()
    const order = orderPictures('typical', { probabilities, classes: 10, features, dims: 10, seed: 2 })
    const seconds = (performance.now() - started) / 1000
    expect(isPermutation(order, n)).toBe(true)
    expect(seconds).toBeLessThan(5)
  })
})

describe('ensembleAnswer', () => {
  it('gives the ensemble’s label and confidence, and whether every network agrees', () => {
    const a = rows([
      [0.7, 0.3],
      [0.4, 0.6],
    ])
    const b = rows([
      [0.9, 0.1],
      [0.6, 0.4],
    ])
    const answers = ensembleAnswer([a, b], 2)
    expect(answers[0]!.label).toBe(0)
    expect(answers[0]!.confidence).toBeCloseTo(0.8, 6)
    expect(answers[0]!.agree).toBe(true)
    expect(answers[1]!.agree).toBe(false)
    // the ensemble's own probabilities (e.g. weighted logits) win over the plain mean
    const weighted = rows([
      [0.2, 0.8],
      [0.3, 0.7],
    ])
    const own = ensembleAnswer([a, b], 2, weighted)
    expect(own[0]).toEqual({ label: 1, confidence: expect.closeTo(0.8, 6), agree: false })
    expect(own[1]!.label).toBe(1)
  })
})

describe('bad input', () => {
  it('says what is wrong', () => {
    const p = new Float32Array(6)
    expect(() => orderPictures('informative', { probabilities: [], classes: 3, seed: 0 })).toThrow(
      /at least one network/,
    )
    expect(() =>
      orderPictures('informative', { probabilities: [p, new Float32Array(3)], classes: 3, seed: 0 }),
    ).toThrow(/Network 1 answered for 1 pictures, network 0 for 2/)
    expect(() => orderPictures('random', { probabilities: [p], classes: 4, seed: 0 })).toThrow(OrderingError)
    expect(() =>
      orderPictures('typical', {
        probabilities: [p],
        classes: 3,
        features: new Float32Array(5),
        dims: 2,
        seed: 0,
      }),
    ).toThrow(/5 feature values are not 2 pictures × 2 dimensions/)
    expect(() => orderPictures('best' as never, { probabilities: [p], classes: 3, seed: 0 })).toThrow(
      /There is no ordering "best"; the orderings are informative, typical, random/,
    )
  })
})
