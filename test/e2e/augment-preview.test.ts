import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { createCohortService, type CohortService } from '../../src/core/service'
import { axeViolations } from '../helpers/axe'
import { SCREENSHOTS } from '../helpers/browser'
import { makeAsymmetricFolder } from '../helpers/labelled-folder'
import { tempDir } from '../helpers/temp'
import { openWebApp, type WebApp } from '../helpers/web-app'

// Issue 17 item 3: under Advanced, the Train view shows what the augmentation does to a few training pictures.
describe('the augmentation preview in the Train view', () => {
  const dir = tempDir('cohort-e2e-augpreview-')
  let service: CohortService
  let app: WebApp
  let page: Page

  const grid = () => page.locator('[data-test=augment-preview]')
  const rows = () => page.locator('[data-test=augment-preview-picture]')
  /** every picture's id, original and views, once the preview has settled */
  async function shown(): Promise<{ id: string; original: string; views: string[] }[]> {
    await expect.poll(() => grid().getAttribute('data-state'), { timeout: 20_000 }).toBe('ready')
    return rows().evaluateAll((lis) =>
      lis.map((li) => ({
        id: li.getAttribute('data-image') ?? '',
        original: li.querySelector('[data-test=augment-preview-original]')!.getAttribute('src')!,
        views: [...li.querySelectorAll('[data-test=augment-preview-view]')].map((img) =>
          img.getAttribute('src')!,
        ),
      })),
    )
  }
  const changedViews = (pictures: Awaited<ReturnType<typeof shown>>) =>
    pictures.flatMap((p) => p.views.filter((v) => v !== p.original)).length

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    await makeAsymmetricFolder(join(dir.path, 'shapes'), { left: 8, right: 8 })
    await service['imports.folder']({ folder: join(dir.path, 'shapes'), dataset: 'shapes' })
    const datasetId = (await service['datasets.list']())[0]!.id
    await service['splits.apply']({ datasetId, validation: 0.25, test: 0, seed: 1 })
    app = await openWebApp(service, { viewport: { width: 1400, height: 1000 } })
    page = app.page
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  it('opens with Advanced, shows each picture with its changed copies, and follows the setting', async () => {
    await page.goto(app.server.url)
    await page.getByRole('button', { name: 'shapes', exact: true }).click()
    await page.click('[data-test=nav-train]')
    expect(await grid().count(), 'nothing is asked for while Advanced is closed').toBe(0)
    await page.locator('[data-test=advanced] > summary').click()
    await expect.poll(() => rows().count(), { timeout: 20_000 }).toBe(4)
    expect(await page.locator('[data-test=augment-preview-caption]').innerText()).toMatch(
      /What the networks will see/,
    )

    const safe = await shown()
    expect(safe.every((p) => p.views.length === 3)).toBe(true)
    // the default shifts the pictures: almost every copy differs from the picture as it is
    expect(changedViews(safe)).toBeGreaterThan(6)

    await page.selectOption('[data-test=augment]', 'none')
    await expect.poll(async () => changedViews(await shown()), { timeout: 20_000 }).toBe(0)
    const none = await shown()
    // the same pictures (same seed), only the augmentation changed
    expect(none.map((p) => [p.id, p.original])).toEqual(safe.map((p) => [p.id, p.original]))

    await page.selectOption('[data-test=augment]', 'light')
    await expect.poll(async () => changedViews(await shown()), { timeout: 20_000 }).toBeGreaterThan(0)
    await grid().scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(SCREENSHOTS, 'augment-preview.png') })
  })

  it('Shuffle shows other pictures, and the view passes the accessibility rules', async () => {
    const before = (await shown()).map((p) => p.id)
    await page.click('[data-test=augment-preview-shuffle]')
    await expect
      .poll(async () => (await shown()).map((p) => p.id).join(), { timeout: 20_000 })
      .not.toBe(before.join())
    expect(await rows().count()).toBe(4)
    expect(await axeViolations(page)).toEqual([])
    expect(app.problems).toEqual([])
  })
})
