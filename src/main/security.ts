/**
 * Cohort's renderer security settings in one place, free of Electron imports so tests can check them.
 * The renderer is isolated and sandboxed with no Node access; it talks to the app only through the
 * preload's typed API and sees images only through the cohort-image:// protocol.
 */
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

/** Must match the meta tag in src/renderer/index.html (a test checks). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' cohort-image: data: blob:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'"
