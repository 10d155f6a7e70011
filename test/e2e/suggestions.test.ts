import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { axeViolations } from '../helpers/axe'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { makeLabelledFolder } from '../helpers/labelled-folder'
import { trainTinyRun } from '../helpers/tiny-run'
import { createCohortService, type CohortService } from '../../src/core/service'

// The built renderer in a real Chromium against web mode: a real tiny run's suggestions on the Dataset view.
describe('suggested labels in a browser', () => {
  const dir = tempDir()
  let service: CohortService
  let app: WebApp
  let page: Page
  let datasetId: number

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    const files = await makeLabelledFolder(join(dir.path, 'new'), { red: 3, green: 3, blue: 3 }, 16)
    await service['imports.files']({ files, dataset: 'squares' })
    datasetId = (await service['datasets.list']())[0]!.id
    app = await openWebApp(service, { viewport: { width: 1280, height: 800 } })
    page = app.page
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  const status = () => page.locator('[data-test=status-filter]').innerText()
  const suggested = (p: Page) => p.locator('[data-test=thumb-suggestion]')

  it('shows the suggestions a run makes once it completes, without a reload', async () => {
    await page.goto(app.server.url)
    await page.getByRole('button', { name: 'squares' }).click()
    await page.click('[data-filter=Unlabelled]')
    await expect.poll(status).toBe('Unlabelled: 9 images')
    expect(await page.locator('[data-test=suggestions]').count()).toBe(0)

    await trainTinyRun(service, dir.path, 'squares')
    await expect.poll(() => suggested(page).count(), { timeout: 30_000 }).toBe(9)
    const chip = await suggested(page).first().innerText()
    expect(chip).toMatch(/^(red|green|blue)\? \d{1,3}%/)
    expect(await page.locator('[data-test=label-next-reason]').innerText()).toMatch(/^The default: /)
    await page.screenshot({ path: join(SCREENSHOTS, 'dataset-suggestions.png') })
    // the suggestion chips and the panel pass the contrast and naming rules every view must
    expect((await axeViolations(page)).join('\n')).toBe('')
  })

  it('accepts the selected tile’s suggestion with Enter, and Ctrl+Z makes it unlabelled again', async () => {
    const first = page.locator('[data-test=thumb]').first()
    const id = Number(await first.getAttribute('data-id'))
    const label = (await first.locator('[data-test=thumb-suggestion] .suggested-label').innerText()).replace(
      '?',
      '',
    )
    await first.click()
    await page.keyboard.press('Enter')
    await expect.poll(status).toBe('Unlabelled: 8 images')
    expect(await page.locator('[data-test=toast]').innerText()).toBe('Accepted 1 suggested label')
    expect((await service['images.list']({ datasetId, ids: [id] }))[0]!.label).toBe(label)

    await page.keyboard.press('Control+z')
    await expect.poll(status).toBe('Unlabelled: 9 images')
    expect(await page.locator('[data-test=toast]').innerText()).toBe('Undid: Accept 1 suggested label')
    expect((await service['images.list']({ datasetId, ids: [id] }))[0]!.label).toBe(null)
    await expect.poll(() => suggested(page).count()).toBe(9)
  })

  it('raised no console or page errors', () => {
    expect(app.problems).toEqual([])
  })
})
