/**
 * Web mode against hostile requests, on the real server with the built renderer and a real library:
 * another local page posting across ports, a script with a stolen-looking Origin, token leaks, a
 * flood of event streams, a client that never reads, malformed addresses and deeply nested JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp'
import { http } from '../helpers/http'
import { makeLabelledFolder } from '../helpers/labelled-folder'
import { launchChromium, RENDERER_DIR } from '../helpers/browser'
import { createCohortService, type CohortService } from '../../src/core/service'
import { startServer, type RunningServer } from '../../src/server'

const JSON_TYPE = { 'content-type': 'application/json' }

describe('web mode under attack', () => {
  const dir = tempDir('cohort-sec-server-')
  let service: CohortService
  let server: RunningServer
  let base: string
  let bearer: Record<string, string>
  const datasetNames = async () => (await service['datasets.list']()).map((d) => d.name).sort()

  beforeAll(async () => {
    await makeLabelledFolder(join(dir.path, 'pics'), { a: 2, b: 2 })
    service = await createCohortService({ home: join(dir.path, 'home') })
    await service['imports.folder']({ folder: join(dir.path, 'pics'), dataset: 'pics' })
    server = await startServer({ service, rendererDir: RENDERER_DIR, log: () => {} })
    base = new URL(server.url).origin
    bearer = { authorization: `Bearer ${server.token}` }
  })
  afterAll(async () => {
    await server.close()
    service.close()
    dir.cleanup()
  })

  describe('cross-site requests', () => {
    it('refuses a text/plain POST from another local port, with or without the old cookie', async () => {
      const attempt = (headers: Record<string, string>) =>
        http(`${base}/api/datasets.create`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', cookie: `cohort_token=${server.token}`, ...headers },
          body: '["evil"]',
        })
      expect((await attempt({ origin: 'http://127.0.0.1:1' })).status).toBe(403)
      expect((await attempt({})).status).toBe(401) // a cookie is no credential
      expect(await datasetNames()).toEqual(['pics'])
    })

    it('refuses a foreign Origin even with a valid bearer token', async () => {
      for (const origin of ['http://127.0.0.1:1', 'http://localhost:1', 'null', 'http://evil.example']) {
        const r = await http(`${base}/api/datasets.create`, {
          method: 'POST',
          headers: { ...bearer, ...JSON_TYPE, origin },
          body: '["evil"]',
        })
        expect(r.status, origin).toBe(403)
        expect(r.body.toString()).toMatch(/another web page/)
      }
      const events = await http(`${base}/api/events?token=${server.token}`, {
        headers: { origin: 'http://127.0.0.1:1' },
      })
      expect(events.status).toBe(403)
      expect(await datasetNames()).toEqual(['pics'])
    })

    it('allows a script without Origin that carries the bearer token, and its own origin', async () => {
      const tool = await http(`${base}/api/datasets.create`, {
        method: 'POST',
        headers: { ...bearer, ...JSON_TYPE },
        body: '["from-a-script"]',
      })
      expect(JSON.parse(tool.body.toString())).toMatchObject({ ok: true })
      const own = await http(`${base}/api/datasets.list`, {
        method: 'POST',
        headers: { ...bearer, ...JSON_TYPE, origin: base },
        body: '[]',
      })
      expect(own.status).toBe(200)
      await service['datasets.remove'](
        (await service['datasets.list']()).find((d) => d.name === 'from-a-script')!.id,
      )
    })

    it('requires JSON and the bearer header on API calls (not ?token=, not a cookie)', async () => {
      const plain = await http(`${base}/api/datasets.create`, {
        method: 'POST',
        headers: { ...bearer, 'content-type': 'text/plain' },
        body: '["evil"]',
      })
      expect(plain.status).toBe(415)
      expect(plain.body.toString()).toMatch(/JSON/)
      const query = await http(`${base}/api/datasets.create?token=${server.token}`, {
        method: 'POST',
        headers: JSON_TYPE,
        body: '["evil"]',
      })
      expect(query.status).toBe(401)
      expect(await datasetNames()).toEqual(['pics'])
    })

    it('never sets a cookie', async () => {
      for (const path of ['/', `/?token=${server.token}`, '/image/1/thumb?token=' + server.token]) {
        expect((await http(base + path)).headers['set-cookie'], path).toBeUndefined()
      }
    })
  })

  describe('in Chromium', () => {
    let attacker: Server
    let attackerOrigin: string
    const seenByAttacker: IncomingMessage['headers'][] = []

    beforeAll(async () => {
      // another local web server on another port: its page tries a no-cors POST to Cohort
      attacker = createServer((req, res) => {
        seenByAttacker.push(req.headers)
        res.writeHead(200, { 'content-type': 'text/html' })
        res.end(`<!doctype html><script>
          fetch(${JSON.stringify(base)} + '/api/datasets.create', { method: 'POST', mode: 'no-cors',
            credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '["evil"]' })
            .finally(() => { document.title = 'sent' })
        </script>`)
      })
      await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve))
      attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`
    })
    afterAll(() => new Promise<void>((resolve) => attacker.close(() => resolve())))

    it('takes the token out of the address, keeps working, and leaks it to no other local page', async () => {
      const browser = await launchChromium()
      try {
        const context = await browser.newContext()
        const page = await context.newPage()
        const problems: string[] = []
        page.on('pageerror', (e) => problems.push(e.message))
        await page.goto(server.url)
        await page.getByRole('button', { name: 'pics' }).waitFor({ timeout: 10_000 })
        expect(page.url()).toBe(`${base}/`)
        expect(await page.evaluate(() => location.href)).not.toContain(server.token)
        // API calls, pictures and a reload still work from the tab's own copy of the token
        await page.getByRole('button', { name: 'pics' }).click()
        const thumb = page.locator('[data-test=thumb] img').first()
        await expect
          .poll(() => thumb.evaluate((i) => (i as HTMLImageElement).naturalWidth))
          .toBeGreaterThan(0)
        expect(await thumb.getAttribute('src')).toMatch(/^\/image\/\d+\/thumb\?token=/)
        await page.reload()
        await page.getByRole('button', { name: 'pics' }).waitFor({ timeout: 10_000 })
        // the printed address with ?token= works too, and is cleaned the same way
        await page.goto(`${base}/?token=${server.token}`)
        await page.getByRole('button', { name: 'pics' }).waitFor({ timeout: 10_000 })
        expect(page.url()).toBe(`${base}/`)

        const evil = await context.newPage()
        await evil.goto(`${attackerOrigin}/`)
        await expect.poll(() => evil.title(), { timeout: 10_000 }).toBe('sent')
        expect(await datasetNames()).toEqual(['pics'])
        expect(JSON.stringify(seenByAttacker)).not.toContain(server.token)

        // a tab opened without the token says what to do
        const bare = await context.newPage()
        await bare.goto(`${base}/`)
        await expect
          .poll(() => bare.locator('#app').innerText())
          .toMatch(/Open the address cohort serve printed/)
        expect(problems).toEqual([])
      } finally {
        await browser.close()
      }
    }, 60_000)
  })

  describe('event streams', () => {
    it('caps 150 streams at 32 with a clear 503, without a listener leak, and keeps answering', async () => {
      const warnings: string[] = []
      const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`)
      process.on('warning', onWarning)
      const own = await startServer({ service, rendererDir: RENDERER_DIR })
      const ownBase = new URL(own.url).origin
      const started = Date.now()
      try {
        const replies = await Promise.all(
          Array.from(
            { length: 150 },
            () =>
              new Promise<{ status: number; body: string }>((resolve, reject) => {
                const req = request(`${ownBase}/api/events?token=${own.token}`, (res) => {
                  if (res.statusCode === 200) return resolve({ status: 200, body: '' })
                  let body = ''
                  res.on('data', (c: Buffer) => (body += c.toString()))
                  res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
                })
                req.on('error', reject)
                req.end()
              }),
          ),
        )
        expect(replies.filter((r) => r.status === 200)).toHaveLength(32)
        const refused = replies.filter((r) => r.status === 503)
        expect(refused).toHaveLength(118)
        expect(refused[0]!.body).toMatch(/Too many open event streams/)
        const list = await http(`${ownBase}/api/datasets.list`, {
          method: 'POST',
          headers: { authorization: `Bearer ${own.token}`, ...JSON_TYPE },
          body: '[]',
        })
        expect(list.status).toBe(200)
        await new Promise((r) => setTimeout(r, 50)) // warnings are emitted on a later tick
        expect(warnings.filter((w) => /MaxListeners/.test(w))).toEqual([])
        expect(Date.now() - started).toBeLessThan(10_000)
      } finally {
        process.off('warning', onWarning)
        await own.close()
      }
    })

    it('drops a client that stops reading, and frees its slot', async () => {
      const own = await startServer({ service, rendererDir: RENDERER_DIR, eventLimits: { maxClients: 1 } })
      const { port } = new URL(own.url)
      const socket = connect(Number(port), '127.0.0.1')
      let received = 0
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
      try {
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
        socket.write(`GET /api/events?token=${own.token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)
        await new Promise((r) => setTimeout(r, 200))
        socket.pause() // never reads again: the server's buffers fill
        socket.on('data', (c: Buffer) => (received += c.length))
        const started = Date.now()
        const big = 'x'.repeat(64 * 1024)
        let sent = 0
        for (let i = 0; i < 400; i++) {
          service.events.emit('import.progress', {
            dataset: big,
            phase: 'importing',
            done: i,
            total: 400,
            ratePerSecond: 1,
            etaSeconds: 1,
          })
          sent += big.length
        }
        // its slot is free again: a reading client gets a stream, not 503
        await expect
          .poll(
            async () =>
              (await new Promise<number>((resolve) => {
                const req = request(`${own.url.split('#')[0]}api/events?token=${own.token}`, (res) => {
                  resolve(res.statusCode ?? 0)
                  req.destroy()
                })
                req.on('error', () => resolve(0))
                req.end()
              })) === 200,
            { timeout: 10_000, interval: 200 },
          )
          .toBe(true)
        expect(Date.now() - started).toBeLessThan(10_000)
        socket.resume()
        await closed
        expect(received).toBeLessThan(sent / 2)
      } finally {
        socket.destroy()
        await own.close()
      }
    }, 30_000)
  })

  describe('malformed input', () => {
    it('answers a malformed %-escape with 400 and a plain message', async () => {
      for (const path of ['/%E0%A4%A', '/assets/%E0%A4%A', '/image/%E0/thumb', '/api/%E0%A4%A', '/%']) {
        const r = await http(base + path, { headers: bearer })
        expect(r.status, path).toBe(400)
        expect(r.body.toString(), path).toMatch(/malformed/)
      }
    })

    it('refuses deeply nested JSON fast with 400, before parsing it', async () => {
      for (const depth of [100_000, 4_000_000]) {
        const started = Date.now()
        const r = await http(`${base}/api/datasets.list`, {
          method: 'POST',
          headers: { ...bearer, ...JSON_TYPE },
          body: '['.repeat(depth) + ']'.repeat(depth),
        })
        expect(r.status).toBe(400)
        expect(JSON.parse(r.body.toString()).error.message).toMatch(/deeper than 32 levels/)
        expect(Date.now() - started).toBeLessThan(3_000)
      }
      const list = await http(`${base}/api/datasets.list`, {
        method: 'POST',
        headers: { ...bearer, ...JSON_TYPE },
        body: '[]',
      })
      expect(JSON.parse(list.body.toString()).value).toHaveLength(1)
    })

    it('answers huge numbers with a validation message', async () => {
      for (const body of ['[1e400, "x"]', '[123456789012345678901234567890, "x"]', '[-1e-400, "x"]']) {
        const r = await http(`${base}/api/datasets.rename`, {
          method: 'POST',
          headers: { ...bearer, ...JSON_TYPE },
          body,
        })
        expect(JSON.parse(r.body.toString()).error, body).toMatchObject({ name: 'InvalidArgumentsError' })
      }
      expect(await datasetNames()).toEqual(['pics'])
    })
  })
})
