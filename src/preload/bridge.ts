import { API_CHANNELS, API_EVENTS, IPC_PREFIX } from '../shared/api'

/** The part of Electron's ipcRenderer the bridge uses (so a test can drive the bridge without Electron). */
export interface BridgeIpc {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>
  on(channel: string, listener: (event: unknown, payload: unknown) => void): unknown
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): unknown
}

const channels = new Set<string>(API_CHANNELS)
const events = new Set<string>(API_EVENTS)

/**
 * The renderer's only door: call a listed API channel, listen to a listed event, pick a folder, read a
 * dropped file's path. Arguments are validated again in the main process; this list only keeps typos out.
 */
export function createBridge(ipc: BridgeIpc, pathForFile: (file: File) => string) {
  return {
    call(channel: string, args: unknown[]): Promise<unknown> {
      if (!channels.has(channel)) return Promise.reject(new Error(`Unknown API channel ${channel}`))
      return ipc.invoke(IPC_PREFIX + channel, ...args)
    },
    on(event: string, listener: (payload: unknown) => void): () => void {
      if (!events.has(event)) throw new Error(`Unknown event ${event}`)
      const wrapped = (_e: unknown, payload: unknown): void => listener(payload)
      ipc.on(IPC_PREFIX + event, wrapped)
      return () => void ipc.removeListener(IPC_PREFIX + event, wrapped)
    },
    pickFolder(): Promise<string | null> {
      return ipc.invoke(`${IPC_PREFIX}shell.pickFolder`) as Promise<string | null>
    },
    /** A dropped or picked file's path (a sandboxed renderer cannot see it); '' for bytes with no file. */
    pathForFile,
  }
}
