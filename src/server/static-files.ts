/** The built renderer, served as is: files under its folder only, with the page's strict CSP. */
import type { ServerResponse } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, sep } from 'node:path'
import { send, sendText } from './http'

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

const NOT_FOUND = { status: 404, message: 'Not found' }

/** `path` is the decoded request path ("/" is the app's page). */
export async function serveStatic(res: ServerResponse, rendererDir: string, path: string): Promise<void> {
  const rel = path === '/' ? 'index.html' : path.slice(1)
  const file = normalize(join(rendererDir, rel))
  if (!file.startsWith(normalize(rendererDir) + sep)) return sendText(res, NOT_FOUND)
  let data: Buffer
  try {
    data = await readFile(file)
  } catch {
    return sendText(res, NOT_FOUND)
  }
  res.setHeader('content-security-policy', CSP)
  send(res, 200, MIME[extname(file)] ?? 'application/octet-stream', data)
}
