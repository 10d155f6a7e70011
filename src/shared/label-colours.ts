/**
 * The label colours a person can choose from (and the default ones, by label id). Each is dark enough for
 * the white text of a label chip (WCAG AA, at least 4.5:1), and 12 hues keep a dozen labels apart. Shared:
 * the store accepts only these, the renderer draws them.
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

/** Each colour's name in words, for the colour choice's accessible names. */
export const LABEL_COLOR_NAMES: Record<(typeof LABEL_COLORS)[number], string> = {
  '#2f5f8a': 'steel blue',
  '#b35900': 'orange',
  '#2e7d32': 'green',
  '#c62828': 'red',
  '#7b4f9d': 'purple',
  '#00796b': 'teal',
  '#8a6d00': 'mustard',
  '#795548': 'brown',
  '#ad1457': 'magenta',
  '#455a64': 'slate',
  '#1565c0': 'royal blue',
  '#827717': 'olive',
}

export function isLabelColor(value: string): value is (typeof LABEL_COLORS)[number] {
  return (LABEL_COLORS as readonly string[]).includes(value)
}
