import { describe, expect, it } from 'vitest'
import type { NetworkWeights } from '../../../../src/core/engine/protocol'
import { carryWeights, WarmStartError } from '../../../../src/core/training/warm-start'

/** A network of one hidden kernel [2, 2] and an output layer of `classes` columns over 3 features. */
function network(classes: number, fill: (name: string, i: number) => number): NetworkWeights {
  const names = ['conv/kernel', 'logits/kernel', 'logits/bias']
  const shapes = [[2, 2], [3, classes], [classes]]
  return {
    names,
    shapes,
    values: shapes.map((s, t) =>
      Float32Array.from({ length: s.reduce((p, q) => p * q, 1) }, (_, i) => fill(names[t]!, i)),
    ),
  }
}

describe('carryWeights: an earlier network into a new run, output columns matched by label name', () => {
  // earlier: classes [cat, dog, fox]; output kernel value = 10·row + column + 1, bias = column + 1
  const earlier = network(3, (name, i) => (name === 'conv/kernel' ? 100 + i : i + 1))
  const earlierClasses = ['cat', 'dog', 'fox']

  it('keeps every other tensor and each known class column, whatever its new index', () => {
    // now: fox was removed, bird (new) sorts first, so every known class moved
    const classes = ['bird', 'cat', 'dog']
    const fresh = network(3, () => -7)
    const out = carryWeights(fresh, earlier, earlierClasses, classes)
    expect(Array.from(out.values[0]!)).toEqual([100, 101, 102, 103])
    // earlier kernel rows: [1,2,3], [4,5,6], [7,8,9] for cat, dog, fox
    expect(Array.from(out.values[1]!)).toEqual([-7, 1, 2, -7, 4, 5, -7, 7, 8])
    expect(Array.from(out.values[2]!)).toEqual([-7, 1, 2])
    expect(out.shapes).toEqual(fresh.shapes)
  })

  it('a new class keeps its freshly initialised column; a removed one is dropped', () => {
    const classes = ['cat', 'dog', 'fox', 'owl']
    const fresh = network(4, (_, i) => 1000 + i)
    const out = carryWeights(fresh, earlier, earlierClasses, classes)
    expect(Array.from(out.values[1]!)).toEqual([1, 2, 3, 1003, 4, 5, 6, 1007, 7, 8, 9, 1011])
    expect(Array.from(out.values[2]!)).toEqual([1, 2, 3, 1003])
    const fewer = carryWeights(
      network(2, () => 0),
      earlier,
      earlierClasses,
      ['dog', 'fox'],
    )
    expect(Array.from(fewer.values[1]!)).toEqual([2, 3, 5, 6, 8, 9])
  })

  it('does not change the arrays it was given', () => {
    const fresh = network(3, () => 0)
    carryWeights(fresh, earlier, earlierClasses, ['cat', 'dog', 'fox']).values[1]![0] = 5
    expect(Array.from(fresh.values[1]!)).toEqual(new Array(9).fill(0))
    expect(earlier.values[0]![0]).toBe(100)
  })

  it('refuses a different network with a plain reason', () => {
    const fresh = { ...network(3, () => 0), shapes: [[2, 3], [3, 3], [3]] }
    fresh.values[0] = new Float32Array(6)
    expect(() => carryWeights(fresh, earlier, earlierClasses, earlierClasses)).toThrow(
      /conv\/kernel is 2×2 in the earlier network and 2×3 here/,
    )
    const shorter = {
      ...fresh,
      names: fresh.names.slice(1),
      shapes: fresh.shapes.slice(1),
      values: fresh.values.slice(1),
    }
    expect(() => carryWeights(shorter, earlier, earlierClasses, earlierClasses)).toThrow(WarmStartError)
    expect(() =>
      carryWeights(
        network(3, () => 0),
        earlier,
        ['a', 'b'],
        earlierClasses,
      ),
    ).toThrow(/does not match 2 and 3 classes/)
  })
})
