/**
 * One request through web mode, as a list of named steps: where it is going (host, URL), who is
 * asking (origin, token), then the route (API call, event stream, picture, renderer file).
 * Anything unexpected becomes a generic 500; its detail goes to the server's stderr, never to
 * the client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { dispatch } from '../core/service/dispatch'
import type { CohortService } from '../core/service'
import type { EventHub } from './events'
import {
  checkBearer,
  checkBearerOrQuery,
  checkHost,
  checkJsonContentType,
  checkOfferedToken,
  checkOrigin,
  decodePath,
  requestUrl,
} from './guard'
import { readBody, send, sendEnvelopeError, sendText, type Refusal } from './http'
import { parseJsonBody } from './json-body'
import { serveStatic } from './static-files'

// pictures from the browser travel as base64 (recognise.images allows 20 MB a picture)
export const MAX_BODY = 32 * 1024 * 1024

export interface RouteContext {
  service: CohortService
  rendererDir: string
  token: string
  host: string
  port(): number
  events: EventHub
  /** where unexpected errors are written (the server's stderr) */
  log(message: string): void
}

const BAD_ADDRESS: Refusal = { status: 400, message: 'Bad request: the address is malformed.' }
const BAD_ESCAPE: Refusal = {
  status: 400,
  message: 'Bad request: the address has a malformed %-escape.',
}
const INTERNAL: Refusal = {
  status: 500,
  message: 'Cohort hit an unexpected problem; the details are in the server log.',
}

export function createHandler(ctx: RouteContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(ctx, req, res).catch((err: unknown) => {
      // the path only: the query may carry the token
      const path = (req.url ?? '').split('?')[0]
      ctx.log(`cohort serve: ${req.method} ${path}: ${err instanceof Error ? err.stack : String(err)}`)
      if (!res.headersSent) sendText(res, INTERNAL)
      else res.destroy()
    })
  }
}

async function route(ctx: RouteContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const refusedHost = checkHost(req, ctx.host, ctx.port())
  if (refusedHost) return sendText(res, refusedHost)
  res.setHeader('x-content-type-options', 'nosniff')
  res.setHeader('referrer-policy', 'no-referrer')
  res.setHeader('cross-origin-resource-policy', 'same-origin')
  const url = requestUrl(req)
  if (!url) return sendText(res, BAD_ADDRESS)
  const path = decodePath(url.pathname)
  if (path === null) return sendText(res, BAD_ESCAPE)

  if (url.pathname.startsWith('/api/')) {
    const channel = url.pathname.slice('/api/'.length)
    if (channel === 'events' && req.method === 'GET') return streamEvents(ctx, req, res, url)
    return apiCall(ctx, req, res, channel)
  }
  const image = /^\/image\/(\d{1,12})\/(thumb|full)$/.exec(url.pathname)
  if (image) return picture(ctx, req, res, url, image[1]!, image[2]!)
  if (req.method !== 'GET') return sendText(res, { status: 405, message: 'Method not allowed' })
  const refused = checkOfferedToken(url, ctx.token)
  if (refused) return sendText(res, refused)
  return serveStatic(res, ctx.rendererDir, path)
}

/** POST /api/<channel>: own origin, bearer token, a JSON array of arguments. */
async function apiCall(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  channel: string,
): Promise<void> {
  const refused =
    checkOrigin(req) ??
    checkBearer(req, ctx.token) ??
    (req.method === 'POST' ? checkJsonContentType(req) : { status: 405, message: 'Use POST' })
  if (refused) return sendText(res, refused)
  const body = await readBody(req, MAX_BODY)
  if (body === null) {
    const message = `The request is larger than ${MAX_BODY / 1024 / 1024} MB: send fewer or smaller pictures at a time.`
    res.setHeader('connection', 'close')
    return sendEnvelopeError(res, 413, 'TooLarge', message)
  }
  const args = parseJsonBody(body)
  if (!args.ok) return sendEnvelopeError(res, 400, 'BadRequest', args.message)
  const envelope = await dispatch(ctx.service, channel, args.value, ctx.log)
  send(res, 200, 'application/json', JSON.stringify(envelope))
}

function streamEvents(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const refused = checkOrigin(req) ?? checkBearerOrQuery(req, url, ctx.token)
  if (refused) return sendText(res, refused)
  if (!ctx.events.open(req, res))
    sendText(res, {
      status: 503,
      message: 'Too many open event streams: close other Cohort tabs, then reload this one.',
    })
}

async function picture(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  id: string,
  variant: string,
): Promise<void> {
  const refused =
    checkOrigin(req) ??
    checkBearerOrQuery(req, url, ctx.token) ??
    (req.method === 'GET' ? null : { status: 405, message: 'Method not allowed' })
  if (refused) return sendText(res, refused)
  const file = await ctx.service.imageFile(`cohort-image://image/${id}/${variant}`)
  if (!file) return sendText(res, { status: 404, message: 'Not found' })
  res.setHeader('cache-control', 'private, max-age=3600')
  send(res, 200, file.contentType, file.data)
}
