/**
 * Server-sent events for web mode: one subscription to the service per event name, fanned out to
 * at most `maxClients` streams. A client that stops reading is dropped, so a stuck tab (or a
 * hostile one) can neither grow the server's memory nor keep a slot forever.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { API_EVENTS } from '../shared/api'
import type { ServiceEvents } from '../core/service/events'

export interface EventLimits {
  /** concurrent streams; each browser tab holds one */
  maxClients: number
  /** a stream whose socket has not drained within this long is closed */
  drainTimeoutMs: number
  /** a stream with more than this many bytes waiting in the server is closed at once */
  maxBufferedBytes: number
  keepAliveMs: number
}

export const EVENT_LIMITS: EventLimits = {
  maxClients: 32,
  drainTimeoutMs: 5_000,
  maxBufferedBytes: 1024 * 1024,
  keepAliveMs: 15_000,
}

export class EventHub {
  private readonly clients = new Set<EventClient>()
  private readonly stops: (() => void)[]
  private readonly keepAlive: NodeJS.Timeout

  constructor(
    events: ServiceEvents,
    private readonly limits: EventLimits = EVENT_LIMITS,
  ) {
    this.stops = API_EVENTS.map((name) =>
      events.on(name, (payload) => this.broadcast(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`)),
    )
    this.keepAlive = setInterval(() => this.broadcast(': ping\n\n'), limits.keepAliveMs)
    this.keepAlive.unref()
  }

  get size(): number {
    return this.clients.size
  }

  /** Starts a stream on `res`; false (nothing written) when every slot is taken. */
  open(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.clients.size >= this.limits.maxClients) return false
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    const client = new EventClient(res, this.limits)
    this.clients.add(client)
    const forget = (): void => {
      client.dispose()
      this.clients.delete(client)
    }
    req.on('close', forget)
    res.on('close', forget)
    client.write(': connected\n\n')
    return true
  }

  close(): void {
    clearInterval(this.keepAlive)
    for (const stop of this.stops) stop()
    for (const client of this.clients) client.drop()
    this.clients.clear()
  }

  private broadcast(chunk: string): void {
    for (const client of this.clients) client.write(chunk)
  }
}

/** One stream and its back-pressure: bytes waiting are bounded in size and in time. */
class EventClient {
  private drainTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly res: ServerResponse,
    private readonly limits: EventLimits,
  ) {}

  write(chunk: string): void {
    if (this.res.destroyed) return
    const flushed = this.res.write(chunk)
    if (this.res.writableLength > this.limits.maxBufferedBytes) return this.drop()
    if (flushed || this.drainTimer) return
    this.drainTimer = setTimeout(() => this.drop(), this.limits.drainTimeoutMs)
    this.res.once('drain', () => this.clearDrainTimer())
  }

  drop(): void {
    this.clearDrainTimer()
    this.res.destroy()
  }

  dispose(): void {
    this.clearDrainTimer()
  }

  private clearDrainTimer(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer)
    this.drainTimer = null
  }
}
