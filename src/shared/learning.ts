/**
 * When a network "did not learn", and what say it then has in the app's answer. One rule for the trainer
 * (the ensemble it measures and saves), recognition (Recognise, Results, eval) and the views that flag it.
 *
 * A network did not learn when its validation accuracy is below chance (1 / classes) plus a margin: half of
 * chance (so "within 1.5× chance", e.g. below 15 % of 10 labels), but never more than 10 points (so with 2–4
 * labels a network clearly better than guessing still counts: 2 labels need 60 %, not 75 %). 10 points is
 * about two standard errors of a guesser's accuracy on 100 validation pictures (2·√(0.25/100)), so a
 * network that guesses clears it by luck about 2 % of the time.
 */

/** The validation accuracy a network must reach to count as having learned, for `classes` labels. */
export function learnedThreshold(classes: number): number {
  const chance = 1 / classes
  return chance + Math.min(chance / 2, 0.1)
}

/** Whether a network with this validation accuracy did not learn; unknown (null) accuracy is not judged. */
export function didNotLearn(valAcc: number | null | undefined, classes: number): boolean {
  // the tolerance keeps an accuracy exactly at the threshold (15 of 100) from losing to rounding
  return valAcc !== null && valAcc !== undefined && classes >= 2 && valAcc < learnedThreshold(classes) - 1e-9
}

/**
 * The weights of the app's answer: the networks that did not learn get none, when at least one network
 * learned; the others keep their weights, renormalised (equal among them if theirs were all zero). When no
 * network learned, the weights stay as they are: nothing better is known.
 */
export function answerWeights(
  weights: readonly number[],
  accuracies: readonly (number | null)[],
  classes: number,
): number[] {
  const learned = accuracies.map((a) => !didNotLearn(a, classes))
  if (!learned.includes(true) || !learned.includes(false)) return [...weights]
  const kept = weights.map((w, i) => (learned[i] ? w : 0))
  const sum = kept.reduce((s, w) => s + w, 0)
  if (sum > 0) return kept.map((w) => w / sum)
  const count = learned.filter(Boolean).length
  return learned.map((l) => (l ? 1 / count : 0))
}
