import { describe, expect, it } from 'vitest'
import { trustedConfidence, type Answer } from '../../../../src/renderer/src/logic/trust'

const answers = (list: [number, boolean][]): Answer[] =>
  list.map(([confidence, right]) => ({ confidence, right }))

describe('the confidence a one-click fix needs', () => {
  it('is the lowest confidence from which the validation answers were at least 90 % right', () => {
    // 10 answers at 0.9–0.99 all right; below, the share falls: 10/11 at 0.6 (90.9 %), 10/12 at 0.5
    const list = answers([
      ...Array.from({ length: 10 }, (_, i): [number, boolean] => [0.9 + i / 100, true]),
      [0.6, false],
      [0.5, false],
      [0.4, true],
    ])
    expect(trustedConfidence(list)).toBe(0.6)
  })

  it('is null for a weak model: no confidence was right 90 % of the time', () => {
    const weak = answers([
      [0.95, true],
      [0.9, false],
      [0.85, true],
      [0.8, false],
      [0.7, true],
      [0.6, false],
    ])
    expect(trustedConfidence(weak)).toBeNull()
  })

  it('needs at least 5 answers: 3 right answers prove nothing', () => {
    expect(
      trustedConfidence(
        answers([
          [0.99, true],
          [0.98, true],
          [0.97, true],
        ]),
      ),
    ).toBeNull()
  })

  it('judges answers of equal confidence together', () => {
    // 5 right at 0.9, then two at 0.8 of which one is wrong: 6/7 = 86 % at 0.8, so 0.9 stays the bar
    const list = answers([
      ...Array.from({ length: 5 }, (): [number, boolean] => [0.9, true]),
      [0.8, true],
      [0.8, false],
    ])
    expect(trustedConfidence(list)).toBe(0.9)
  })

  it('trusts every answer of a model that was always right', () => {
    expect(
      trustedConfidence(answers([0.3, 0.5, 0.7, 0.8, 0.9].map((c): [number, boolean] => [c, true]))),
    ).toBe(0.3)
  })
})
