/**
 * Weights of the `validation` teacher: turn each network's measured validation performance into one weight per
 * network (non-negative, summing to 1, larger for the better network). Recomputed once per epoch and shown to
 * the user, so these are plain functions on numbers.
 */
import { solveLinearSystem } from './solve'

export type ValidationRule = 'softmax' | 'proportional' | 'covariance'
export const VALIDATION_RULES: readonly ValidationRule[] = ['softmax', 'proportional', 'covariance']

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

export interface ValidationMeasure {
  /** per-network validation accuracy, 0 … 1 */
  accuracies: number[]
  /** per-network error on each validation image; needed by the `covariance` rule only */
  errors?: ArrayLike<number>[]
}

/** The weights of the chosen rule; τ is used by `softmax` only. */
export function validationWeights(rule: ValidationRule, measure: ValidationMeasure, tau: number): number[] {
  switch (rule) {
    case 'softmax':
      return softmaxWeights(measure.accuracies, tau)
    case 'proportional':
      return proportionalWeights(measure.accuracies)
    case 'covariance':
      if (!measure.errors) {
        throw new WeightRuleError('the covariance rule needs each network’s errors on the validation images')
      }
      return covarianceWeights(measure.errors)
  }
}
