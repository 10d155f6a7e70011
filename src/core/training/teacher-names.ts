/**
 * The names and user-facing descriptions of the teachers and of the recognition ensemble's weight rules, free of
 * tfjs so that settings validation, the CLI and the UI can list them without loading the engine. The rules
 * themselves are in teachers.ts and validation-weights.ts.
 */
import type { EnsembleRule, TeacherName } from '../../shared/training-settings'

export { TEACHER_NAMES, type TeacherName } from '../../shared/training-settings'

/**
 * Every teacher with the sentence the user sees when choosing one, the default first. The evidence behind the
 * default and the caveats is docs/EXPERIMENTS.md (Fashion-MNIST, 30 to 500 pictures per class, groups of 2 and 3, paired seeds).
 */
export const TEACHERS: Record<TeacherName, { description: string }> = {
  'min-logit': {
    description:
      'For each picture, keeps the right answer and the surest "no" any network gives every other class. ' +
      'The steadiest teacher in our tests: each network gained on average in every setting we measured, and ' +
      'with 500 pictures per label it still helped both networks where min-loss made one worse.',
  },
  validation: {
    description:
      'Blends the networks, trusting each one as much as it scores on your validation images. ' +
      'With few validation images its trust swings from epoch to epoch.',
  },
  'min-loss': {
    description:
      'For each picture, follows the network that got it most right. The best teacher in our tests with 30 to ' +
      '250 pictures per label, the small network of a group gaining most; with 500 per label it made resnet-8 ' +
      'worse, in ours and in the reference’s.',
  },
  linear: { description: 'Blends the networks in the proportions that best fit the labels of each batch.' },
  mean: { description: 'Averages all networks equally (a simple baseline).' },
  none: {
    description:
      'No teacher: each network learns on its own. Its networks agree less, so their combined answer ' +
      'can be slightly better (not with very few pictures); each network alone is usually slightly worse.',
  },
}

/** λ actually used: the `none` teacher means independent training whatever λ says. */
export function effectiveLambda(teacher: TeacherName, lambda: number): number {
  return teacher === 'none' ? 0 : lambda
}

/**
 * How the app's answer (the recognition ensemble) weighs the networks, the trainer's default first (a run
 * started without a rule gets the one its validation split's size recommends: src/shared/recommended-settings.ts).
 * Evidence: docs/EXPERIMENTS.md, "The recognition ensemble's weights".
 */
export const ENSEMBLE_RULE_DESCRIPTIONS: Record<EnsembleRule, string> = {
  equal:
    'Averages the networks. Best in our tests with a few hundred validation pictures or fewer, unless one ' +
    'network is clearly weaker: weights learned from so few pictures fit their noise.',
  'standard-error':
    'Trusts a network more the further its validation accuracy stands above the others’, allowing for how few ' +
    'validation pictures there are. Worth trying when one network is much smaller than the rest.',
  covariance:
    'Weights that best cancel the networks’ shared mistakes on the validation pictures. Better than the ' +
    'average in our tests from about 600 validation pictures on, and when one network is clearly weaker.',
  softmax:
    'Trusts each network by its validation accuracy, sharply: a one-point lead earns about three quarters of the weight.',
  proportional: 'Trusts each network in proportion to its validation accuracy: nearly an average.',
}
