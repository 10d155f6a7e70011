/**
 * Web mode: the renderer and the one API over HTTP, for headless training servers and browser tests.
 * Loopback by default; every request needs the random token printed at start (as `?token=` once,
 * then a same-site cookie, or an `Authorization: Bearer` header). Same validation as Electron's IPC.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import type { AddressInfo } from 'node:net'
import { API_EVENTS } from '../shared/api'
import { dispatch } from '../core/service/dispatch'
import type { CohortService } from '../core/service'

export interface ServeOptions {
  service: CohortService
  /** the built renderer (out/renderer) */
  rendererDir: string
  host?: string
  port?: number
  token?: string
}

export interface RunningServer {
  url: string
  token: string
  close(): Promise<void>
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'; frame-ancestors 'none'"

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}
// pictures from the browser travel as base64 (recognize.images allows 20 MB a picture)
const MAX_BODY = 32 * 1024 * 1024

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1'
  const token = opts.token ?? randomBytes(24).toString('base64url')
  const expected = Buffer.from(token)

  const authorised = (req: IncomingMessage, url: URL): boolean => {
    const offered =
      url.searchParams.get('token') ??
      /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ??
      /(?:^|;\s*)cohort_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]
    if (!offered) return false
    const given = Buffer.from(offered)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `Internal error: ${(err as Error).message}`)
      else res.end()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (!allowedHost(req.headers.host, host, port()))
      return send(res, 421, 'text/plain', 'Unexpected Host header')
    if (!authorised(req, url))
      return send(res, 401, 'text/plain', 'Unauthorized: open the URL cohort serve printed.')
    res.setHeader('x-content-type-options', 'nosniff')
    res.setHeader('referrer-policy', 'no-referrer')

    if (url.pathname.startsWith('/api/')) {
      const channel = url.pathname.slice('/api/'.length)
      if (channel === 'events' && req.method === 'GET') return events(req, res)
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'Use POST')
      const body = await readBody(req)
      if (body === null) {
        const message = `The request is larger than ${MAX_BODY / 1024 / 1024} MB: send fewer or smaller pictures at a time.`
        res.setHeader('connection', 'close')
        return send(
          res,
          413,
          'application/json',
          JSON.stringify({ ok: false, error: { name: 'TooLarge', message } }),
        )
      }
      let args: unknown
      try {
        args = body.length ? JSON.parse(body) : []
      } catch {
        return send(
          res,
          400,
          'application/json',
          JSON.stringify({ ok: false, error: { name: 'BadRequest', message: 'Body is not JSON' } }),
        )
      }
      return send(res, 200, 'application/json', JSON.stringify(await dispatch(opts.service, channel, args)))
    }

    const image = /^\/image\/(\d{1,12})\/(thumb|full)$/.exec(url.pathname)
    if (image) {
      const file = await opts.service.imageFile(`cohort-image://image/${image[1]}/${image[2]}`)
      if (!file) return send(res, 404, 'text/plain', 'Not found')
      res.setHeader('cache-control', 'private, max-age=3600')
      return send(res, 200, file.contentType, file.data)
    }

    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'Method not allowed')
    return staticFile(res, url, url.searchParams.has('token'))
  }

  async function staticFile(res: ServerResponse, url: URL, setCookie: boolean): Promise<void> {
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1))
    const file = normalize(join(opts.rendererDir, rel))
    if (!file.startsWith(normalize(opts.rendererDir) + sep)) return send(res, 404, 'text/plain', 'Not found')
    let data: Buffer
    try {
      data = await readFile(file)
    } catch {
      return send(res, 404, 'text/plain', 'Not found')
    }
    if (setCookie) res.setHeader('set-cookie', `cohort_token=${token}; HttpOnly; SameSite=Strict; Path=/`)
    res.setHeader('content-security-policy', CSP)
    send(res, 200, MIME[extname(file)] ?? 'application/octet-stream', data)
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    })
    res.write(': connected\n\n')
    const stops = API_EVENTS.map((name) =>
      opts.service.events.on(name, (payload) =>
        res.write(`event: ${name}\ndata: ${JSON.stringify(payload)}\n\n`),
      ),
    )
    const keepAlive = setInterval(() => res.write(': ping\n\n'), 15_000)
    req.on('close', () => {
      clearInterval(keepAlive)
      for (const stop of stops) stop()
    })
  }

  const port = (): number => (server.address() as AddressInfo).port
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => resolve())
  })
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port()}/?token=${token}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Refuses DNS rebinding: a server bound to loopback answers only to loopback host names. */
function allowedHost(header: string | undefined, boundHost: string, port: number): boolean {
  if (!['127.0.0.1', '::1', 'localhost'].includes(boundHost)) return true // bound on purpose elsewhere; the token guards it
  return ['127.0.0.1', 'localhost', '[::1]'].some((name) => header === `${name}:${port}`)
}

/** The body, or null when it is larger than MAX_BODY (the rest is not read). */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > MAX_BODY) {
        resolve(null)
        req.pause()
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type })
  res.end(body)
}
