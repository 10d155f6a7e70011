import { describe, expect, it } from 'vitest'
import { learnsFrom } from '../../../../src/renderer/src/logic/words'

const label = (count: number, trainCount: number, validationCount: number, unassignedCount = 0) => ({
  count,
  trainCount,
  validationCount,
  unassignedCount,
})

describe('what a run learns from, in words', () => {
  it('counts the training and validation pictures of every label, and says nothing is left out', () => {
    expect(learnsFrom([label(10, 8, 2), label(5, 4, 1)])).toBe(
      'Learns from 12 pictures and checks itself on 3 more. No labelled picture is left out.',
    )
  })

  it('names the test pictures kept apart and the labelled pictures in no split', () => {
    expect(learnsFrom([label(12, 6, 2, 1), label(10, 6, 2, 0)])).toBe(
      'Learns from 12 pictures and checks itself on 4 more. 5 test pictures stay apart for your own check. Leaves out 1 labelled picture in no split.',
    )
    expect(learnsFrom([label(4, 1, 1, 1)])).toBe(
      'Learns from 1 picture and checks itself on 1 more. 1 test picture stays apart for your own check. Leaves out 1 labelled picture in no split.',
    )
  })
})
