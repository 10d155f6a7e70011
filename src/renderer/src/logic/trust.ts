/**
 * When a model's answer is sure enough to offer as a one-click fix ("mark as …"). Measured on the run's own
 * validation answers: the lowest confidence from which its answers were right at least 90 % of the time.
 * Below it, a fix is a guess and the view asks for a second look instead.
 */

/** the share of right answers a one-click fix needs at its confidence and above */
export const TRUSTED_SHARE = 0.9
/** fewer validation answers than this at a confidence cannot show that share */
export const MIN_ANSWERS = 5

export interface Answer {
  confidence: number
  right: boolean
}

/**
 * The lowest confidence c such that the validation answers with confidence ≥ c were at least `share` right
 * (and there were at least `minAnswers` of them); null when no confidence is trusted that much.
 */
export function trustedConfidence(
  answers: readonly Answer[],
  share = TRUSTED_SHARE,
  minAnswers = MIN_ANSWERS,
): number | null {
  const sorted = [...answers].sort((a, b) => b.confidence - a.confidence)
  let right = 0
  let trusted: number | null = null
  sorted.forEach((a, i) => {
    if (a.right) right++
    const total = i + 1
    // answers of equal confidence are all in or all out: judge only after the last of them
    const boundary = i === sorted.length - 1 || sorted[i + 1]!.confidence < a.confidence
    if (boundary && total >= minAnswers && right / total >= share) trusted = a.confidence
  })
  return trusted
}
