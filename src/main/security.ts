/**
 * Cohort's renderer security settings in one place, free of Electron imports so tests can check them.
 * The renderer is isolated and sandboxed with no Node access; it talks to the app only through the
 * preload's typed API and sees images only through the cohort-image:// protocol.
 */
import { join } from 'node:path'

export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  spellcheck: false,
} as const

/**
 * The app window's options: the secure preferences exactly, plus the preload script — nothing may override
 * them. `appDir` is the bundled main process's folder (out/main).
 */
export function mainWindowOptions(appDir: string) {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Cohort',
    // three overlapping rings: networks that learn together (build/icon.svg)
    icon: join(appDir, '../../build/icon.png'),
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: join(appDir, '../preload/index.cjs') },
  }
}

/** Links open in the person's browser (https only); the app window itself never opens another. */
export function openedExternally(url: string): boolean {
  return url.startsWith('https://')
}

/** Must match the meta tag in src/renderer/index.html (a test checks). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' cohort-image: data: blob:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'"

/**
 * Whether `url` is Cohort's own page: the bundled index.html (file:, compared by path, so another local file
 * does not qualify) or, in development, the dev server's origin. `appUrl` is the URL the window loads.
 */
export function isAppUrl(url: string | undefined, appUrl: string): boolean {
  if (!url) return false
  let candidate: URL
  let app: URL
  try {
    candidate = new URL(url)
    app = new URL(appUrl)
  } catch {
    return false
  }
  if (app.protocol === 'file:') return candidate.protocol === 'file:' && candidate.pathname === app.pathname
  return candidate.origin === app.origin
}

/** The fields of Electron's permission request details that the decision reads. */
export interface PermissionRequestFacts {
  /** the request comes from the webContents of Cohort's window */
  fromAppWindow: boolean
  isMainFrame: boolean
  requestingUrl?: string
  /** media requests only: what getUserMedia asked for */
  mediaTypes?: readonly string[]
}

/**
 * Cohort asks for one thing: the camera (`getUserMedia({ video: true })` in CameraCapture), from its own page
 * in its own window. Everything else — microphone, screen, notifications, geolocation, MIDI, HID, serial,
 * clipboard reads, opening external apps… — is denied, and so is the camera for any other page or frame.
 */
export function decidePermission(permission: string, facts: PermissionRequestFacts, appUrl: string): boolean {
  if (permission !== 'media') return false
  const types = facts.mediaTypes ?? []
  return (
    facts.fromAppWindow &&
    facts.isMainFrame &&
    isAppUrl(facts.requestingUrl, appUrl) &&
    types.length > 0 &&
    types.every((t) => t === 'video')
  )
}

/** The synchronous checks (e.g. whether camera access may be assumed): the same rule as the requests. */
export function decidePermissionCheck(
  permission: string,
  facts: Omit<PermissionRequestFacts, 'mediaTypes'> & { mediaType?: string },
  appUrl: string,
): boolean {
  return decidePermission(
    permission,
    { ...facts, mediaTypes: facts.mediaType ? [facts.mediaType] : [] },
    appUrl,
  )
}

/** The part of Electron's WebFrameMain an IPC call's sender is judged by. */
export interface SenderFrame {
  url: string
  parent: unknown
}

/**
 * An IPC call is served only from the main frame of Cohort's window showing Cohort's page: not from an
 * iframe, not after a navigation elsewhere, not from a frame Electron has already discarded (null).
 */
export function isTrustedSender(
  frame: SenderFrame | null | undefined,
  fromAppWindow: boolean,
  appUrl: string,
): boolean {
  return fromAppWindow && !!frame && frame.parent === null && isAppUrl(frame.url, appUrl)
}
