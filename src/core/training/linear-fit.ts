/**
 * The `linear` teacher's weights: α on the simplex (α ≥ 0, Σα = 1) minimising the batch cross-entropy of
 * Σ α_i z_i. The objective is convex in α and N ≤ 4, so each step minimises its exact quadratic model over the
 * simplex (a Newton step projected in the Hessian's metric: with N ≤ 4 the simplex has at most 15 faces, so
 * the tiny QP is solved exactly by trying each face), then backtracks along the segment. Projected gradient
 * descent needed far more iterations per batch where this needs a handful (docs/BENCHMARKS.md).
 */
import { solveLinearSystem } from './solve'

interface Batch {
  logits: readonly Float32Array[]
  labels: Int32Array
  classes: number
}

interface Evaluation {
  value: number
  grad: number[]
  /** N × N, only when asked for */
  hessian?: number[][]
}

/**
 * Batch-mean CE of the mixture, its gradient (Σ_c p_c z_i[c] − z_i[y]) and optionally its Hessian (the
 * covariance of the networks' logits under the mixture's softmax p).
 */
function evaluate(batch: Batch, alpha: readonly number[], withHessian: boolean): Evaluation {
  const { logits, labels, classes } = batch
  const n = logits.length
  const B = labels.length
  const mixed = new Float64Array(classes)
  const grad = new Array<number>(n).fill(0)
  const hessian = withHessian ? Array.from({ length: n }, () => new Array<number>(n).fill(0)) : undefined
  const expected = new Float64Array(n)
  let value = 0
  for (let b = 0; b < B; b++) {
    const row = b * classes
    let top = -Infinity
    for (let c = 0; c < classes; c++) {
      let s = 0
      for (let i = 0; i < n; i++) s += alpha[i]! * logits[i]![row + c]!
      mixed[c] = s
      if (s > top) top = s
    }
    let sumExp = 0
    for (let c = 0; c < classes; c++) sumExp += Math.exp(mixed[c]! - top)
    const y = labels[b]!
    value += top + Math.log(sumExp) - mixed[y]!
    expected.fill(0)
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(mixed[c]! - top) / sumExp
      for (let i = 0; i < n; i++) {
        const zi = logits[i]![row + c]!
        expected[i]! += p * zi
        if (hessian) for (let j = 0; j <= i; j++) hessian[i]![j]! += p * zi * logits[j]![row + c]!
      }
    }
    for (let i = 0; i < n; i++) {
      grad[i]! += expected[i]! - logits[i]![row + y]!
      if (hessian) for (let j = 0; j <= i; j++) hessian[i]![j]! -= expected[i]! * expected[j]!
    }
  }
  if (hessian) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) hessian[j]![i] = hessian[i]![j] = hessian[i]![j]! / B
    }
  }
  return { value: value / B, grad: grad.map((g) => g / B), hessian }
}

/**
 * argmin over the simplex of gᵀ(α − α0) + ½(α − α0)ᵀH(α − α0). For every support S, the minimiser on the
 * affine hull of that face solves H_SS a + c_S + ν1 = 0, 1ᵀa = 1 (c = g − Hα0); the best feasible one is the
 * exact QP solution because the QP is convex.
 */
function minimiseQuadraticModel(alpha0: readonly number[], g: readonly number[], H: number[][]): number[] {
  const n = alpha0.length
  const Ha0 = H.map((row) => row.reduce((s, h, j) => s + h * alpha0[j]!, 0))
  const model = (a: readonly number[]) => {
    let q = 0
    for (let i = 0; i < n; i++) {
      const di = a[i]! - alpha0[i]!
      q += g[i]! * di
      for (let j = 0; j < n; j++) q += 0.5 * di * H[i]![j]! * (a[j]! - alpha0[j]!)
    }
    return q
  }
  let best: number[] = [...alpha0]
  let bestValue = 0
  for (let mask = 1; mask < 1 << n; mask++) {
    const S = [...Array(n).keys()].filter((i) => mask & (1 << i))
    const k = S.length
    const A = S.map((i) => [...S.map((j) => H[i]![j]!), 1])
    A.push([...new Array<number>(k).fill(1), 0])
    const rhs = [...S.map((i) => -(g[i]! - Ha0[i]!)), 1]
    const x = solveLinearSystem(A, rhs)
    if (x === null || x.slice(0, k).some((v) => !(v >= -1e-12))) continue
    const a = new Array<number>(n).fill(0)
    S.forEach((i, idx) => (a[i] = Math.max(0, x[idx]!)))
    const sum = a.reduce((s, v) => s + v, 0)
    const candidate = a.map((v) => v / sum)
    const q = model(candidate)
    if (q < bestValue) {
      best = candidate
      bestValue = q
    }
  }
  return best
}

export interface LinearFit {
  alpha: number[]
  /** batch cross-entropy of the fitted mixture */
  crossEntropy: number
  iterations: number
}

/**
 * α minimising CE(Σ α_i z_i, y) on the simplex. `logits[i]` is network i's [B, C] logits, row-major; labels
 * must already be valid class ids (the caller checks them).
 */
export function fitLinearTeacher(
  logits: readonly Float32Array[],
  labels: Int32Array,
  classes: number,
  maxIterations = 20,
): LinearFit {
  const n = logits.length
  const batch: Batch = { logits, labels, classes }
  let alpha = new Array<number>(n).fill(1 / n)
  let current = evaluate(batch, alpha, true)
  // diverged logits (NaN/∞) have no best blend; keep the plain average and let the trainer report the loss
  if (!Number.isFinite(current.value) || n === 1) return { alpha, crossEntropy: current.value, iterations: 0 }
  let iterations = 0
  while (iterations < maxIterations) {
    iterations++
    // a small ridge keeps the model strictly convex when two networks' logits are (nearly) proportional
    const H = current.hessian!.map((row, i) => row.map((h, j) => h + (i === j ? 1e-9 : 0)))
    const target = minimiseQuadraticModel(alpha, current.grad, H)
    const direction = target.map((a, i) => a - alpha[i]!)
    const slope = direction.reduce((s, d, i) => s + current.grad[i]! * d, 0)
    if (!(slope < -1e-12)) break // no descent direction left: optimal up to rounding
    let t = 1
    let next = evaluate(
      batch,
      alpha.map((a, i) => a + t * direction[i]!),
      false,
    )
    while (next.value > current.value + 1e-4 * t * slope && t > 1e-10) {
      t /= 2
      next = evaluate(
        batch,
        alpha.map((a, i) => a + t * direction[i]!),
        false,
      )
    }
    if (!(next.value <= current.value)) break
    alpha = alpha.map((a, i) => a + t * direction[i]!)
    current = evaluate(batch, alpha, true)
    if (Math.max(...direction.map((d) => Math.abs(t * d))) < 1e-9) break
  }
  // a convex combination of simplex points, up to rounding: clear any −1e-17 so callers see α ≥ 0 exactly
  const clipped = alpha.map((a) => Math.max(0, a))
  const sum = clipped.reduce((s, a) => s + a, 0)
  return { alpha: clipped.map((a) => a / sum), crossEntropy: current.value, iterations }
}
