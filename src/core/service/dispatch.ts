import { validateArgs } from '../../shared/api-schema'
import type { ApiChannel, CohortApi, Envelope } from '../../shared/api'
import { plainLibraryError } from '../store/db'

// programming slips and library internals: their text names code, paths or SQL, not the user's problem
const INTERNAL_NAMES = new Set([
  'TypeError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'EvalError',
  'URIError',
  'AggregateError',
  'SqliteError',
])

export const INTERNAL_ERROR_MESSAGE = 'Cohort hit an unexpected problem; the details are in its log.'

/**
 * Validates raw arguments from an untrusted shell (renderer over IPC, HTTP client) and calls
 * the service. Errors become a plain envelope carrying the human message, never a stack trace;
 * an unexpected error (see `isInternal`) gets a generic message and its detail goes to `log`.
 */
export async function dispatch(
  api: CohortApi,
  channel: string,
  rawArgs: unknown,
  log: (message: string) => void = (message) => console.error(message),
): Promise<Envelope> {
  try {
    const args = validateArgs(channel, rawArgs)
    const method = api[channel as ApiChannel] as (...a: unknown[]) => Promise<unknown>
    const value = await method.apply(api, args)
    return { ok: true, value: value ?? null }
  } catch (raw) {
    // a busy library becomes a plain sentence; the raw SQLite error stays in the log
    const err = plainLibraryError(raw)
    if (err !== raw) log(`cohort: ${channel}: ${(raw as Error).message}`)
    if (!isInternal(err)) {
      const e = err as Error
      return { ok: false, error: { name: e.name, message: e.message } }
    }
    log(`cohort: ${channel} failed: ${err instanceof Error ? err.stack : String(err)}`)
    return { ok: false, error: { name: 'InternalError', message: INTERNAL_ERROR_MESSAGE } }
  }
}

/**
 * Domain errors (StoreError, ImportError, … and the plain `Error`s the service throws with a
 * sentence for the user) keep their message. Anything else is internal: not an Error at all,
 * a built-in error type, or a Node system error (its message carries a path: `ENOENT … '/home/…'`).
 */
export function isInternal(err: unknown): boolean {
  if (!(err instanceof Error)) return true
  if (INTERNAL_NAMES.has(err.name)) return true
  const system = err as { syscall?: unknown; errno?: unknown }
  return system.syscall !== undefined || typeof system.errno === 'number'
}
