import { didNotLearn } from '../../../shared/learning'

/** What the views say of a network after its run: nothing, or that it did not learn and what follows. */
export type LearningFlag = 'ignored' | 'none-learned' | null

/**
 * Each network's flag, from its (best) validation accuracy: a network that did not learn is ignored by the
 * app's answer when another one learned (src/shared/learning.ts); when none learned, each is flagged so.
 */
export function learningFlags(accuracies: readonly (number | null)[], classes: number): LearningFlag[] {
  const failed = accuracies.map((a) => didNotLearn(a, classes))
  const noneLearned = failed.every(Boolean)
  return failed.map((f) => (!f ? null : noneLearned ? 'none-learned' : 'ignored'))
}

export const LEARNING_FLAG_TEXT: Record<Exclude<LearningFlag, null>, string> = {
  ignored: 'did not learn — its answers are ignored',
  'none-learned': 'did not learn — no network did: add pictures or train longer',
}
