import type { RunSummary } from './types'

/** A run made only to compare with (a group's networks trained alone, `aloneFor`). */
export const isAloneRun = (run: Pick<RunSummary, 'config'>): boolean => run.config.aloneFor !== undefined

/**
 * The run the app works with when the person has not chosen one (Results, the Misclassified filter): the
 * newest completed run, never one made only to compare with.
 */
export function newestGroupRun<T extends Pick<RunSummary, 'id' | 'status' | 'config'>>(
  runs: readonly T[],
): T | null {
  return runs.filter((r) => r.status === 'completed' && !isAloneRun(r)).sort((a, b) => b.id - a.id)[0] ?? null
}
