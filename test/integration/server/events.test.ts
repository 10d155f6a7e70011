import { afterEach, describe, expect, it } from 'vitest'
import { createServer, request, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { ServiceEvents } from '../../../src/core/service/events'
import { EVENT_LIMITS, EventHub, type EventLimits } from '../../../src/server/events'

/** A real HTTP server whose every request opens an event stream on the hub. */
async function hubServer(limits: Partial<EventLimits>) {
  const events = new ServiceEvents()
  const hub = new EventHub(events, { ...EVENT_LIMITS, ...limits })
  const server: Server = createServer((req, res) => {
    if (!hub.open(req, res)) res.writeHead(503).end('full')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return { events, hub, server, port }
}

const progress = (dataset: string, done: number) =>
  ({ dataset, phase: 'importing', done, total: 1, ratePerSecond: 1, etaSeconds: 1 }) as const

function openStream(port: number): Promise<{ status: number; text: () => string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: '/' }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      resolve({ status: res.statusCode ?? 0, text: () => text, close: () => req.destroy() })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('event hub', () => {
  const cleanups: (() => void)[] = []
  afterEach(() => {
    for (const c of cleanups.splice(0)) c()
  })

  it('fans every service event out to each stream, up to the cap', async () => {
    const { events, hub, server, port } = await hubServer({ maxClients: 2 })
    cleanups.push(() => (hub.close(), server.close()))
    const a = await openStream(port)
    const b = await openStream(port)
    const c = await openStream(port)
    expect([a.status, b.status, c.status]).toEqual([200, 200, 503])
    events.emit('import.progress', progress('pics', 1))
    await expect.poll(() => a.text()).toMatch(/event: import.progress\ndata: .*"done":1/)
    await expect.poll(() => b.text()).toMatch(/"done":1/)
    a.close()
    await expect.poll(() => hub.size).toBe(1)
    expect((await openStream(port)).status).toBe(200)
  })

  it('drops a stream whose socket has not drained in time', async () => {
    const { events, hub, server, port } = await hubServer({
      drainTimeoutMs: 300,
      maxBufferedBytes: Number.MAX_SAFE_INTEGER,
    })
    cleanups.push(() => (hub.close(), server.close()))
    const socket = connect(port, '127.0.0.1')
    cleanups.push(() => socket.destroy())
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
    await expect.poll(() => hub.size).toBe(1)
    socket.pause()
    // enough to fill the kernel's buffers on both ends, then the server's own
    const big = 'x'.repeat(256 * 1024)
    for (let i = 0; i < 80; i++) events.emit('import.progress', progress(big, i))
    const started = Date.now()
    await expect.poll(() => hub.size, { timeout: 5_000 }).toBe(0)
    expect(Date.now() - started).toBeLessThan(3_000)
  })

  it('drops a stream at once when too much waits for it', async () => {
    const { events, hub, server, port } = await hubServer({
      drainTimeoutMs: 60_000,
      maxBufferedBytes: 64 * 1024,
    })
    cleanups.push(() => (hub.close(), server.close()))
    const socket = connect(port, '127.0.0.1')
    cleanups.push(() => socket.destroy())
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
    socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
    await expect.poll(() => hub.size).toBe(1)
    socket.pause()
    const big = 'x'.repeat(256 * 1024)
    for (let i = 0; i < 80 && hub.size > 0; i++) events.emit('import.progress', progress(big, i))
    await expect.poll(() => hub.size, { timeout: 2_000 }).toBe(0)
  })

  it('closes every stream and stops listening when closed', async () => {
    const { events, hub, server, port } = await hubServer({})
    cleanups.push(() => server.close())
    const a = await openStream(port)
    const ended = new Promise<void>((resolve) => {
      const probe = setInterval(() => hub.size === 0 && (clearInterval(probe), resolve()), 20)
    })
    hub.close()
    await ended
    events.emit('import.progress', progress('late', 9))
    await new Promise((r) => setTimeout(r, 100))
    expect(a.text()).not.toMatch(/late/)
  })
})
