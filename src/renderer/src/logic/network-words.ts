/**
 * A network in plain words for the Train form: its size (parameters) and speed (work per picture), each
 * relative to the smallest and cheapest network on offer at the chosen picture size.
 */
export interface NetworkFigures {
  name: string
  params: number
  flops: number
}

function grade(value: number, least: number, words: readonly [string, string, string]): string {
  const ratio = value / Math.max(least, 1)
  // within 2× of the least is the first word, within 8× the second, beyond the third
  return ratio <= 2 ? words[0] : ratio <= 8 ? words[1] : words[2]
}

/** "small · fast", "medium · slower", … for each network, by name. */
export function sizeAndSpeed(networks: readonly NetworkFigures[]): Record<string, string> {
  const leastParams = Math.min(...networks.map((n) => n.params))
  const leastFlops = Math.min(...networks.map((n) => n.flops))
  return Object.fromEntries(
    networks.map((n) => [
      n.name,
      `${grade(n.params, leastParams, ['small', 'medium', 'large'])} · ${grade(n.flops, leastFlops, ['fast', 'slower', 'slowest'])}`,
    ]),
  )
}
