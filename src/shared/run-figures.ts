import type { EpochMetrics, RunSummary } from './types'

/**
 * The validation figures of the model a run keeps: once completed, each network at its best epoch measured
 * together (`kept`); before that (or for runs trained before it was recorded), the last epoch's, with each
 * network's best epoch so far in place of its last.
 */
export function modelFigures(run: Pick<RunSummary, 'kept' | 'last'>): {
  networks: (number | null)[]
  ensemble: number | null
  weights: number[] | null
  metrics: EpochMetrics | null
} {
  const m = run.kept ?? run.last
  if (!m) return { networks: [], ensemble: null, weights: null, metrics: null }
  const networks = m.networks.map((n, i) => (run.kept ? n.valAcc : (m.best?.[i]?.valAcc ?? n.valAcc)))
  return { networks, ensemble: m.ensemble.valAcc, weights: m.ensemble.weights, metrics: m }
}
