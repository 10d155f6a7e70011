/**
 * The `linear` teacher's weights: α on the simplex (α ≥ 0, Σα = 1) minimising the batch cross-entropy of
 * Σ α_i z_i. The objective is convex in α and N ≤ 4, so projected gradient descent with a backtracking step
 * on plain arrays converges in a few dozen cheap iterations (O(B·C·N) each).
 */

/** Exact Euclidean projection of v onto the probability simplex (sort-based, Held et al. / Duchi et al.). */
export function projectOntoSimplex(v: readonly number[]): number[] {
  const sorted = [...v].sort((a, b) => b - a)
  let cumulative = 0
  let theta = 0
  for (let k = 0; k < sorted.length; k++) {
    cumulative += sorted[k]!
    const t = (cumulative - 1) / (k + 1)
    if (sorted[k]! - t > 0) theta = t
  }
  return v.map((x) => Math.max(0, x - theta))
}

interface Batch {
  logits: readonly Float32Array[]
  labels: Int32Array
  classes: number
}

/** Batch-mean CE of the mixed logits and its gradient with respect to α. */
function objective(
  batch: Batch,
  alpha: readonly number[],
  mixed: Float64Array,
): { value: number; grad: number[] } {
  const { logits, labels, classes } = batch
  const n = logits.length
  const B = labels.length
  const grad = new Array<number>(n).fill(0)
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
    // dCE/dα_i = Σ_c p_c z_i[c] − z_i[y]
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(mixed[c]! - top) / sumExp
      for (let i = 0; i < n; i++) grad[i]! += p * logits[i]![row + c]!
    }
    for (let i = 0; i < n; i++) grad[i]! -= logits[i]![row + y]!
  }
  return { value: value / B, grad: grad.map((g) => g / B) }
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
  maxIterations = 100,
): LinearFit {
  const n = logits.length
  const batch: Batch = { logits, labels, classes }
  const mixed = new Float64Array(classes)
  let alpha = new Array<number>(n).fill(1 / n)
  let current = objective(batch, alpha, mixed)
  // diverged logits (NaN/∞) have no best blend; keep the plain average and let the trainer report the loss
  if (!Number.isFinite(current.value)) return { alpha, crossEntropy: current.value, iterations: 0 }
  // the CE's curvature in α is at most the spread of the logits squared; start big, backtrack as needed
  let step = 1
  let iterations = 0
  while (iterations < maxIterations && n > 1) {
    iterations++
    let accepted = false
    for (let tries = 0; tries < 60 && !accepted; tries++) {
      const candidate = projectOntoSimplex(alpha.map((a, i) => a - step * current.grad[i]!))
      const moved = candidate.map((a, i) => a - alpha[i]!)
      const decrease = moved.reduce((s, d, i) => s + current.grad[i]! * d, 0)
      const squared = moved.reduce((s, d) => s + d * d, 0)
      if (squared < 1e-20) return { alpha, crossEntropy: current.value, iterations }
      const next = objective(batch, candidate, mixed)
      // sufficient decrease along the projection arc (Armijo with the quadratic model of step size `step`)
      if (next.value <= current.value + decrease + squared / (2 * step) + 1e-12) {
        const converged = Math.max(...moved.map(Math.abs)) < 1e-7
        alpha = candidate
        current = next
        accepted = true
        if (converged) return { alpha, crossEntropy: current.value, iterations }
        step *= 2 // let the step grow again where the objective is flat
      } else {
        step /= 2
      }
    }
    if (!accepted) break
  }
  return { alpha, crossEntropy: current.value, iterations }
}
