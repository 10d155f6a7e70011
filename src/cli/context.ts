import { createRequire } from 'node:module'
import { cohortHome } from '../core/paths'
import { createCohortService, type CohortService } from '../core/service'

export interface GlobalOptions {
  db?: string
  json?: boolean
}

/** Opens the service for one CLI command, closing it however the command ends. */
export async function withService<T>(
  opts: GlobalOptions,
  work: (service: CohortService) => Promise<T>,
): Promise<T> {
  const service = await createCohortService({ home: cohortHome(), dbFile: opts.db, version: cliVersion() })
  try {
    return await work(service)
  } finally {
    service.close()
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
