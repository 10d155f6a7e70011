import { describe, expect, it } from 'vitest'
import {
  contrastRatio,
  LABEL_COLORS,
  LABEL_TEXT_COLOR,
  labelColor,
} from '../../../../src/renderer/src/logic/colors'

describe('label colours', () => {
  it('measures contrast as WCAG does', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5)
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1)
    expect(contrastRatio('#edc948', '#ffffff')).toBeCloseTo(1.6, 1) // the old yellow chip
  })

  it('every colour holds its chip’s white text at WCAG AA (4.5:1 or more)', () => {
    for (const color of LABEL_COLORS) {
      expect({ color, ratio: contrastRatio(color, LABEL_TEXT_COLOR) >= 4.5 }).toEqual({ color, ratio: true })
    }
  })

  it('more than 9 labels get distinct colours, and a label keeps its colour', () => {
    const colours = Array.from({ length: 12 }, (_, id) => labelColor(id))
    expect(new Set(colours).size).toBe(12)
    expect(labelColor(5)).toBe(labelColor(5))
  })
})
