import { validateArgs } from '../../shared/api-schema'
import type { ApiChannel, CohortApi, Envelope } from '../../shared/api'

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
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    return { ok: false, error: { name: e.name, message: e.message } }
  }
}
