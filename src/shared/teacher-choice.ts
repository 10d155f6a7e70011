/**
 * The teacher a new run gets when the person does not choose one, from how many training pictures each label
 * has. One rule for the service (which applies it) and the Train view (which shows it), so both always agree.
 * The evidence is docs/EXPERIMENTS.md, "Choosing the teacher by dataset size".
 */
import type { LabelSummary } from './types'

/**
 * Up to this many training pictures per label, min-loss; above, min-logit. Measured: at 30, 100 and 250 per
 * label min-loss lifted each network at least as much as min-logit (beyond the seed spread at 30 and 100); at
 * 500 it made resnet-8 worse while min-logit helped both. Nothing was run between 250 and 500.
 */
export const MIN_LOSS_UP_TO = 300

export interface TeacherChoice {
  teacher: 'min-loss' | 'min-logit'
  /** training pictures per label, the mean over labels that have any */
  perLabel: number
  /** one sentence for the person choosing */
  reason: string
}

/** Mean training pictures per label over the labels with at least one training picture (0 when none has). */
export function trainingPicturesPerLabel(labels: readonly Pick<LabelSummary, 'trainCount'>[]): number {
  const used = labels.filter((l) => l.trainCount > 0)
  if (used.length === 0) return 0
  return used.reduce((sum, l) => sum + l.trainCount, 0) / used.length
}

export function recommendedTeacher(labels: readonly Pick<LabelSummary, 'trainCount'>[]): TeacherChoice {
  const perLabel = trainingPicturesPerLabel(labels)
  const about =
    perLabel === 0
      ? 'a dataset without training pictures yet'
      : `about ${Math.round(perLabel)} training pictures per label`
  return perLabel <= MIN_LOSS_UP_TO
    ? {
        teacher: 'min-loss',
        perLabel,
        reason: `Recommended for ${about}: up to ${MIN_LOSS_UP_TO}, min-loss lifted the networks most in our tests.`,
      }
    : {
        teacher: 'min-logit',
        perLabel,
        reason: `Recommended for ${about}: above ${MIN_LOSS_UP_TO}, min-logit was the teacher that still helped the networks in our tests.`,
      }
}
