/**
 * The settings a new run gets when the person does not choose them, from the dataset's size: the teacher from
 * the training pictures per label, the app's answer's weight rule from the validation pictures. One rule each
 * for the service (which applies them), the Train view and the CLI (which show them), so all always agree.
 * The evidence is docs/EXPERIMENTS.md, "Choosing the teacher by dataset size" and "The recognition ensemble's
 * weights".
 */
import type { LabelSummary } from './types'

type Counts = Pick<LabelSummary, 'trainCount' | 'validationCount'>

/**
 * Up to this many training pictures per label, min-loss; above, min-logit: min-loss helped most up to 250 per
 * label and made resnet-8 worse at 500, where min-logit helped both (docs/EXPERIMENTS.md). Nothing was run
 * between 250 and 500.
 */
export const MIN_LOSS_UP_TO = 300

/**
 * From this many validation pictures on, the app's answer weighs its networks by the covariance rule; below,
 * it averages them: against the plain average the covariance weights lost or tied up to 250 validation
 * pictures and won in every run from 630 on (docs/EXPERIMENTS.md). Nothing was run between 250 and 630.
 */
export const COVARIANCE_FROM = 500

export interface TeacherChoice {
  teacher: 'min-loss' | 'min-logit'
  /** training pictures per label, the mean over labels that have any */
  perLabel: number
  /** one sentence for the person choosing */
  reason: string
}

export interface EnsembleRuleChoice {
  rule: 'equal' | 'covariance'
  /** labelled pictures in the validation split */
  validationPictures: number
  /** one sentence for the person choosing */
  reason: string
}

/** Mean training pictures per label over the labels with at least one training picture (0 when none has). */
export function trainingPicturesPerLabel(labels: readonly Pick<Counts, 'trainCount'>[]): number {
  const used = labels.filter((l) => l.trainCount > 0)
  if (used.length === 0) return 0
  return used.reduce((sum, l) => sum + l.trainCount, 0) / used.length
}

export function recommendedTeacher(labels: readonly Pick<Counts, 'trainCount'>[]): TeacherChoice {
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

export function recommendedEnsembleRule(
  labels: readonly Pick<Counts, 'validationCount'>[],
): EnsembleRuleChoice {
  const validationPictures = labels.reduce((sum, l) => sum + l.validationCount, 0)
  const about =
    validationPictures === 0
      ? 'a dataset without validation pictures yet'
      : `${validationPictures} validation pictures`
  return validationPictures < COVARIANCE_FROM
    ? {
        rule: 'equal',
        validationPictures,
        reason: `Recommended for ${about}: below ${COVARIANCE_FROM}, weights measured on them fitted their noise in our tests, so the networks count equally.`,
      }
    : {
        rule: 'covariance',
        validationPictures,
        reason: `Recommended for ${about}: from ${COVARIANCE_FROM} on, weighing the networks to cancel their shared mistakes made the app's answer better in our tests.`,
      }
}
