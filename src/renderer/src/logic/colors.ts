/**
 * Label colours, chosen by label id so a label keeps its colour. Each is dark enough for the white text of
 * a label chip (WCAG AA, at least 4.5:1), and 12 hues keep a dozen labels apart.
 */
export const LABEL_COLORS = [
  '#2f5f8a', // steel blue
  '#b35900', // orange
  '#2e7d32', // green
  '#c62828', // red
  '#7b4f9d', // purple
  '#00796b', // teal
  '#8a6d00', // mustard
  '#795548', // brown
  '#ad1457', // magenta
  '#455a64', // slate
  '#1565c0', // royal blue
  '#827717', // olive
] as const

/** The text colour every label chip has on its label colour. */
export const LABEL_TEXT_COLOR = '#ffffff'

export function labelColor(labelId: number): string {
  return LABEL_COLORS[labelId % LABEL_COLORS.length]!
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
