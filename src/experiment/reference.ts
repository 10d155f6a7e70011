/**
 * The test accuracies (%) of an independent PyTorch implementation of KDCL on the same Fashion-MNIST split
 * (run outside this repository; docs/EXPERIMENTS.md describes it): mean over its seeds, cnn / resnet-8 /
 * plain-average ensemble. Only the pair cnn + resnet-8 was measured.
 */
import type { TeacherName } from '../core/training/teacher-names'

export interface ReferenceSetting {
  label: string
  /** training images per class; undefined = the full 55k split */
  perClass: number | undefined
  epochs: number
  seeds: number
  /** teacher → [cnn, resnet-8, ensemble] mean test accuracy in % */
  test: Record<TeacherName, [number, number, number]>
  /** the sample std over seeds of `none` (independent training), [cnn, resnet-8, ensemble] in pp */
  noneSpread: [number, number, number]
}

export const REFERENCE_NETS = ['cnn', 'resnet-8']

export const REFERENCE: ReferenceSetting[] = [
  {
    label: 'full data (55k), 6 epochs, 3 seeds',
    noneSpread: [0.22, 0.23, 0.2],
    perClass: undefined,
    epochs: 6,
    seeds: 3,
    test: {
      none: [88.51, 90.33, 90.19],
      mean: [88.57, 89.85, 89.58],
      'min-loss': [88.85, 89.98, 89.72],
      'min-logit': [89.03, 90.32, 90.1],
      linear: [88.75, 90.13, 89.83],
      validation: [88.62, 89.93, 89.66],
    },
  },
  {
    label: '100 per class, 60 epochs, 2 seeds',
    noneSpread: [0.37, 1.21, 0.74],
    perClass: 100,
    epochs: 60,
    seeds: 2,
    test: {
      none: [79.43, 79.23, 80.26],
      mean: [79.42, 79.81, 80.12],
      'min-loss': [79.5, 79.98, 80.36],
      'min-logit': [79.53, 80.02, 80.32],
      linear: [79.41, 79.91, 79.97],
      validation: [79.49, 79.92, 80.22],
    },
  },
  {
    label: '500 per class, 20 epochs, 2 seeds',
    noneSpread: [0.25, 1.61, 0.88],
    perClass: 500,
    epochs: 20,
    seeds: 2,
    test: {
      none: [82.56, 83.35, 83.53],
      mean: [82.22, 83.28, 83.22],
      'min-loss': [82.39, 82.78, 82.91],
      'min-logit': [82.45, 83.17, 83.12],
      linear: [82.25, 83.27, 83.16],
      validation: [82.48, 83.25, 83.2],
    },
  },
]
