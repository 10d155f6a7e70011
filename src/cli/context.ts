import { createRequire } from 'node:module'
import { createCohortService, type CohortService } from '../core/service'
import { cohortHome, LibraryError, libraryPaths, type LibraryPaths } from '../core/service/shell'

export interface GlobalOptions {
  db?: string
  json?: boolean
}

/** Opens the service for one CLI command, closing it however the command ends. */
export async function withService<T>(
  opts: GlobalOptions,
  work: (service: CohortService) => Promise<T>,
): Promise<T> {
  // one command per process: suggestions are answered when asked for (cohort suggest), not after a run, and
  // in this process — the command waits for them anyway, and a second process would only add its start-up
  const service = await openService(opts, { suggestAfterRuns: false, suggestInBackground: false })
  try {
    return await work(service)
  } finally {
    service.close()
  }
}

/** The library these options name: COHORT_HOME's (or the default) unless --db names another file. */
export function cliLibraryPaths(opts: GlobalOptions): LibraryPaths {
  return libraryPaths(cohortHome(), opts.db)
}

/** The service over the options' library; a damaged library points at `cohort doctor`. */
export async function openService(
  opts: GlobalOptions,
  {
    suggestAfterRuns = true,
    suggestInBackground = true,
  }: { suggestAfterRuns?: boolean; suggestInBackground?: boolean } = {},
): Promise<CohortService> {
  try {
    return await createCohortService({
      home: cohortHome(),
      dbFile: opts.db,
      version: cliVersion(),
      suggestAfterRuns,
      suggestInBackground,
    })
  } catch (err) {
    if (err instanceof LibraryError && err.code === 'damaged') {
      throw new CliError(`${err.message} (see: cohort doctor)`)
    }
    throw err
  }
}

/** A failure the user can act on: printed as one line, exit code 1, no stack trace. */
export class CliError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CliError'
  }
}

export function cliVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version
}
