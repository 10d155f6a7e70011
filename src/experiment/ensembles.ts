/**
 * The ensemble the app recognises with: the networks' logits weighted by their final validation accuracies.
 * Each weight rule is measured on the same run (weights from the validation split, accuracy on the test set),
 * so one grid says which rule the recognition ensemble should use, beside the plain average (`equal`).
 */
import { weightedLogits } from '../core/engine/ensemble'
import { accuracy, errorsOf } from '../core/training/trainer'
import { ENSEMBLE_RULES, ensembleWeights, type EnsembleRule } from '../core/training/validation-weights'

export interface EnsembleResult {
  weights: number[]
  valAcc: number
  testAcc: number
}

export interface Predictions {
  /** per network, row-major [images, classes] */
  logits: Float32Array[]
  labels: Int32Array
}

/** Every rule's weights from `validation` (softmax with `tau`) and the weighted ensemble's accuracies. */
export function recognitionEnsembles(
  validation: Predictions,
  test: Predictions,
  classes: number,
  tau: number,
): Record<EnsembleRule, EnsembleResult> {
  const accuracies = validation.logits.map((z) => accuracy(z, validation.labels, classes))
  const errors = errorsOf(validation.logits, validation.labels, classes)
  const entries = ENSEMBLE_RULES.map((rule): [EnsembleRule, EnsembleResult] => {
    const weights = ensembleWeights(rule, { accuracies, errors }, tau)
    return [
      rule,
      {
        weights,
        valAcc: accuracy(weightedLogits(validation.logits, weights), validation.labels, classes),
        testAcc: accuracy(weightedLogits(test.logits, weights), test.labels, classes),
      },
    ]
  })
  return Object.fromEntries(entries) as Record<EnsembleRule, EnsembleResult>
}
