/**
 * Label colours: the one a person chose for the label, else one by label id so a label keeps its colour.
 * The palette itself is shared with the store (src/shared/label-colours.ts).
 */
import { LABEL_COLORS } from '../../../shared/label-colours'

export { LABEL_COLORS, LABEL_COLOR_NAMES } from '../../../shared/label-colours'

/** The text colour every label chip has on its label colour. */
export const LABEL_TEXT_COLOR = '#ffffff'

export function labelColor(labelId: number, chosen: string | null = null): string {
  return chosen ?? LABEL_COLORS[labelId % LABEL_COLORS.length]!
}

/** WCAG relative luminance of a #rrggbb colour. */
export function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
}

/** WCAG contrast ratio of two #rrggbb colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number]
  return (hi + 0.05) / (lo + 0.05)
}
