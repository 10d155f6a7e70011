/**
 * Web mode: the renderer and the one API over HTTP, for headless training servers and browser tests.
 * Loopback by default; the random token printed at start (in the URL's fragment, which no server
 * ever receives) is kept by the page for its tab and sent as `Authorization: Bearer`. Same
 * validation as Electron's IPC. The steps of a request live in ./router, who may ask in ./guard,
 * the event streams in ./events.
 */
import { createServer, type Server } from 'node:http'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import type { CohortService } from '../core/service'
import { EVENT_LIMITS, EventHub, type EventLimits } from './events'
import { createHandler } from './router'

export interface ServeOptions {
  service: CohortService
  /** the built renderer (out/renderer) */
  rendererDir: string
  host?: string
  port?: number
  token?: string
  /** caps on event streams (tests shorten them) */
  eventLimits?: Partial<EventLimits>
  /** where unexpected errors are written; the server's stderr by default */
  log?: (message: string) => void
}

export interface RunningServer {
  /** the address to open: the token rides in the fragment (`#token=`); `?token=` is accepted too */
  url: string
  token: string
  close(): Promise<void>
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const token = opts.token ?? randomBytes(24).toString('base64url')
  const events = new EventHub(opts.service.events, { ...EVENT_LIMITS, ...opts.eventLimits })
  const server: Server = createServer(
    createHandler({
      service: opts.service,
      rendererDir: opts.rendererDir,
      token,
      host,
      port: () => (server.address() as AddressInfo).port,
      events,
      log: opts.log ?? ((message) => process.stderr.write(`${message}\n`)),
    }),
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolve())
  })
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${(server.address() as AddressInfo).port}/#token=${token}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        events.close()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
