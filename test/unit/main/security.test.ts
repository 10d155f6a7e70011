import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { CONTENT_SECURITY_POLICY, SECURE_WEB_PREFERENCES } from '../../../src/main/security'

const root = join(__dirname, '..', '..', '..')

describe('Electron security settings', () => {
  it('isolates and sandboxes the renderer without Node', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    })
  })

  it('the window uses them and nothing overrides them', () => {
    const source = readFileSync(join(root, 'src/main/window.ts'), 'utf8')
    expect(source).toMatch(/\.\.\.SECURE_WEB_PREFERENCES/)
    expect(source).not.toMatch(/nodeIntegration|contextIsolation|sandbox:|webSecurity/)
  })

  it('the page carries the strict CSP: no remote scripts, no eval, images only from Cohort', () => {
    const html = readFileSync(join(root, 'src/renderer/index.html'), 'utf8')
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)
    expect(meta?.[1]).toBe(CONTENT_SECURITY_POLICY)
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/)
    expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'none'/)
  })

  it('the preload exposes only the listed channels', () => {
    const source = readFileSync(join(root, 'src/preload/index.ts'), 'utf8')
    expect(source).toMatch(/if \(!channels\.has\(channel\)\)/)
    expect(source.match(/exposeInMainWorld/g)).toHaveLength(1)
  })
})
