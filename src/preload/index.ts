import { contextBridge, ipcRenderer, webUtils } from 'electron'
import { API_CHANNELS, API_EVENTS, IPC_PREFIX } from '../shared/api'

const channels = new Set<string>(API_CHANNELS)
const events = new Set<string>(API_EVENTS)

/**
 * The renderer's only door: call a listed API channel, listen to a listed event, pick a folder.
 * Arguments are validated again in the main process; this list only keeps typos out.
 */
contextBridge.exposeInMainWorld('cohort', {
  call(channel: string, args: unknown[]): Promise<unknown> {
    if (!channels.has(channel)) return Promise.reject(new Error(`Unknown API channel ${channel}`))
    return ipcRenderer.invoke(IPC_PREFIX + channel, ...args)
  },
  on(event: string, listener: (payload: unknown) => void): () => void {
    if (!events.has(event)) throw new Error(`Unknown event ${event}`)
    const wrapped = (_e: unknown, payload: unknown): void => listener(payload)
    ipcRenderer.on(IPC_PREFIX + event, wrapped)
    return () => ipcRenderer.removeListener(IPC_PREFIX + event, wrapped)
  },
  pickFolder(): Promise<string | null> {
    return ipcRenderer.invoke(`${IPC_PREFIX}shell.pickFolder`)
  },
  /** A dropped or picked file's path (a sandboxed renderer cannot see it); '' for bytes with no file. */
  pathForFile(file: File): string {
    return webUtils.getPathForFile(file)
  },
})
