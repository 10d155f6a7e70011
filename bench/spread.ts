/**
 * How benchmark figures are summarised and compared: the fastest of several measurements, their spread, and a
 * ratio only when the peer's independent processes agree. On shared 2-vCPU machines one PyTorch process can be
 * 3× slower than the next, so a ratio from a single peer process can flatter or wrong Cohort by that much.
 */

/** Above this spread between the peer's processes (per cent of the fastest) no ratio is printed. */
export const MAX_PEER_SPREAD_PERCENT = 30

export interface Spread {
  fastest: number
  slowest: number
  /** (slowest − fastest) / fastest, in per cent */
  spreadPercent: number
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('the spread of no measurements')
  if (!values.every((v) => Number.isFinite(v) && v > 0)) {
    throw new RangeError(`measurements must be positive times (got ${values.join(', ')})`)
  }
  const fastest = Math.min(...values)
  const slowest = Math.max(...values)
  return { fastest, slowest, spreadPercent: ((slowest - fastest) / fastest) * 100 }
}

export type Ratio = { ratio: number; reason?: undefined } | { ratio: null; reason: string }

/**
 * Cohort's time over the peer's fastest, or no ratio with the reason: the peer's processes disagree by more
 * than `maxSpreadPercent`, or there is only one peer process (nothing to cross-check it against).
 */
export function ratioOf(
  cohortMs: number,
  peerProcessMs: readonly number[],
  maxSpreadPercent = MAX_PEER_SPREAD_PERCENT,
  unit = 'ms',
): Ratio {
  if (peerProcessMs.length < 2) {
    return {
      ratio: null,
      reason: `only ${peerProcessMs.length} peer process measured; need 2 or more to cross-check`,
    }
  }
  const peer = spreadOf(peerProcessMs)
  if (peer.spreadPercent > maxSpreadPercent) {
    return {
      ratio: null,
      reason:
        `the peer's ${peerProcessMs.length} processes disagree by ${peer.spreadPercent.toFixed(0)} % ` +
        `(${peer.fastest.toFixed(1)}–${peer.slowest.toFixed(1)} ${unit}, limit ${maxSpreadPercent} %): the machine is too busy for a fair ratio`,
    }
  }
  if (!(Number.isFinite(cohortMs) && cohortMs > 0))
    throw new RangeError(`Cohort's time must be positive (got ${cohortMs})`)
  return { ratio: cohortMs / peer.fastest }
}
