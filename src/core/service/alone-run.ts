/**
 * Training a run's networks alone (issue 17): the same settings, seed and networks with `teacher: none`, so the
 * Results view can show what training together added. The run it repeats is `aloneFor`; every refusal says
 * which run and why, in plain words.
 */
import type { Db } from '../store/db'
import { listRuns, requireRun } from '../store/runs'
import { aloneRunFor } from '../../shared/run-choice'
import type { RunSummary } from '../../shared/types'

export class AloneRunError extends Error {
  override name = 'AloneRunError'
}

/** The alone run already made for `run`, if any. */
export function aloneRunOf(db: Db, run: RunSummary): RunSummary | null {
  return aloneRunFor(listRuns(db, run.datasetId), run.id)
}

/**
 * The settings of `runId`'s alone run: its own resolved settings with `teacher: none`. Refused for a run that
 * has not completed, trained alone already, or started from another run's weights (those learned together).
 * `labelsNow` are the labels a new run of the dataset would predict: they must be the run's.
 */
export function aloneSettings(db: Db, runId: number, labelsNow: readonly string[]): Record<string, unknown> {
  const run = requireRun(db, runId)
  const config = run.config
  if (run.status !== 'completed') {
    throw new AloneRunError(
      `Run ${runId} is ${run.status}; its networks can be trained alone once it has completed.`,
    )
  }
  if (config.teacher === 'none') {
    throw new AloneRunError(`Run ${runId} already trained each network alone (teacher "none").`)
  }
  if (config.fromRun !== undefined) {
    throw new AloneRunError(
      `Run ${runId} started from run ${String(config.fromRun)}'s weights, which learned together; compare a run trained from scratch.`,
    )
  }
  if (labelsNow.join('\n') !== run.classNames.join('\n')) {
    throw new AloneRunError(
      `The dataset's labels have changed since run ${runId} (${run.classNames.join(', ')}); train a new run to compare.`,
    )
  }
  return { ...config, teacher: 'none', aloneFor: runId }
}
