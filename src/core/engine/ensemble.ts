/** The group's answer: the networks' logits weighed together, as validation measures it and recognition gives it. */

/** Σ wᵢ zᵢ over the networks' logits, row by row. */
export function weightedLogits(logits: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const out = new Float32Array(logits[0]!.length)
  logits.forEach((z, i) => {
    const w = weights[i]!
    for (let k = 0; k < z.length; k++) out[k]! += w * z[k]!
  })
  return out
}
