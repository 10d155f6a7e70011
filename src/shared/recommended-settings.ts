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
 * Up to this many training pictures per label, min-loss; above, min-logit. Measured: at 30, 100 and 250 per
 * label min-loss lifted each network at least as much as min-logit (beyond the seed spread at 30 and 100); at
 * 500 it made resnet-8 worse while min-logit helped both. Nothing was run between 250 and 500.
 */
export const MIN_LOSS_UP_TO = 300

/**
 * From this many validation pictures on, the app's answer weighs its networks by the covariance rule; below,
 * it averages them. Measured against the plain average: 80 validation pictures −0.14 pp, 250 from −0.05 to
 * +0.08 (but +0.33 with a clearly weaker network), 630 +0.14 (9 of 9 runs better), 1,250 +0.16 (3 of 3),
 * 5,000 +0.14 (4 of 4). Nothing was run between 250 and 630.
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
