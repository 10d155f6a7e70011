/**
 * Web mode (`cohort serve`): the same API over HTTP on loopback. Every API call carries the tab's
 * token as `Authorization: Bearer`; the event stream and pictures, which the browser loads by URL
 * and cannot give headers, carry it as `?token=` (never shown in the address bar, and the server's
 * Referrer-Policy is no-referrer).
 */
import { API_EVENTS } from '../../shared/api'
import type { Bridge } from './api'
import { NO_TOKEN_MESSAGE } from './web-token'

export function createWebBridge(token: string, base = ''): Bridge {
  let source: EventSource | null = null
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const withToken = (path: string): string => `${base}${path}?token=${encodeURIComponent(token)}`

  function ensureEvents(): void {
    if (source) return
    source = new EventSource(withToken('/api/events'))
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
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(args),
        credentials: 'omit',
      })
      if (response.status === 401) {
        return { ok: false, error: { name: 'Unauthorized', message: NO_TOKEN_MESSAGE } }
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
    imageUrl: (imageId, variant) => withToken(`/image/${imageId}/${variant}`),
  }
}
