/**
 * Weights of the `validation` teacher: turn each network's measured validation performance into one weight per
 * network (non-negative, summing to 1, larger for the better network). Recomputed once per epoch and shown to
 * the user, so these are plain functions on numbers.
 */
import { solveLinearSystem } from './solve'
import type { EnsembleRule, ValidationRule } from '../../shared/training-settings'

// the rules' names are shared with the settings' schema and the Train view
export {
  ENSEMBLE_RULES,
  VALIDATION_RULES,
  type EnsembleRule,
  type ValidationRule,
} from '../../shared/training-settings'

export class WeightRuleError extends Error {
  override name = 'WeightRuleError'
}

function checkAccuracies(acc: readonly number[]): void {
  if (acc.length === 0) throw new WeightRuleError('no validation accuracies were given')
  for (const [i, a] of acc.entries()) {
    if (!(a >= 0 && a <= 1)) {
      throw new WeightRuleError(
        `validation accuracy of network ${i + 1} must be a fraction from 0 to 1 (got ${a})`,
      )
    }
  }
}

function equal(n: number): number[] {
  return new Array<number>(n).fill(1 / n)
}

/** w ∝ exp(acc/τ). Small τ is sharp: with τ = 0.01 two networks one point apart get 0.27 / 0.73. */
export function softmaxWeights(acc: readonly number[], tau: number): number[] {
  checkAccuracies(acc)
  if (!(tau > 0) || !Number.isFinite(tau)) {
    throw new WeightRuleError(`the softmax temperature τ must be a positive number (got ${tau})`)
  }
  const top = Math.max(...acc)
  const e = acc.map((a) => Math.exp((a - top) / tau))
  const sum = e.reduce((s, v) => s + v, 0)
  return e.map((v) => v / sum)
}

/** w ∝ acc; equal weights when every network is at 0. */
export function proportionalWeights(acc: readonly number[]): number[] {
  checkAccuracies(acc)
  const sum = acc.reduce((s, v) => s + v, 0)
  return sum === 0 ? equal(acc.length) : acc.map((a) => a / sum)
}

/**
 * The error-covariance optimum w = C⁻¹1 / 1ᵀC⁻¹1 (the combination with the least expected squared error when
 * errors are unbiased), clipped to w ≥ 0 and renormalised. `errors[i]` is network i's error on each validation
 * image (e.g. `misclassified`: 1 wrong, 0 right); C_ij = mean_k errors[i][k]·errors[j][k]. A ridge of
 * `ridge`·(mean diagonal) keeps C invertible when two networks err identically or never err.
 */
export function covarianceWeights(errors: readonly ArrayLike<number>[], ridge = 1e-3): number[] {
  const n = errors.length
  if (n === 0) throw new WeightRuleError('no per-network validation errors were given')
  const m = errors[0]!.length
  if (m === 0) throw new WeightRuleError('the validation errors are empty (no validation images)')
  for (const [i, e] of errors.entries()) {
    if (e.length !== m) {
      throw new WeightRuleError(
        `every network needs an error for each validation image (network 1 has ${m}, network ${i + 1} has ${e.length})`,
      )
    }
    for (let k = 0; k < m; k++) {
      if (!Number.isFinite(e[k]!))
        throw new WeightRuleError(`network ${i + 1} has a non-finite validation error`)
    }
  }
  if (!(ridge > 0)) throw new WeightRuleError(`the ridge must be a positive number (got ${ridge})`)
  const C = errors.map((ei) =>
    errors.map((ej) => {
      let s = 0
      for (let k = 0; k < m; k++) s += ei[k]! * ej[k]!
      return s / m
    }),
  )
  const meanDiagonal = C.reduce((s, row, i) => s + row[i]!, 0) / n
  // the floor handles networks that make no error at all (C = 0): they then share the weight equally
  const shift = ridge * meanDiagonal + 1e-12
  for (let i = 0; i < n; i++) C[i]![i]! += shift
  const raw = solveLinearSystem(C, new Array<number>(n).fill(1))
  if (raw === null)
    throw new WeightRuleError('the validation errors are degenerate; no weights can be derived')
  const sum = raw.reduce((s, v) => s + v, 0)
  const clipped = raw.map((v) => Math.max(0, v / sum))
  const total = clipped.reduce((s, v) => s + v, 0)
  return clipped.map((v) => v / total)
}

/**
 * The paired standard error of the networks' accuracy differences on the same validation images: for two
 * networks, sqrt(d/m) with d the fraction of images exactly one of them gets wrong (the variance of e_i − e_j
 * less its squared mean, which is negligible next to d); the mean over pairs for more networks.
 */
export function accuracyStandardError(errors: readonly ArrayLike<number>[]): number {
  const n = errors.length
  const m = errors[0]?.length ?? 0
  if (n < 2 || m === 0) return 0
  let sum = 0
  let pairs = 0
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let d = 0
      let mean = 0
      for (let k = 0; k < m; k++) {
        const diff = errors[i]![k]! - errors[j]![k]!
        d += diff * diff
        mean += diff
      }
      sum += Math.sqrt(Math.max(d / m - (mean / m) ** 2, 0) / m)
      pairs++
    }
  }
  return sum / pairs
}

/**
 * Softmax of the accuracies in units of their standard error: τ = the paired standard error, so a lead of one
 * standard error gives 0.27 / 0.73 whatever the size of the validation split. A fixed τ is too sharp for a
 * small split (with 250 images, τ = 0.01 turns noise into weights of 0.99 / 0.01 that flip between epochs)
 * and too soft for a large one.
 */
export function standardErrorWeights(acc: readonly number[], errors: readonly ArrayLike<number>[]): number[] {
  const se = accuracyStandardError(errors)
  // networks that never disagree are indistinguishable: equal weights
  return se > 0 ? softmaxWeights(acc, se) : equal(acc.length)
}

export interface ValidationMeasure {
  /** per-network validation accuracy, 0 … 1 */
  accuracies: number[]
  /** per-network error on each validation image; needed by the `covariance` rule only */
  errors?: ArrayLike<number>[]
}

function errorsFor(rule: ValidationRule, measure: ValidationMeasure): ArrayLike<number>[] {
  if (!measure.errors) {
    throw new WeightRuleError(`the ${rule} rule needs each network’s errors on the validation images`)
  }
  return measure.errors
}

/** The weights of the chosen rule; τ is used by `softmax` only. */
export function validationWeights(rule: ValidationRule, measure: ValidationMeasure, tau: number): number[] {
  switch (rule) {
    case 'softmax':
      return softmaxWeights(measure.accuracies, tau)
    case 'proportional':
      return proportionalWeights(measure.accuracies)
    case 'standard-error':
      return standardErrorWeights(measure.accuracies, errorsFor(rule, measure))
    case 'covariance':
      return covarianceWeights(errorsFor(rule, measure))
  }
}

/** The recognition ensemble's weights under `rule`; τ is used by `softmax` only. */
export function ensembleWeights(rule: EnsembleRule, measure: ValidationMeasure, tau: number): number[] {
  return rule === 'equal' ? equal(measure.accuracies.length) : validationWeights(rule, measure, tau)
}
