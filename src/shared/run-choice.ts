import type { RunSummary } from './types'

/** A run made only to compare with (a group's networks trained alone, `aloneFor`). */
export const isAloneRun = (run: Pick<RunSummary, 'config'>): boolean => run.config.aloneFor !== undefined

/** The newest run made to compare with `runId` that is not dead (a failed or cancelled one may be asked again). */
export function aloneRunFor<T extends Pick<RunSummary, 'id' | 'status' | 'config'>>(
  runs: readonly T[],
  runId: number,
): T | null {
  return (
    runs
      .filter((r) => r.config.aloneFor === runId && ['queued', 'running', 'completed'].includes(r.status))
      .sort((a, b) => b.id - a.id)[0] ?? null
  )
}

/**
 * The run the app works with when the person has not chosen one (Results, the Misclassified filter): the
 * newest completed run, never one made only to compare with.
 */
export function newestGroupRun<T extends Pick<RunSummary, 'id' | 'status' | 'config'>>(
  runs: readonly T[],
): T | null {
  return runs.filter((r) => r.status === 'completed' && !isAloneRun(r)).sort((a, b) => b.id - a.id)[0] ?? null
}
