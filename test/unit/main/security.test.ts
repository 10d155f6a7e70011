import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  CONTENT_SECURITY_POLICY,
  decidePermission,
  decidePermissionCheck,
  isAppUrl,
  isTrustedSender,
  mainWindowOptions,
  openedExternally,
  SECURE_WEB_PREFERENCES,
} from '../../../src/main/security'
import { createBridge, type BridgeIpc } from '../../../src/preload/bridge'
import { API_EVENTS, IPC_PREFIX } from '../../../src/shared/api'

const root = join(__dirname, '..', '..', '..')
const APP = 'file:///opt/Cohort/resources/app/out/renderer/index.html'
const DEV = 'http://localhost:5173/'

/** The policy as directive → sources, the way a browser reads it. */
function parseCsp(policy: string): Map<string, string[]> {
  const directives = new Map<string, string[]>()
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (!name) continue
    expect(directives.has(name), `directive ${name} given twice`).toBe(false)
    directives.set(name, sources)
  }
  return directives
}

describe('Electron security settings', () => {
  it('isolates and sandboxes the renderer without Node, webviews or insecure content', () => {
    expect(SECURE_WEB_PREFERENCES).toEqual({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
    })
  })

  it('the window uses them and nothing overrides them', () => {
    const { webPreferences, ...rest } = mainWindowOptions('/opt/Cohort/out/main')
    expect(webPreferences).toEqual({
      ...SECURE_WEB_PREFERENCES,
      preload: '/opt/Cohort/out/preload/index.cjs',
    })
    expect(rest).not.toHaveProperty('webPreferences')
  })

  it("opens only https links, and only in the person's browser", () => {
    expect(openedExternally('https://example.org/help')).toBe(true)
    for (const url of [
      'http://example.org',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'cohort-image://image/1/full',
    ])
      expect(openedExternally(url)).toBe(false)
  })

  it('the CSP allows, directive by directive, only Cohort itself', () => {
    const csp = parseCsp(CONTENT_SECURITY_POLICY)
    expect(Object.fromEntries(csp)).toEqual({
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'cohort-image:', 'data:', 'blob:'],
      'connect-src': ["'self'"],
      'font-src': ["'self'"],
      'base-uri': ["'none'"],
      'form-action': ["'none'"],
      'object-src': ["'none'"],
    })
    for (const sources of csp.values()) {
      for (const s of sources) expect(s).not.toMatch(/unsafe-eval|^https?:|^\*|^http:|^ws/)
    }
    // the page's meta tag carries the same policy
    const html = readFileSync(join(root, 'src/renderer/index.html'), 'utf8')
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)
    expect(Object.fromEntries(parseCsp(meta?.[1] ?? ''))).toEqual(Object.fromEntries(csp))
  })

  it('the preload passes only the listed channels and events to the main process', async () => {
    const sent: unknown[][] = []
    const listening = new Map<string, unknown>()
    const ipc: BridgeIpc = {
      invoke: async (...args) => void sent.push(args),
      on: (channel, listener) => listening.set(channel, listener),
      removeListener: (channel) => listening.delete(channel),
    }
    const bridge = createBridge(ipc, () => '')
    expect(Object.keys(bridge).sort()).toEqual(['call', 'on', 'pathForFile', 'pickFolder'])
    await bridge.call('datasets.list', [])
    expect(sent).toEqual([[`${IPC_PREFIX}datasets.list`]])
    for (const channel of ['shell.openExternal', 'datasets.list ', '__proto__', 'fs.readFile'])
      await expect(bridge.call(channel, [])).rejects.toThrow(`Unknown API channel ${channel}`)
    expect(sent).toHaveLength(1)
    expect(() => bridge.on('anything', () => undefined)).toThrow('Unknown event anything')
    const stop = bridge.on(API_EVENTS[0], () => undefined)
    expect([...listening.keys()]).toEqual([IPC_PREFIX + API_EVENTS[0]])
    stop()
    expect(listening.size).toBe(0)
  })
})

describe("Cohort's own page", () => {
  it('is the bundled index.html by path, or the dev server by origin', () => {
    expect(isAppUrl(`${APP}#/dataset/3`, APP)).toBe(true)
    expect(isAppUrl('file:///tmp/evil.html', APP)).toBe(false)
    expect(isAppUrl('file:///opt/Cohort/resources/app/out/renderer/other.html', APP)).toBe(false)
    expect(isAppUrl('http://localhost:5173/src/main.ts', DEV)).toBe(true)
    expect(isAppUrl('http://localhost:5174/', DEV)).toBe(false)
    expect(isAppUrl('https://example.com/', APP)).toBe(false)
    expect(isAppUrl('not a url', APP)).toBe(false)
    expect(isAppUrl(undefined, APP)).toBe(false)
  })
})

describe('permissions', () => {
  const camera = { fromAppWindow: true, isMainFrame: true, requestingUrl: APP, mediaTypes: ['video'] }

  it("grant the camera to Cohort's page in Cohort's window", () => {
    expect(decidePermission('media', camera, APP)).toBe(true)
    expect(decidePermissionCheck('media', { ...camera, mediaType: 'video' }, APP)).toBe(true)
  })

  it('deny the microphone, other pages, frames and windows', () => {
    expect(decidePermission('media', { ...camera, mediaTypes: ['video', 'audio'] }, APP)).toBe(false)
    expect(decidePermission('media', { ...camera, mediaTypes: ['audio'] }, APP)).toBe(false)
    expect(decidePermission('media', { ...camera, mediaTypes: [] }, APP)).toBe(false)
    expect(decidePermission('media', { ...camera, mediaTypes: undefined }, APP)).toBe(false)
    expect(decidePermission('media', { ...camera, requestingUrl: 'file:///tmp/x.html' }, APP)).toBe(false)
    expect(decidePermission('media', { ...camera, isMainFrame: false }, APP)).toBe(false)
    expect(decidePermission('media', { ...camera, fromAppWindow: false }, APP)).toBe(false)
    expect(decidePermissionCheck('media', { ...camera, mediaType: 'audio' }, APP)).toBe(false)
    expect(decidePermissionCheck('media', { ...camera, mediaType: 'unknown' }, APP)).toBe(false)
  })

  it.each([
    'display-capture',
    'notifications',
    'geolocation',
    'midi',
    'midiSysex',
    'pointerLock',
    'fullscreen',
    'openExternal',
    'clipboard-read',
    'clipboard-sanitized-write',
    'hid',
    'serial',
    'usb',
    'idle-detection',
    'window-management',
    'fileSystem',
    'storage-access',
    'unknown',
  ])('deny %s, even to Cohort itself', (permission) => {
    expect(decidePermission(permission, camera, APP)).toBe(false)
    expect(decidePermissionCheck(permission, camera, APP)).toBe(false)
  })
})

describe('IPC callers', () => {
  const main = { url: APP, parent: null }

  it("are served from the main frame of Cohort's window showing Cohort's page", () => {
    expect(isTrustedSender(main, true, APP)).toBe(true)
    expect(isTrustedSender({ url: `${APP}#/recognise`, parent: null }, true, APP)).toBe(true)
  })

  it('are refused from a sub-frame, another page, another window or a discarded frame', () => {
    expect(isTrustedSender({ url: APP, parent: main }, true, APP)).toBe(false)
    expect(isTrustedSender({ url: 'https://example.com/', parent: null }, true, APP)).toBe(false)
    expect(isTrustedSender({ url: 'file:///tmp/evil.html', parent: null }, true, APP)).toBe(false)
    expect(isTrustedSender(main, false, APP)).toBe(false)
    expect(isTrustedSender(null, true, APP)).toBe(false)
    expect(isTrustedSender(undefined, true, APP)).toBe(false)
  })
})
