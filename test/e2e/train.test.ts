import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { makeLabelledFolder } from '../helpers/labelled-folder'
import { SCREENSHOTS } from '../helpers/browser'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { createCohortService, type CohortService } from '../../src/core/service'
import type { RunningServer } from '../../src/server'

// The whole flow in Chromium against web mode: import, split, train two networks, read the results.
describe('training in a browser', () => {
  const dir = tempDir('cohort-e2e-train-')
  let service: CohortService
  let app: WebApp
  let server: RunningServer
  let page: Page

  beforeAll(async () => {
    await makeLabelledFolder(join(dir.path, 'squares'), { red: 14, green: 14, blue: 14 }, 24)
    service = await createCohortService({ home: join(dir.path, 'home') })
    app = await openWebApp(service, { viewport: { width: 1280, height: 860 } })
    ;({ server, page } = app)
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  // the view scrolls inside <main>: back to its top, so every picture starts where a person's eye does
  async function shot(name: string): Promise<void> {
    await page.locator('main').evaluate((m) => m.scrollTo(0, 0))
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })
  }
  const points = (title: string) =>
    page.locator(`[data-test=chart][data-title="${title}"]`).getAttribute('data-points').then(Number)

  it('imports a labelled folder and splits it', async () => {
    await page.goto(server.url)
    await page.fill('input[name=folder]', join(dir.path, 'squares'))
    await page.fill('input[name=dataset]', 'squares')
    await page.click('button[type=submit]')
    await page.locator('[data-test=import-report]').waitFor()
    await page.getByRole('button', { name: 'squares' }).click()
    await page.locator('[data-test=dataset-view]').waitFor()
    await page.locator('[data-test=split-details] summary').click()
    await page.click('[data-test=resplit]')
    await expect.poll(async () => (await service['datasets.list']())[0]!.splits.validation).toBeGreaterThan(0)
  })

  it('trains two networks for 2 epochs with the teacher the person picks, charts updating live', async () => {
    await page.click('[data-test=nav-train]')
    await page.locator('[data-test=network-card]').first().waitFor()
    await expect.poll(() => page.locator('[data-test=network-card][aria-pressed=true]').count()).toBe(2)
    await shot('train-settings')
    await page.selectOption('select[name=imageSize]', '16')
    await page.fill('input[name=epochs]', '2')
    await page.locator('[data-test=advanced] summary').click()
    await page.fill('input[name=batchSize]', '8')
    // a few pictures per label: min-loss is recommended and chosen, saying why; the person picks min-logit
    expect(await page.locator('[data-test=teacher]').inputValue()).toBe('min-loss')
    expect(await page.locator('[data-test=teacher-reason]').innerText()).toMatch(
      /^Recommended for about \d+ /,
    )
    await page.selectOption('[data-test=teacher]', 'min-logit')
    expect(await page.locator('[data-test=teacher-reason]').count()).toBe(0)
    // a few validation pictures: the answer averages its networks, saying why
    expect(await page.locator('[data-test=ensemble-rule]').inputValue()).toBe('equal')
    expect(await page.locator('[data-test=ensemble-rule-reason]').innerText()).toMatch(
      /^Recommended for \d+ validation pictures: below 500/,
    )
    await page.click('[data-test=train]')

    await page.locator('[data-test=run-panel]').waitFor()
    await page.locator('[data-test=epoch-row]').first().waitFor({ timeout: 60_000 })
    await shot('train-running')
    // accuracy and loss; no fusion weights chart for a weightless teacher with a plain-average ensemble
    expect(await page.locator('[data-test=chart] canvas').count()).toBe(2)
    // 2 networks and the ensemble, one point each per epoch so far
    expect(await points('Validation accuracy (%)')).toBeGreaterThanOrEqual(3)
    await page.locator('[data-test=run-panel][data-status=completed]').waitFor({ timeout: 60_000 })
    expect(await points('Validation accuracy (%)')).toBe(6)
    expect(await points('Training loss')).toBe(4)
    const rows = await page.locator('[data-test=epoch-row]').allInnerTexts()
    expect(rows.map((r) => r.split('\t')[0]?.trim())).toEqual(['1', '2'])
    expect(rows[1]).toMatch(/\d+\.\d%/)
    const [run] = await service['runs.list']()
    expect(run!.config).toMatchObject({
      imageSize: 16,
      epochs: 2,
      batchSize: 8,
      teacher: 'min-logit',
      ensembleRule: 'equal',
    })
    await shot('train-completed')
  })

  it('shows the results: networks, confusion matrix, a cell’s images, and exports the models', async () => {
    await page.click('[data-test=show-results]')
    await page.locator('[data-test=confusion]').waitFor()
    expect(await page.locator('[data-test=network-row]').count()).toBe(2)
    expect(await page.locator('[data-test=confusion-cell]').count()).toBe(9)
    await shot('results')

    const cell = page.locator('[data-test=confusion-cell]:not([disabled])').first()
    const count = Number(await cell.innerText())
    await cell.click()
    const gallery = page.locator('[data-test=cell-gallery] [data-test=gallery-image] img')
    await expect
      .poll(() =>
        gallery.evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length),
      )
      .toBe(count)
    await shot('results-cell')

    const out = join(dir.path, 'exported-models')
    await page.fill('input[name=exportDir]', out)
    await page.click('[data-test=export]')
    await page.locator('[data-test=exported]').waitFor()
    expect(await page.locator('[data-test=exported]').innerText()).toContain('Exported 2 networks')
    expect(existsSync(join(out, 'metadata.json'))).toBe(true)
    await shot('results-exported')
    expect(app.problems).toEqual([])
  })
})
