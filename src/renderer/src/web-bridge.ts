/**
 * Web mode (`cohort serve`): the same API over HTTP on loopback. The page was opened with the
 * server's token in its URL; the server answered with a same-site cookie, so plain same-origin
 * requests carry it from then on.
 */
import { API_EVENTS } from '../../shared/api'
import type { Bridge } from './api'

export function createWebBridge(base = ''): Bridge {
  let source: EventSource | null = null
  const listeners = new Map<string, Set<(payload: unknown) => void>>()

  function ensureEvents(): void {
    if (source) return
    source = new EventSource(`${base}/api/events`)
    for (const name of API_EVENTS) {
      source.addEventListener(name, (e) => {
        const payload: unknown = JSON.parse((e as MessageEvent<string>).data)
        for (const l of listeners.get(name) ?? []) l(payload)
      })
    }
  }

  return {
    async call(channel, args) {
      const response = await fetch(`${base}/api/${channel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(args),
        credentials: 'same-origin',
      })
      if (response.status === 401) {
        return {
          ok: false,
          error: {
            name: 'Unauthorized',
            message: 'Open the address that `cohort serve` printed (it carries the access token).',
          },
        }
      }
      const text = await response.text()
      try {
        return JSON.parse(text)
      } catch {
        // not an API reply (a proxy, a crash page): show what the server said, briefly
        return {
          ok: false,
          error: {
            name: 'ServerError',
            message: `The Cohort server answered ${response.status}: ${text.slice(0, 200)}`,
          },
        }
      }
    },
    on(event, listener) {
      ensureEvents()
      if (!listeners.has(event)) listeners.set(event, new Set())
      listeners.get(event)!.add(listener)
      return () => listeners.get(event)?.delete(listener)
    },
  }
}
