/**
 * When a model's answer is sure enough to offer as a one-click fix ("mark as …"). Measured on the run's own
 * validation answers: the lowest confidence from which its answers were right at least 90 % of the time.
 * Below it, a fix is a guess and the view asks for a second look instead; Recognise's Enter follows the same rule.
 */
import { percent } from './epoch-series'
import type { NetworkChoice, SplitEvaluation } from '../../../shared/types'

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

/** What a run's validation answers say about its answers, the one rule Results and Recognise both follow. */
export interface Trust {
  /** the validation answers judged; 0 when there was nothing to judge by (an imported model, no validation) */
  answers: number
  /** the lowest trusted confidence (trustedConfidence); null when none is */
  from: number | null
}

/** Nothing to judge by: no answer is trusted, and the views say "Not checked". */
export const NOT_CHECKED: Trust = { answers: 0, from: null }

/** The answers of the group (or of one network) on a split, as the rule reads them. */
export function answersOf(
  evaluation: Pick<SplitEvaluation, 'images'>,
  network: NetworkChoice = 'ensemble',
): Answer[] {
  return evaluation.images.map((i) =>
    network === 'ensemble'
      ? { confidence: i.confidence, right: i.predicted === i.label }
      : { confidence: i.perNetworkConfidence[network] ?? 0, right: i.perNetwork[network] === i.label },
  )
}

export function judgeAnswers(answers: readonly Answer[]): Trust {
  return { answers: answers.length, from: trustedConfidence(answers) }
}

/** Whether an answer this sure may be taken in one step (a "mark as" click, Enter in Recognise). */
export function isTrusted(confidence: number, trust: Trust): boolean {
  return trust.from !== null && confidence >= trust.from
}

/** What the run's validation answers showed, in words: "this run is right 9 times in 10 from 98.3%". */
export function trustWords(trust: Trust): string {
  if (trust.answers === 0) return 'this model has no validation pictures to judge it by'
  if (trust.from !== null) return `this run is right 9 times in 10 from ${percent(trust.from)}`
  if (trust.answers < MIN_ANSWERS)
    return `${trust.answers} validation picture${trust.answers === 1 ? ' is' : 's are'} too few to judge this run by`
  return 'this run is not right 9 times in 10 at any confidence on its validation pictures'
}

/**
 * Why an answer this sure is not taken in one step: "Not checked" when there was nothing to judge by,
 * else "Not sure enough (54.1%; this run is right 9 times in 10 from 98.3%)". Null when it is trusted.
 */
export function unsureWhy(confidence: number, trust: Trust): string | null {
  if (isTrusted(confidence, trust)) return null
  if (trust.answers === 0) return `Not checked (${trustWords(trust)})`
  return `Not sure enough (${percent(confidence)}; ${trustWords(trust)})`
}
