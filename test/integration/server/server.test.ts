import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { http } from '../../helpers/http'
import { join } from 'node:path'
import { tempDir } from '../../helpers/temp'
import { makeLabelledFolder } from '../../helpers/labelled-folder'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { startServer, type RunningServer } from '../../../src/server'

describe('web mode server', () => {
  const dir = tempDir()
  let service: CohortService
  let server: RunningServer
  let base: string
  let auth: Record<string, string>
  const json = { 'content-type': 'application/json' }

  beforeAll(async () => {
    const renderer = join(dir.path, 'renderer')
    mkdirSync(join(renderer, 'assets'), { recursive: true })
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Cohort</title>')
    writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)')
    writeFileSync(join(dir.path, 'secret.txt'), 'top secret')
    await makeLabelledFolder(join(dir.path, 'pics'), { a: 2, b: 2 })
    service = await createCohortService({ home: join(dir.path, 'home') })
    await service['imports.folder']({ folder: join(dir.path, 'pics'), dataset: 'pics' })
    server = await startServer({ service, rendererDir: renderer })
    base = new URL(server.url).origin
    auth = { authorization: `Bearer ${server.token}`, ...json }
  })
  afterAll(async () => {
    await server.close()
    service.close()
    dir.cleanup()
  })

  it('binds to loopback and prints a URL carrying a long random token in its fragment', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{32}$/)
  })

  it('answers 401 to every request for data without the token, and to a wrong token', async () => {
    for (const path of ['/image/1/thumb', '/api/events']) {
      expect((await http(base + path)).status, path).toBe(401)
    }
    expect(
      (await http(`${base}/api/datasets.list`, { method: 'POST', body: '[]', headers: json })).status,
    ).toBe(401)
    expect((await http(`${base}/?token=wrong-token`)).status).toBe(401)
    expect((await http(`${base}/image/1/thumb?token=wrong-token`)).status).toBe(401)
  })

  it('serves the app (no user data) with a strict CSP and without a cookie', async () => {
    const page = await http(`${base}/`)
    expect(page.status).toBe(200)
    expect(String(page.headers['content-security-policy'])).toMatch(/default-src 'none'; script-src 'self'/)
    expect(page.headers['set-cookie']).toBeUndefined()
    expect((await http(`${base}/?token=${server.token}`)).headers['set-cookie']).toBeUndefined()
    const asset = await http(`${base}/assets/app.js`)
    expect(asset.status).toBe(200)
  })

  it('refuses foreign Host headers (DNS rebinding)', async () => {
    const r = await http(`${base}/api/datasets.list`, {
      method: 'POST',
      headers: { ...auth, host: 'evil.example:80' },
      body: '[]',
    })
    expect(r.status).toBe(421)
  })

  it('binds the API with the same validation as IPC', async () => {
    const list = JSON.parse(
      (
        await http(`${base}/api/datasets.list`, { method: 'POST', headers: auth, body: '[]' })
      ).body.toString(),
    )
    expect(list.ok).toBe(true)
    expect(list.value[0]).toMatchObject({ name: 'pics', imageCount: 4 })

    const bad = JSON.parse(
      (
        await http(`${base}/api/images.label`, { method: 'POST', headers: auth, body: '["1", "x", null]' })
      ).body.toString(),
    )
    expect(bad).toMatchObject({ ok: false, error: { name: 'InvalidArgumentsError' } })
    const unknown = JSON.parse(
      (await http(`${base}/api/fs.readFile`, { method: 'POST', headers: auth, body: '[]' })).body.toString(),
    )
    expect(unknown.error.message).toMatch(/no such API channel/)
    const notJson = await http(`${base}/api/datasets.list`, { method: 'POST', headers: auth, body: '{' })
    expect(notJson.status).toBe(400)
  })

  it('serves images by id only: known ids, never paths', async () => {
    const images = JSON.parse(
      (
        await http(`${base}/api/images.list`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify([{ datasetId: 1 }]),
        })
      ).body.toString(),
    ).value as { id: number }[]
    const thumb = await http(`${base}/image/${images[0]!.id}/thumb`, { headers: auth })
    expect(thumb.status).toBe(200)
    expect(thumb.headers['content-type']).toBe('image/jpeg')
    expect(thumb.body.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]))
    const full = await http(`${base}/image/${images[0]!.id}/full`, { headers: auth })
    expect(full.headers['content-type']).toBe('image/png')
    expect((await http(`${base}/image/999999/thumb`, { headers: auth })).status).toBe(404)
    for (const evil of [
      '/image/1/../../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/image/1%2f..%2f..%2fsecret.txt/thumb',
    ]) {
      const r = await http(base + evil, { headers: auth })
      expect(r.body.toString(), evil).not.toMatch(/top secret/)
      expect(r.status, evil).toBe(404)
    }
  })

  it('streams service events to the browser', async () => {
    const received = await new Promise<string>((resolve, reject) => {
      const req = request(`${base}/api/events`, { headers: auth }, (res) => {
        let text = ''
        res.on('data', (c: Buffer) => {
          text += c.toString()
          if (text.includes('event: import.progress')) {
            resolve(text)
            req.destroy()
          }
        })
      })
      req.on('error', reject)
      req.end()
      setTimeout(
        () =>
          service.events.emit('import.progress', {
            dataset: 'pics',
            phase: 'importing',
            done: 1,
            total: 2,
            ratePerSecond: 1,
            etaSeconds: 1,
          }),
        200,
      )
    })
    expect(received).toMatch(/"done":1/)
  })
})

describe('web mode server limits', () => {
  it('answers an oversized request with 413 and a readable message, and keeps serving', async () => {
    const dir = tempDir()
    const renderer = join(dir.path, 'renderer')
    mkdirSync(renderer, { recursive: true })
    writeFileSync(join(renderer, 'index.html'), '<!doctype html>')
    const service = await createCohortService({ home: join(dir.path, 'home') })
    const server = await startServer({ service, rendererDir: renderer })
    const base = new URL(server.url).origin
    const auth = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }
    try {
      const huge = JSON.stringify([{ folder: 'x'.repeat(33 * 1024 * 1024), dataset: 'd' }])
      const r = await http(`${base}/api/imports.folder`, { method: 'POST', headers: auth, body: huge })
      expect(r.status).toBe(413)
      expect(JSON.parse(r.body.toString()).error.message).toMatch(/larger than 32 MB/)
      const list = await http(`${base}/api/datasets.list`, { method: 'POST', headers: auth, body: '[]' })
      expect(list.status).toBe(200)
    } finally {
      await server.close()
      service.close()
      dir.cleanup()
    }
  })
})

describe('web mode server errors', () => {
  it('answers an unexpected failure with a generic 500 and logs the detail on the server', async () => {
    const dir = tempDir()
    const service = await createCohortService({ home: join(dir.path, 'home') })
    // a failure no test can provoke honestly: the picture lookup throws with a path in its text
    const failing = new Proxy(service, {
      get: (target, key, receiver) =>
        key === 'imageFile'
          ? () => Promise.reject(new Error("EACCES: permission denied, open '/home/someone/secret.png'"))
          : Reflect.get(target, key, receiver),
    })
    const logged: string[] = []
    const server = await startServer({ service: failing, rendererDir: dir.path, log: (m) => logged.push(m) })
    try {
      const r = await http(`${new URL(server.url).origin}/image/1/thumb?token=${server.token}`)
      expect(r.status).toBe(500)
      expect(r.body.toString()).toBe('Cohort hit an unexpected problem; the details are in the server log.')
      expect(logged.join('\n')).toMatch(/GET \/image\/1\/thumb.*secret\.png/s)
      expect(logged.join('\n')).not.toContain(server.token)
    } finally {
      await server.close()
      service.close()
      dir.cleanup()
    }
  })
})
