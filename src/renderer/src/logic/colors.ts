/** Calm, distinguishable label colours, chosen by label id so a label keeps its colour. */
const COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#9c755f',
  '#ff9da7',
]

export function labelColor(labelId: number): string {
  return COLORS[labelId % COLORS.length]!
}
