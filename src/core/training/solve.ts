/** Solves A x = b for a small dense system by Gaussian elimination with partial pivoting; null if singular. */
export function solveLinearSystem(A: readonly (readonly number[])[], b: readonly number[]): number[] | null {
  const n = b.length
  const M = A.map((row, i) => [...row, b[i]!])
  for (let col = 0; col < n; col++) {
    let pivot = col
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r]![col]!) > Math.abs(M[pivot]![col]!)) pivot = r
    if (Math.abs(M[pivot]![col]!) < 1e-300) return null
    ;[M[col], M[pivot]] = [M[pivot]!, M[col]!]
    const p = M[col]!
    for (let r = col + 1; r < n; r++) {
      const row = M[r]!
      const f = row[col]! / p[col]!
      for (let c = col; c <= n; c++) row[c]! -= f * p[c]!
    }
  }
  const x = new Array<number>(n).fill(0)
  for (let r = n - 1; r >= 0; r--) {
    const row = M[r]!
    let s = row[n]!
    for (let c = r + 1; c < n; c++) s -= row[c]! * x[c]!
    x[r] = s / row[r]!
  }
  return x
}
