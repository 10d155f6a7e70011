import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron'
import { API_CHANNELS, API_EVENTS, IPC_PREFIX, type Envelope } from '../shared/api'
import { dispatch } from '../core/service/dispatch'
import type { CohortService } from '../core/service'
import { isTrustedSender } from './security'
import { appUrl } from './window'

/** The call comes from the main frame of Cohort's own window, showing Cohort's own page. */
export function fromCohortPage(event: IpcMainInvokeEvent, window: BrowserWindow | null): boolean {
  const fromAppWindow = !!window && !window.isDestroyed() && event.sender.id === window.webContents.id
  return isTrustedSender(event.senderFrame, fromAppWindow, appUrl())
}

/** Binds every API channel to the service, accepting calls only from Cohort's own page. */
export function bindIpc(service: CohortService, getWindow: () => BrowserWindow | null): void {
  for (const channel of API_CHANNELS) {
    ipcMain.handle(IPC_PREFIX + channel, (event, ...args: unknown[]) => {
      if (!fromCohortPage(event, getWindow()))
        return { ok: false, error: { name: 'Forbidden', message: 'Unknown caller' } } satisfies Envelope
      return dispatch(service, channel, args)
    })
  }
  for (const name of API_EVENTS) {
    service.events.on(name, (payload) => getWindow()?.webContents.send(IPC_PREFIX + name, payload))
  }
}
