import { ipcMain, type BrowserWindow, type WebContents } from 'electron'
import { API_CHANNELS, API_EVENTS, IPC_PREFIX } from '../shared/api'
import { dispatch } from '../core/service/dispatch'
import type { CohortService } from '../core/service'

/** Binds every API channel to the service, accepting calls only from Cohort's own window. */
export function bindIpc(service: CohortService, getWindow: () => BrowserWindow | null): void {
  const trusted = (sender: WebContents): boolean => getWindow()?.webContents.id === sender.id
  for (const channel of API_CHANNELS) {
    ipcMain.handle(IPC_PREFIX + channel, (event, ...args: unknown[]) => {
      if (!trusted(event.sender))
        return { ok: false, error: { name: 'Forbidden', message: 'Unknown caller' } }
      return dispatch(service, channel, args)
    })
  }
  for (const name of API_EVENTS) {
    service.events.on(name, (payload) => getWindow()?.webContents.send(IPC_PREFIX + name, payload))
  }
}
