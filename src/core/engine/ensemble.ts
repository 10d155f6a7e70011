/** The group's answer: the networks' logits weighed together, as validation measures it and recognition gives it. */
import { answerWeights } from '../../shared/learning'

/** Σ wᵢ zᵢ over the networks' logits, row by row. */
export function weightedLogits(logits: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const out = new Float32Array(logits[0]!.length)
  logits.forEach((z, i) => {
    const w = weights[i]!
    for (let k = 0; k < z.length; k++) out[k]! += w * z[k]!
  })
  return out
}

/**
 * The weights the app answers with from a model's metadata: its saved weights, with no say for a network that
 * did not learn (src/shared/learning.ts; models saved before that rule may still give it one).
 */
export function metadataAnswerWeights(metadata: {
  classNames: readonly string[]
  networks: readonly { valAcc: number | null }[]
  ensemble: { weights: readonly number[] }
}): number[] {
  return answerWeights(
    metadata.ensemble.weights,
    metadata.networks.map((n) => n.valAcc),
    metadata.classNames.length,
  )
}
