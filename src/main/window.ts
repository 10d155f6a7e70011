import { BrowserWindow, shell } from 'electron'
import { join } from 'node:path'
import { SECURE_WEB_PREFERENCES } from './security'

/** The one app window, locked down: isolated, sandboxed, no Node, no navigation away. */
export function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Cohort',
    // three overlapping rings: networks that learn together (build/icon.svg)
    icon: join(__dirname, '../../build/icon.png'),
    webPreferences: {
      ...SECURE_WEB_PREFERENCES,
      preload: join(__dirname, '../preload/index.cjs'),
    },
  })
  win.once('ready-to-show', () => win.show())
  // Cohort shows no remote content: links open in the user's browser, nothing else navigates.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event) => event.preventDefault())
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void win.loadFile(join(__dirname, '../renderer/index.html'))
  return win
}
