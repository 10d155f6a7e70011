import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { createBridge } from './bridge'

// the one object the renderer gets from Electron (see bridge.ts for what it allows)
contextBridge.exposeInMainWorld(
  'cohort',
  createBridge(ipcRenderer, (file) => webUtils.getPathForFile(file)),
)
