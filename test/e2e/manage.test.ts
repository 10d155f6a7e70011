import { describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { SCREENSHOTS } from '../helpers/browser'
import { axeViolations } from '../helpers/axe'
import { useWebApp } from '../helpers/web-app'
import { splitColourLibrary } from '../helpers/journey-fixture'
import { runDirectory } from '../../src/core/training/run-folder'
import { LABEL_COLOR_NAMES } from '../../src/shared/label-colours'

// Issue 18: a dataset, a label's colour and a run can be renamed, recoloured or deleted from the app, and a
// deletion first says what it loses. In the built renderer, a real Chromium, a real library.
describe('rename and delete a dataset, recolour a label, delete a run', () => {
  const web = useWebApp(splitColourLibrary, 'cohort-e2e-manage-', { viewport: { width: 1400, height: 900 } })

  const shot = (name: string) => web.page.screenshot({ path: join(SCREENSHOTS, `manage-${name}.png`) })
  const names = async () => (await web.lib.service['datasets.list']()).map((d) => d.name)

  it('renames a dataset from its row in the library', async () => {
    await web.page.goto(web.server.url)
    await web.page.locator('[data-test=dataset-row][data-dataset=colours] [data-test=rename-dataset]').click()
    const input = web.page.getByRole('textbox', { name: 'New name for colours' })
    await input.fill('paints')
    await input.press('Enter')
    await expect.poll(names).toEqual(['paints'])
    await web.page.getByRole('button', { name: 'paints', exact: true }).waitFor()
  })

  it('gives a label a colour of the palette, kept in the library and shown on its dot', async () => {
    await web.page.getByRole('button', { name: 'paints', exact: true }).click()
    const row = web.page.locator('[data-test=label-row][data-label=red]')
    await row.locator('[data-test=edit-label]').click()
    await row.getByRole('radio', { name: 'teal' }).check()
    const colourOf = async () =>
      (await web.lib.service['datasets.list']())[0]!.labels.find((l) => l.name === 'red')!.colour
    await expect.poll(colourOf).toBe('#00796b')
    await expect
      .poll(() => row.locator('.dot').evaluate((e) => getComputedStyle(e).backgroundColor))
      .toBe('rgb(0, 121, 107)')
    expect(Object.values(LABEL_COLOR_NAMES)).toContain('teal')
    expect(await axeViolations(web.page)).toEqual([])
    await shot('label-colour')
  })

  it('deletes a run after saying what is lost, with its folder', async () => {
    const folder = runDirectory(web.lib.service.paths, web.lib.runId)
    expect(existsSync(folder)).toBe(true)
    await web.page.click('[data-test=nav-train]')
    await web.page.locator(`[data-test=run-item][data-run="${web.lib.runId}"]`).click()
    await web.page.click('[data-test=delete-run]')
    const confirm = web.page.locator('[data-test=confirm-delete-run]')
    await expect
      .poll(() => confirm.innerText())
      .toContain(`Deleting run ${web.lib.runId} loses its 0 recorded epochs and its trained model`)
    expect(await web.lib.service['runs.list']()).toHaveLength(1) // nothing gone before the yes
    await shot('confirm-delete-run')
    await confirm.getByRole('button', { name: 'Delete run' }).click()
    await expect.poll(async () => (await web.lib.service['runs.list']()).length).toBe(0)
    // the row goes first, then the folder
    await expect.poll(() => existsSync(folder)).toBe(false)
    await web.page.locator('[data-test=no-runs]').waitFor()
  })

  it('deletes a dataset after saying which pictures’ labels and runs are lost', async () => {
    await web.page.click('[data-test=nav-library]')
    await web.page.locator('[data-test=dataset-row][data-dataset=paints] [data-test=delete-dataset]').click()
    const confirm = web.page.locator('[data-test=confirm-delete-dataset]')
    await expect
      .poll(() => confirm.innerText())
      .toContain(
        'Deleting “paints” loses the labels and splits of its 15 pictures and 0 training runs with their models; the picture files stay on disk.',
      )
    expect(await names()).toEqual(['paints'])
    expect(await axeViolations(web.page)).toEqual([])
    await shot('confirm-delete-dataset')
    await confirm.getByRole('button', { name: 'Delete “paints”' }).click()
    await expect.poll(names).toEqual([])
    await web.page.locator('[data-test=import-sample]').waitFor()
    // the dataset's own tabs are gone with it
    expect(await web.page.locator('[data-test=nav-dataset]').count()).toBe(0)
    expect(web.app.problems).toEqual([])
  })
})
