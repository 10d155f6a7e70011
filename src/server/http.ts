/** The few HTTP primitives every route of web mode shares: plain replies and a bounded body read. */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Envelope } from '../shared/api'

/** A refusal with a status and one plain sentence for the person (or script) that asked. */
export interface Refusal {
  status: number
  message: string
}

export function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type })
  res.end(body)
}

export function sendText(res: ServerResponse, refusal: Refusal): void {
  send(res, refusal.status, 'text/plain; charset=utf-8', refusal.message)
}

/** API replies are envelopes even when refused, so clients read one shape. */
export function sendEnvelopeError(res: ServerResponse, status: number, name: string, message: string): void {
  send(
    res,
    status,
    'application/json',
    JSON.stringify({ ok: false, error: { name, message } } satisfies Envelope),
  )
}

/** The body, or null when it is larger than `max` bytes (the rest is not read). */
export function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        resolve(null)
        req.pause()
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}
