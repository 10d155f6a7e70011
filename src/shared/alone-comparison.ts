/**
 * What training together added (issue 17): a run beside its alone run (the same networks, settings and seed
 * with teacher "none"), network by network and for the app's answer, on the validation pictures both kept
 * their weights by. Used by the Results view and `cohort compare`.
 */
import { modelFigures } from './run-figures'
import type { RunSummary } from './types'

export interface AloneRow {
  /** the network's name, or 'answer' for the ensemble the app answers with */
  name: string
  together: number
  alone: number
  /** together − alone, as a fraction */
  gain: number
}

export interface AloneComparison {
  rows: AloneRow[]
  /**
   * The smallest gain the validation pictures can tell from chance (two standard errors of a difference of two
   * accuracies near the ones seen): below it, "no clear difference".
   */
  noise: number
}

/** The comparison, or null while either run lacks its kept figures. */
export function compareAlone(
  together: Pick<RunSummary, 'networks' | 'kept' | 'last'>,
  alone: Pick<RunSummary, 'kept' | 'last'>,
  validationPictures: number,
): AloneComparison | null {
  const a = modelFigures(together)
  const b = modelFigures(alone)
  if (a.ensemble === null || b.ensemble === null || a.networks.length !== b.networks.length) return null
  const rows: AloneRow[] = []
  together.networks.forEach((n, i) => {
    const t = a.networks[i]
    const s = b.networks[i]
    if (t !== null && t !== undefined && s !== null && s !== undefined) {
      rows.push({ name: n.arch, together: t, alone: s, gain: t - s })
    }
  })
  rows.push({ name: 'answer', together: a.ensemble, alone: b.ensemble, gain: a.ensemble - b.ensemble })
  const p = Math.min(0.99, Math.max(0.01, (a.ensemble + b.ensemble) / 2))
  const noise = 2 * Math.sqrt((2 * p * (1 - p)) / Math.max(1, validationPictures))
  return { rows, noise }
}

/** One sentence for the app's answer: better, worse, or no clear difference, in points. */
export function aloneVerdict(comparison: AloneComparison): string {
  const answer = comparison.rows.at(-1)!
  const points = (x: number) => `${(Math.abs(x) * 100).toFixed(1)} points`
  if (Math.abs(answer.gain) < comparison.noise) {
    return `No clear difference: the answer is ${answer.gain >= 0 ? 'up' : 'down'} ${points(answer.gain)} trained together, within what the validation pictures can tell apart (±${points(comparison.noise)}).`
  }
  return answer.gain > 0
    ? `Training together helped: the answer is right ${points(answer.gain)} more often than with the networks trained alone.`
    : `Training together did not help here: the answer is right ${points(answer.gain)} less often than with the networks trained alone; a run with the teacher "none" is as good.`
}
