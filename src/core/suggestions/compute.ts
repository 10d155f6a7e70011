/**
 * A trained group's suggestions for pictures of its dataset: recognition's own decode and batch inference
 * (every network and the validation-weighted ensemble), kept whole per network so the orderings can measure
 * the networks' disagreement later without running them again.
 */
import type { ModelBundle } from '../engine/model-metadata'
import { readInputPixels, recogniseSources } from '../recognition/recognise'
import type { SuggestionRow } from '../store/suggestions'
import { ensembleAnswer } from './ordering'

export interface SuggestOptions {
  signal?: AbortSignal
  onProgress?: (progress: { done: number; total: number }) => void
}

/** Every class's probability, in the model's class order, from a full top-k list. */
function fullRow(
  predictions: readonly { label: string; probability: number }[],
  classNames: readonly string[],
) {
  const row = new Float32Array(classNames.length)
  for (const p of predictions) row[classNames.indexOf(p.label)] = p.probability
  return row
}

/** The group's answer for each picture, in the pictures' order (an unreadable one gets its reason). */
export async function suggestLabels(
  bundle: ModelBundle,
  pictures: readonly { id: number; path: string }[],
  options: SuggestOptions = {},
): Promise<SuggestionRow[]> {
  const { classNames } = bundle.metadata
  const classes = classNames.length
  const report = await recogniseSources(
    bundle,
    pictures.map((p) => ({ path: p.path, pixels: () => readInputPixels(p.path, bundle.metadata) })),
    { ...options, network: 'ensemble', perNetwork: true, topK: classes },
  )
  // recognition keeps the sources' order, one result per source
  return report.results.map((result, k): SuggestionRow => {
    const imageId = pictures[k]!.id
    if ('error' in result) {
      return { imageId, label: null, confidence: 0, agree: false, probabilities: null, error: result.error }
    }
    const perNetwork = (result.perNetwork ?? []).map((n) => fullRow(n.predictions, classNames))
    const [answer] = ensembleAnswer(perNetwork, classes, fullRow(result.predictions, classNames))
    const probabilities = new Float32Array(perNetwork.length * classes)
    perNetwork.forEach((row, i) => probabilities.set(row, i * classes))
    return {
      imageId,
      label: classNames[answer!.label]!,
      confidence: answer!.confidence,
      agree: answer!.agree,
      probabilities,
      error: null,
    }
  })
}
