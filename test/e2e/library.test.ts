import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { makeLabelledFolder } from '../helpers/labelled-folder'
import { SCREENSHOTS } from '../helpers/browser'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { createCohortService, type CohortService } from '../../src/core/service'
import type { RunningServer } from '../../src/server'

// The built renderer in a real Chromium, against web mode on a real library.
describe('the library view in a browser', () => {
  const dir = tempDir()
  let service: CohortService
  let app: WebApp
  let server: RunningServer
  let page: Page

  beforeAll(async () => {
    await makeLabelledFolder(join(dir.path, 'flowers'), { daisy: 6, tulip: 5 }, 40)
    service = await createCohortService({ home: join(dir.path, 'home') })
    app = await openWebApp(service)
    ;({ server, page } = app)
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  it('starts empty, imports a folder with progress, and shows the counts per label', async () => {
    await page.goto(server.url)
    await page.getByText('No datasets yet').waitFor()
    await page.screenshot({ path: join(SCREENSHOTS, 'library-empty.png') })

    await page.fill('input[name=folder]', join(dir.path, 'flowers'))
    await page.fill('input[name=dataset]', 'flowers')
    await page.click('button[type=submit]')
    await page.locator('[data-test=import-report]').waitFor()
    expect(await page.locator('[data-test=import-report]').innerText()).toMatch(
      /Imported 11 images into “flowers”/,
    )
    // the import lands in its dataset; the library lists it with its counts
    await page.locator('[data-test=dataset-view]').waitFor()
    await page.click('[data-test=nav-library]')
    const row = page.locator('[data-test=dataset-row]')
    await expect.poll(() => row.count()).toBe(1)
    expect(await row.innerText()).toMatch(/flowers\s+11\s+11\s+daisy \(6\), tulip \(5\)/)
    await page.screenshot({ path: join(SCREENSHOTS, 'library-imported.png') })
  })

  it('opens a dataset and shows its thumbnails through the image route', async () => {
    await page.getByRole('button', { name: 'flowers', exact: true }).click()
    const thumbs = page.locator('[data-test=thumb] img')
    await expect.poll(() => thumbs.count()).toBe(11)
    // every thumbnail actually decoded in the browser (CSP allows them, the server found them)
    await expect
      .poll(() =>
        thumbs.evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length),
      )
      .toBe(11)
    await page.screenshot({ path: join(SCREENSHOTS, 'dataset-grid.png'), fullPage: true })
  })

  it('shows a clear message for a folder that does not exist', async () => {
    await page.getByRole('button', { name: 'Back to library' }).click()
    await page.fill('input[name=folder]', join(dir.path, 'no-such-folder'))
    await page.fill('input[name=dataset]', 'ghost')
    await page.click('button[type=submit]')
    const alert = page.locator('[data-test=import-error]')
    await alert.waitFor({ timeout: 10_000 })
    expect(await alert.innerText()).toBe(`Folder not found: ${join(dir.path, 'no-such-folder')}`)
  })

  it('raised no console or page errors (CSP violations included)', () => {
    expect(app.problems).toEqual([])
  })
})
