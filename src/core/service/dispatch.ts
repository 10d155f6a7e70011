import { validateArgs } from '../../shared/api-schema'
import type { ApiChannel, CohortApi } from '../../shared/api'
import { plainLibraryError } from '../store/db'

/** The outcome of one API call as it crosses a process or network boundary. */
export type Envelope<T = unknown> =
  { ok: true; value: T } | { ok: false; error: { name: string; message: string } }

/**
 * Validates raw arguments from an untrusted shell (renderer over IPC, HTTP client) and calls
 * the service. Errors become a plain envelope carrying the human message, never a stack trace.
 */
export async function dispatch(api: CohortApi, channel: string, rawArgs: unknown): Promise<Envelope> {
  try {
    const args = validateArgs(channel, rawArgs)
    const method = api[channel as ApiChannel] as (...a: unknown[]) => Promise<unknown>
    const value = await method.apply(api, args)
    return { ok: true, value: value ?? null }
  } catch (raw) {
    const err = plainLibraryError(raw)
    // the person gets the plain sentence; the raw SQLite error stays in the log
    if (err !== raw) console.warn(`cohort: ${channel}: ${(raw as Error).message}`)
    const e = err instanceof Error ? err : new Error(String(err))
    return { ok: false, error: { name: e.name, message: e.message } }
  }
}
