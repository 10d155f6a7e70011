import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { axeViolations } from '../helpers/axe'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { makeDatasetFolder } from '../helpers/dataset-fixture'
import { createCohortService, type CohortService } from '../../src/core/service'
import type { RunningServer } from '../../src/server'

// Issue 18: an import lands in its dataset with the next step offered; the import form fills the name from
// the folder, says why Import is disabled, and the web build does not promise a drop it refuses.
describe('after an import the person lands in that dataset, with the next step offered', () => {
  const dir = tempDir('cohort-e2e-landing-')
  let service: CohortService
  let app: WebApp
  let server: RunningServer
  let page: Page

  beforeAll(async () => {
    await makeDatasetFolder(join(dir.path, 'garden', 'squares'), { red: 3, green: 3 }, 2, 16)
    service = await createCohortService({ home: join(dir.path, 'home') })
    app = await openWebApp(service, { viewport: { width: 1400, height: 900 } })
    ;({ server, page } = app)
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `landing-${name}.png`) })
  const importButton = () => page.locator('[data-test=import]')
  const nextStep = () => page.locator('[data-test=next-step-text]')

  it('the web build’s import heading does not promise a drop, and a disabled Import says why', async () => {
    await page.goto(server.url)
    const heading = page.locator('[data-test=import-form] h3')
    await heading.waitFor()
    expect(await heading.innerText()).not.toMatch(/drop/i)
    expect(await importButton().isDisabled()).toBe(true)
    const why = await importButton().getAttribute('aria-describedby')
    expect(await page.locator(`#${why}`).innerText()).toBe('Type the path of a folder of pictures first.')
    expect(await importButton().getAttribute('title')).toBe('Type the path of a folder of pictures first.')
  })

  it('typing a folder path fills in the dataset name, unless the person typed one', async () => {
    await page.fill('input[name=folder]', join(dir.path, 'garden', 'squares'))
    expect(await page.inputValue('input[name=dataset]')).toBe('squares')
    expect(await importButton().isDisabled()).toBe(false)
    expect(await importButton().getAttribute('aria-describedby')).toBeNull()
    await page.fill('input[name=dataset]', 'my squares')
    await page.fill('input[name=folder]', join(dir.path, 'garden'))
    expect(await page.inputValue('input[name=dataset]')).toBe('my squares')
    await page.fill('input[name=dataset]', '')
    expect(await page.locator('#import-why').innerText()).toBe('Name the dataset first.')
    await page.fill('input[name=folder]', join(dir.path, 'garden', 'squares') + '/')
    expect(await page.inputValue('input[name=dataset]')).toBe('squares')
  })

  it('lands in the imported dataset offering to label its unlabelled pictures', async () => {
    await importButton().click()
    await page.locator('[data-test=dataset-view]').waitFor()
    expect(await page.locator('[data-test=dataset-name]').innerText()).toBe('squares')
    await expect.poll(() => nextStep().innerText()).toMatch(/^2 pictures have no label yet/)
    expect(await page.locator('[data-test=next-step] [data-test=import-report]').innerText()).toMatch(
      /Imported 8 images into “squares”/,
    )
    expect((await axeViolations(page)).join('\n')).toBe('')
    await shot('label-next')
    await page.click('[data-test=next-label]')
    await expect
      .poll(() => page.locator('[data-test=status-filter]').innerText())
      .toBe('Unlabelled: 2 images')
  })

  it('once labelled, offers the split, then Train', async () => {
    // keys by name: green 1, red 2; each key labels the picked picture and moves to the next
    await page.locator('[data-test=thumb]').first().click()
    await page.keyboard.press('2')
    await expect.poll(() => page.locator('[data-test=status-filter]').innerText()).toBe('Unlabelled: 1 image')
    await page.keyboard.press('2')
    await expect
      .poll(() => page.locator('[data-test=status-filter]').innerText())
      .toBe('Unlabelled: 0 images')
    await expect.poll(() => nextStep().innerText()).toMatch(/^All labelled — split them/)
    await page.click('[data-test=next-split]')
    await expect.poll(() => nextStep().innerText()).toBe('Labelled and split — ready to train.')
    await page.click('[data-test=next-train]')
    await page.locator('[data-test=train-view]').waitFor()
  })

  it('the sample lands in its dataset, labelled and split, offering Train', async () => {
    await page.click('[data-test=nav-library]')
    // the sample button shows on an empty library only: delete the squares first through the app
    await page.locator('[data-test=dataset-row][data-dataset=squares] [data-test=delete-dataset]').click()
    await page.locator('[data-test=confirm-delete-dataset] [data-test=confirm-delete]').click()
    await page.click('[data-test=import-sample]')
    await page.locator('[data-test=dataset-view]').waitFor({ timeout: 60_000 })
    expect(await page.locator('[data-test=dataset-name]').innerText()).toBe('fashion-mnist-sample')
    await expect.poll(() => nextStep().innerText()).toBe('Labelled and split — ready to train.')
    await shot('sample')
    expect(app.problems).toEqual([])
  })
})
