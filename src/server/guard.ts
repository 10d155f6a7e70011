/**
 * Who may ask what of web mode. Each check is a pure function of the request that returns a
 * Refusal (status + plain sentence) or null, so the router reads as a list of steps.
 *
 * The token travels only where another site cannot make the browser send it: the
 * `Authorization: Bearer` header (API calls; a cross-site page cannot add it without a CORS
 * preflight, which this server never grants), or, for the two things a page loads by URL
 * (`<img>` pictures and the EventSource stream, which cannot set headers), a `?token=` the page
 * itself adds. There is no cookie: cookies are scoped by host, not port, so any other local
 * server would receive it.
 */
import type { IncomingMessage } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import type { Refusal } from './http'

const LOOPBACK_BINDS = ['127.0.0.1', '::1', 'localhost']
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']

/** The request's path and query, or null when its target is not an origin-form path. */
export function requestUrl(req: IncomingMessage): URL | null {
  const target = req.url ?? '/'
  if (!target.startsWith('/')) return null
  try {
    // prefixing (not a base URL) keeps `//host/x` a path instead of another host
    return new URL(`http://localhost${target}`)
  } catch {
    return null
  }
}

/** The path with %-escapes decoded, or null when an escape is malformed (e.g. `%E0%A4%A`). */
export function decodePath(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname)
  } catch {
    return null
  }
}

/** Refuses DNS rebinding: a server bound to loopback answers only to loopback host names. */
export function checkHost(req: IncomingMessage, boundHost: string, port: number): Refusal | null {
  if (!LOOPBACK_BINDS.includes(boundHost)) return null // bound on purpose elsewhere; the token guards it
  const header = req.headers.host
  if (LOOPBACK_NAMES.some((name) => header === `${name}:${port}`)) return null
  return { status: 421, message: 'Unexpected Host header' }
}

/**
 * A browser names the page that made a request in `Origin` (always on POST). Only Cohort's own
 * page may ask; a request without Origin comes from a script or tool, which must then carry the
 * bearer token (checked next).
 */
export function checkOrigin(req: IncomingMessage): Refusal | null {
  const origin = req.headers.origin
  if (origin === undefined || origin === `http://${req.headers.host}`) return null
  return { status: 403, message: 'Refused: this request came from another web page, not from Cohort.' }
}

export function bearerToken(req: IncomingMessage): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]
}

export function tokenMatches(offered: string | undefined | null, token: string): boolean {
  if (!offered) return false
  const given = Buffer.from(offered)
  const expected = Buffer.from(token)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

const UNAUTHORIZED: Refusal = { status: 401, message: 'Unauthorized: open the address cohort serve printed.' }

/** API calls: the bearer header only, so no link, form or no-cors request can carry it. */
export function checkBearer(req: IncomingMessage, token: string): Refusal | null {
  return tokenMatches(bearerToken(req), token) ? null : UNAUTHORIZED
}

/** Pictures and events: the bearer header, or the `?token=` Cohort's page adds to their URLs. */
export function checkBearerOrQuery(req: IncomingMessage, url: URL, token: string): Refusal | null {
  const offered = bearerToken(req) ?? url.searchParams.get('token')
  return tokenMatches(offered, token) ? null : UNAUTHORIZED
}

/** The renderer's files hold no user data and need no token; a wrong one offered is still refused. */
export function checkOfferedToken(url: URL, token: string): Refusal | null {
  const offered = url.searchParams.get('token')
  return offered === null || tokenMatches(offered, token) ? null : UNAUTHORIZED
}

/** `text/plain` and form bodies are what a cross-site page can send without a preflight. */
export function checkJsonContentType(req: IncomingMessage): Refusal | null {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
  if (type === 'application/json') return null
  return { status: 415, message: 'Send the arguments as JSON (Content-Type: application/json).' }
}
