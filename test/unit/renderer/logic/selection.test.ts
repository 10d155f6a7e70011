import { describe, expect, it } from 'vitest'
import {
  advanceIndex,
  clickKind,
  moveIndex,
  rangeBetween,
  toggled,
} from '../../../../src/renderer/src/logic/selection'

describe('selection rules', () => {
  it('reads the click kind from the modifier keys', () => {
    const none = { shiftKey: false, ctrlKey: false, metaKey: false }
    expect(clickKind(none)).toBe('single')
    expect(clickKind({ ...none, shiftKey: true })).toBe('range')
    expect(clickKind({ ...none, ctrlKey: true })).toBe('toggle')
    expect(clickKind({ ...none, metaKey: true })).toBe('toggle')
    expect(clickKind({ ...none, shiftKey: true, ctrlKey: true })).toBe('range')
  })

  it('ranges run either way from the anchor, which defaults to the click', () => {
    expect(rangeBetween(2, 6)).toEqual([2, 6])
    expect(rangeBetween(6, 2)).toEqual([2, 6])
    expect(rangeBetween(null, 4)).toEqual([4, 4])
  })

  it('toggles without changing the original set', () => {
    const ids = new Set([1, 2])
    expect([...toggled(ids, 2)]).toEqual([1])
    expect([...toggled(ids, 3)]).toEqual([1, 2, 3])
    expect([...ids]).toEqual([1, 2])
  })

  it('moves by one or by a row, staying inside the images', () => {
    expect(moveIndex(null, 'right', 5, 12)).toBe(0)
    expect(moveIndex(3, 'right', 5, 12)).toBe(4)
    expect(moveIndex(3, 'down', 5, 12)).toBe(8)
    expect(moveIndex(8, 'down', 5, 12)).toBe(8) // no row below column 3 of the last row
    expect(moveIndex(3, 'up', 5, 12)).toBe(3)
    expect(moveIndex(0, 'left', 5, 12)).toBe(0)
    expect(moveIndex(11, 'right', 5, 12)).toBe(11)
    expect(moveIndex(2, 'left', 5, 0)).toBeNull()
  })

  it('advances to the next image, which slid into place when the labelled one left the filter', () => {
    expect(advanceIndex(3, 10, true)).toBe(4)
    expect(advanceIndex(3, 9, false)).toBe(3)
    expect(advanceIndex(9, 10, true)).toBe(9) // the last image stays selected
    expect(advanceIndex(4, 4, false)).toBe(3) // the last unlabelled one was labelled: step back
    expect(advanceIndex(0, 0, false)).toBeNull()
  })
})
