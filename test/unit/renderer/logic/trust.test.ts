import { describe, expect, it } from 'vitest'
import {
  answersOf,
  isTrusted,
  judgeAnswers,
  NOT_CHECKED,
  trustedConfidence,
  trustWords,
  unsureWhy,
  type Answer,
} from '../../../../src/renderer/src/logic/trust'

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

describe('taking an answer in one step (Results’ “mark as”, Recognise’s Enter)', () => {
  const strong = judgeAnswers(answers([0.99, 0.985, 0.983, 0.99, 1].map((c): [number, boolean] => [c, true])))

  it('takes answers from the trusted confidence up, and none when nothing was trusted or checked', () => {
    expect(strong).toEqual({ answers: 5, from: 0.983 })
    expect(isTrusted(0.983, strong)).toBe(true)
    expect(isTrusted(0.982, strong)).toBe(false)
    expect(isTrusted(1, NOT_CHECKED)).toBe(false)
    expect(isTrusted(1, { answers: 20, from: null })).toBe(false)
  })

  it('says why not in plain words, with both figures', () => {
    expect(unsureWhy(0.99, strong)).toBeNull()
    expect(unsureWhy(0.541, strong)).toBe(
      'Not sure enough (54.1%; this run is right 9 times in 10 from 98.3%)',
    )
    expect(unsureWhy(0.99, NOT_CHECKED)).toBe(
      'Not checked (this model has no validation pictures to judge it by)',
    )
    expect(unsureWhy(0.9, { answers: 3, from: null })).toBe(
      'Not sure enough (90.0%; 3 validation pictures are too few to judge this run by)',
    )
    expect(trustWords({ answers: 40, from: null })).toBe(
      'this run is not right 9 times in 10 at any confidence on its validation pictures',
    )
  })

  it('reads the group’s answers, or one network’s own', () => {
    // [label, group's answer, its confidence, each network's answer, each one's confidence]
    const rows: [number, number, number, number[], number[]][] = [
      [0, 0, 0.8, [0, 1], [0.7, 0.6]],
      [1, 0, 0.5, [1, 0], [0.9, 0.4]],
    ]
    const evaluation = {
      images: rows.map(([label, predicted, confidence, perNetwork, perNetworkConfidence], i) => ({
        imageId: i + 1,
        label,
        predicted,
        confidence,
        perNetwork,
        perNetworkConfidence,
      })),
    }
    expect(answersOf(evaluation)).toEqual(
      answers([
        [0.8, true],
        [0.5, false],
      ]),
    )
    expect(answersOf(evaluation, 'ensemble')).toEqual(answersOf(evaluation))
    expect(answersOf(evaluation, 0)).toEqual(
      answers([
        [0.7, true],
        [0.9, true],
      ]),
    )
    expect(answersOf(evaluation, 1)).toEqual(
      answers([
        [0.6, false],
        [0.4, false],
      ]),
    )
  })
})
