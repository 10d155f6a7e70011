/**
 * Starting a run from an earlier run's weights (`fromRun`, issue 19): which earlier runs qualify, and the
 * settings a warm start takes from the earlier run. Every refusal says which run and why, in plain words.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { LibraryPaths } from '../paths'
import type { Db } from '../store/db'
import { requireDataset } from '../store/datasets'
import { getRun } from '../store/runs'
import { METADATA_FILE } from '../engine/model-metadata'
import { runDirectory } from '../training/run-folder'
import type { RunSummary } from '../../shared/types'

export class FromRunError extends Error {
  override name = 'FromRunError'
}

interface NetworkChoice {
  arch: string
  width?: number | undefined
}

function networksText(networks: readonly NetworkChoice[]): string {
  return networks.map((n) => (n.width === undefined ? n.arch : `${n.arch} ×${n.width}`)).join(' + ')
}

function sameNetworks(a: readonly NetworkChoice[], b: readonly NetworkChoice[]): boolean {
  return (
    a.length === b.length && a.every((n, i) => n.arch === b[i]!.arch && (n.width ?? 1) === (b[i]!.width ?? 1))
  )
}

/** The earlier run a new run of `datasetId` may start from: it exists, is of that dataset and has a final model. */
export function runToStartFrom(db: Db, paths: LibraryPaths, fromRun: number, datasetId: number): RunSummary {
  const run = getRun(db, fromRun)
  if (!run) throw new FromRunError(`There is no run ${fromRun} to start from. List runs with: cohort runs`)
  if (run.datasetId !== datasetId) {
    const theirs = requireDataset(db, run.datasetId).name
    const ours = requireDataset(db, datasetId).name
    throw new FromRunError(
      `Run ${fromRun} trained on dataset "${theirs}", not "${ours}": a run can only start from a run of its own dataset.`,
    )
  }
  if (run.status !== 'completed' || !existsSync(join(runDirectory(paths, fromRun), 'final', METADATA_FILE))) {
    throw new FromRunError(
      `Run ${fromRun} has no final model (it is ${run.status}); start from a completed run.`,
    )
  }
  return run
}

/**
 * The settings a run started from `earlier` must share with it (networks, picture size, colour): those the
 * person left out are taken from it, with why; one the person gave differently is refused.
 */
export function settingsFromRun(
  earlier: RunSummary,
  input: Record<string, unknown>,
): { values: Record<string, unknown>; reasons: Record<'networks' | 'imageSize' | 'channels', string> } {
  const config = earlier.config as { networks: NetworkChoice[]; imageSize: number; channels: 1 | 3 }
  const given = input.networks as NetworkChoice[] | undefined
  if (given !== undefined && !sameNetworks(given, config.networks)) {
    throw new FromRunError(
      `Run ${earlier.id} trained ${networksText(config.networks)}; a run started from it must train the same networks ` +
        `(got ${networksText(given)}). Leave the networks out to use run ${earlier.id}'s.`,
    )
  }
  for (const [key, what] of [
    ['imageSize', 'pictures of'],
    ['channels', 'channels:'],
  ] as const) {
    if (input[key] !== undefined && input[key] !== config[key]) {
      throw new FromRunError(
        `Run ${earlier.id} trained on ${what} ${config[key]}${key === 'imageSize' ? ' px' : ''}; a run started from it ` +
          `must use the same (got ${String(input[key])}).`,
      )
    }
  }
  const because = `as run ${earlier.id}, which this run starts from`
  return {
    values: {
      networks: given ?? config.networks,
      imageSize: config.imageSize,
      channels: config.channels,
    },
    reasons: {
      networks: `${networksText(config.networks)}: ${because}.`,
      imageSize: `${config.imageSize} px: ${because}.`,
      channels: `${config.channels === 1 ? 'greyscale' : 'colour'}: ${because}.`,
    },
  }
}
