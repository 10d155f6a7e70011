import { app, dialog, type BrowserWindow } from 'electron'
import type { CohortService } from '../core/service'

/**
 * Closing the window while a run trains asks first. Quitting is safe either way — every finished
 * epoch is checkpointed and the run can be resumed — but it should never be a surprise.
 */
export function guardQuitDuringTraining(window: BrowserWindow, service: CohortService): void {
  let confirmed = false
  window.on('close', (event) => {
    const running = service.runs.activeRunIds()
    if (confirmed || running.length === 0) return
    event.preventDefault()
    const choice = dialog.showMessageBoxSync(window, {
      type: 'question',
      buttons: ['Keep training', 'Stop and quit'],
      defaultId: 0,
      cancelId: 0,
      title: 'A run is training',
      message:
        running.length === 1 ? 'A run is still training.' : `${running.length} runs are still training.`,
      detail:
        'If you quit now, training stops after the current step. You can resume from the last finished epoch.',
    })
    if (choice === 1) {
      confirmed = true
      app.quit()
    }
  })
}
