import { BrowserWindow, shell, type WebContents } from 'electron'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { decidePermission, decidePermissionCheck, mainWindowOptions, openedExternally } from './security'

/** The page the window shows: the dev server in development, else the bundled index.html. */
export function appUrl(): string {
  return process.env.ELECTRON_RENDERER_URL ?? pathToFileURL(join(__dirname, '../renderer/index.html')).href
}

/** The one app window, locked down: isolated, sandboxed, no Node, no navigation away. */
export function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(__dirname))
  win.once('ready-to-show', () => win.show())
  // Cohort shows no remote content: links open in the user's browser, nothing else navigates.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (openedExternally(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event) => event.preventDefault())
  guardPermissions(win)
  void win.loadURL(appUrl())
  return win
}

/** Every permission request and check of the window's session goes through security.ts's rule. */
function guardPermissions(win: BrowserWindow): void {
  const session = win.webContents.session
  const fromAppWindow = (contents: WebContents | null): boolean =>
    !win.isDestroyed() && contents?.id === win.webContents.id
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? details.mediaTypes : undefined
    callback(
      decidePermission(
        permission,
        { ...details, mediaTypes, fromAppWindow: fromAppWindow(contents) },
        appUrl(),
      ),
    )
  })
  session.setPermissionCheckHandler((contents, permission, _origin, details) =>
    decidePermissionCheck(permission, { ...details, fromAppWindow: fromAppWindow(contents) }, appUrl()),
  )
}
