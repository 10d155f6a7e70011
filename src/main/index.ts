import { app, BrowserWindow, dialog, ipcMain } from 'electron'
import { join } from 'node:path'
import { cohortHome } from '../core/service/shell'
import { createCohortService, type CohortService } from '../core/service'
import { IPC_PREFIX } from '../shared/api'
import { createMainWindow } from './window'
import { bindIpc, fromCohortPage } from './ipc'
import { handleImageProtocol, registerImageScheme } from './image-protocol'
import { buildMenu } from './menu'
import { launchUtilityTrainer } from './trainer-process'
import { guardQuitDuringTraining } from './quit-guard'

// One library, one writer: a second launch focuses the first window instead.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.setName('Cohort')
  app.setPath('userData', cohortHome())
  registerImageScheme()
  let window: BrowserWindow | null = null
  let service: CohortService | null = null

  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore()
    window?.focus()
  })

  app.whenReady().then(async () => {
    try {
      service = await createCohortService({
        home: app.getPath('userData'),
        sqliteBinding: process.env.COHORT_SQLITE_BINDING,
        version: app.getVersion(),
        launchTrainer: launchUtilityTrainer,
        sampleFolder: join(app.getAppPath(), 'resources', 'sample', 'fashion-mnist'),
      })
    } catch (err) {
      dialog.showErrorBox('Cohort cannot open its library', (err as Error).message)
      app.exit(1)
      return
    }
    handleImageProtocol(service)
    bindIpc(service, () => window)
    ipcMain.handle(`${IPC_PREFIX}shell.pickFolder`, async (event) => {
      if (!window || !fromCohortPage(event, window)) return null
      const picked = await dialog.showOpenDialog(window, { properties: ['openDirectory'] })
      return picked.canceled ? null : (picked.filePaths[0] ?? null)
    })
    buildMenu()
    window = createMainWindow()
    guardQuitDuringTraining(window, service)
    window.on('closed', () => (window = null))
  })

  app.on('window-all-closed', () => app.quit())
  app.on('will-quit', () => service?.close())
}
