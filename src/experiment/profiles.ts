/**
 * The Fashion-MNIST experiment's two profiles and the summary `cohort experiment fashion-mnist --json` prints.
 * `full` is the grid recorded in docs/EXPERIMENTS.md (the small-data regime with a user-sized validation
 * split); `quick` is a smaller version of it that finishes in minutes, for regression checks.
 */
import { TEACHER_NAMES, type TeacherName } from '../core/training/teacher-names'
import { validationPerClass } from './data'
import { summarise } from './report'
import type { RunRecord, RunSpec } from './runs'

export type ExperimentProfile = 'quick' | 'full'

export interface ExperimentPlan {
  base: Omit<RunSpec, 'teacher' | 'seed'>
  teachers: TeacherName[]
  seeds: number[]
}

/** The share of a user's labelled images held back for validation in the small-data profiles. */
export const HELD_BACK = 0.2

/** The reference pair, the reference recipe (T = 2, λ = 1), the product's validation τ, 20 % held back. */
function smallData(perClass: number, epochs: number): Omit<RunSpec, 'teacher' | 'seed'> {
  return {
    epochs,
    perClass,
    valPerClass: validationPerClass(perClass, HELD_BACK),
    nets: ['cnn', 'resnet-8'],
    tau: 0.01,
    T: 2,
    lambda: 1,
    validateEvery: 1,
  }
}

export const FASHION_MNIST_PROFILES: Record<ExperimentProfile, ExperimentPlan> = {
  full: { base: smallData(100, 60), teachers: TEACHER_NAMES.slice(), seeds: [0, 1, 2] },
  // about 5 minutes on a quiet 2-core machine: 48 steps per run, the baseline and the two teachers that matter
  quick: { base: smallData(50, 12), teachers: ['none', 'min-logit', 'validation'], seeds: [0, 1] },
}

interface Spread {
  mean: number
  /** sample std over seeds; null with a single seed */
  std: number | null
}

export interface ExperimentSummary {
  teachers: Partial<
    Record<
      TeacherName,
      {
        seeds: number[]
        networks: { arch: string; width: number; testAcc: Spread; gain: Spread | null }[]
        ensemble: { testAcc: Spread; gain: Spread | null }
      }
    >
  >
}

// fractions to 6 decimals: exact for accuracies on 10k images, and free of float noise like 0.0463000000001
const round = (x: number) => Math.round(x * 1e6) / 1e6
const spread = (m: number, s: number): Spread => ({ mean: round(m), std: Number.isNaN(s) ? null : round(s) })

/**
 * Test accuracy (fraction) per teacher and network over seeds, and the paired gain over `none` (fraction),
 * for the runs of one setting.
 */
export function experimentSummary(records: readonly RunRecord[]): ExperimentSummary {
  const teachers: ExperimentSummary['teachers'] = {}
  if (records.length === 0) return { teachers }
  const nets = records[0]!.final.networks
  for (const t of summarise(records)) {
    const column = (k: number) => ({
      testAcc: spread(t.test[k]!.mean / 100, t.test[k]!.std / 100),
      gain: t.gain ? spread(t.gain[k]!.mean / 100, t.gain[k]!.std / 100) : null,
    })
    teachers[t.teacher] = {
      seeds: t.seeds,
      networks: nets.map((n, k) => ({ arch: n.arch, width: n.width, ...column(k) })),
      ensemble: column(nets.length),
    }
  }
  return { teachers }
}
