import { describe, expect, it } from 'vitest'
import type { IncomingMessage } from 'node:http'
import {
  checkBearer,
  checkBearerOrQuery,
  checkHost,
  checkJsonContentType,
  checkOfferedToken,
  checkOrigin,
  decodePath,
  requestUrl,
} from '../../../src/server/guard'

const TOKEN = 'a'.repeat(32)
const req = (headers: IncomingMessage['headers'], url = '/'): IncomingMessage =>
  ({ headers, url }) as IncomingMessage

describe('web mode guards', () => {
  it('reads the target as a path, never as another host', () => {
    expect(requestUrl(req({}, '//evil.example/x?token=1'))?.pathname).toBe('//evil.example/x')
    expect(requestUrl(req({}, 'http://evil.example/'))).toBeNull()
    expect(decodePath('/%E0%A4%A')).toBeNull()
    expect(decodePath('/a%20b')).toBe('/a b')
  })

  it('answers only to loopback names with the right port when bound to loopback', () => {
    expect(checkHost(req({ host: '127.0.0.1:5000' }), '127.0.0.1', 5000)).toBeNull()
    expect(checkHost(req({ host: 'localhost:5000' }), '127.0.0.1', 5000)).toBeNull()
    expect(checkHost(req({ host: 'evil.example:5000' }), '127.0.0.1', 5000)?.status).toBe(421)
    expect(checkHost(req({ host: '127.0.0.1:5001' }), '127.0.0.1', 5000)?.status).toBe(421)
    expect(checkHost(req({ host: 'anything' }), '0.0.0.0', 5000)).toBeNull()
  })

  it('lets only its own origin (or none) ask', () => {
    const host = '127.0.0.1:5000'
    expect(checkOrigin(req({ host }))).toBeNull()
    expect(checkOrigin(req({ host, origin: 'http://127.0.0.1:5000' }))).toBeNull()
    for (const origin of ['http://127.0.0.1:5001', 'http://localhost:5000', 'null', 'https://127.0.0.1:5000'])
      expect(checkOrigin(req({ host, origin }))?.status, origin).toBe(403)
  })

  it('takes the token from the bearer header for API calls, and also from ?token= for pictures and events', () => {
    const url = new URL(`http://x/image/1/thumb?token=${TOKEN}`)
    expect(checkBearer(req({ authorization: `Bearer ${TOKEN}` }), TOKEN)).toBeNull()
    expect(checkBearer(req({ cookie: `cohort_token=${TOKEN}` }), TOKEN)?.status).toBe(401)
    expect(checkBearer(req({ authorization: `Bearer ${TOKEN}x` }), TOKEN)?.status).toBe(401)
    expect(checkBearerOrQuery(req({}), url, TOKEN)).toBeNull()
    expect(checkBearerOrQuery(req({}), new URL('http://x/image/1/thumb'), TOKEN)?.status).toBe(401)
    expect(checkOfferedToken(new URL('http://x/'), TOKEN)).toBeNull()
    expect(checkOfferedToken(new URL('http://x/?token=wrong'), TOKEN)?.status).toBe(401)
  })

  it('accepts JSON bodies only', () => {
    expect(checkJsonContentType(req({ 'content-type': 'application/json; charset=utf-8' }))).toBeNull()
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', ''])
      expect(checkJsonContentType(req({ 'content-type': type }))?.status, type).toBe(415)
  })
})
