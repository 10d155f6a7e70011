import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { axeViolations } from '../helpers/axe'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { splitColourLibrary } from '../helpers/journey-fixture'
import { writeColourImage } from '../helpers/model-bundle'
import type { RecogniseLibrary } from '../helpers/recognise-fixture'

const WIDE = { width: 1400, height: 900 }
const NARROW = { width: 800, height: 900 }

// Issue 18: Results and Recognise use a wide screen (no third of it left empty), and still read on a narrow one.
describe('the views use the width of the screen', () => {
  const dir = tempDir('cohort-e2e-layout-')
  let lib: RecogniseLibrary
  let app: WebApp
  let page: Page

  beforeAll(async () => {
    lib = await splitColourLibrary(dir.path, 10)
    app = await openWebApp(lib.service, { viewport: WIDE })
    page = app.page
  })
  afterAll(async () => {
    await app?.close()
    lib?.service.close()
    dir.cleanup()
  })

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `layout-${name}.png`) })
  /** the share of the window's width the element spans */
  const share = async (selector: string) =>
    ((await page.locator(selector).boundingBox())?.width ?? 0) / page.viewportSize()!.width
  /** how many cards sit in each row of the Recognise list, top to bottom */
  async function cardsPerRow(): Promise<number[]> {
    const boxes = await page
      .locator('[data-test=recognition]')
      .evaluateAll((cards) => cards.map((c) => Math.round(c.getBoundingClientRect().top)))
    const rows = new Map<number, number>()
    for (const top of boxes) rows.set(top, (rows.get(top) ?? 0) + 1)
    return [...rows.keys()].sort((a, b) => a - b).map((top) => rows.get(top)!)
  }

  it('the Train button is above the fold at 1400 × 900', async () => {
    await page.goto(app.server.url)
    await page.getByRole('button', { name: 'colours' }).click()
    await page.locator('[data-test=dataset-view]').waitFor()
    await page.click('[data-test=nav-train]')
    await page.locator('[data-test=learns-from]').waitFor()
    const train = await page.locator('[data-test=train]').boundingBox()
    expect(train!.y + train!.height).toBeLessThanOrEqual(WIDE.height)
    await shot('train-1400')
  })

  it('Results spans at least 90 % of a 1400 px window', async () => {
    await page.click('[data-test=nav-results]')
    await page.locator('[data-test=confusion]').waitFor({ timeout: 30_000 })
    expect(await share('[data-test=results-view]')).toBeGreaterThanOrEqual(0.9)
    expect(await share('[data-test=misclassified]')).toBeGreaterThanOrEqual(0.9)
    expect((await axeViolations(page)).join('\n')).toBe('')
    await shot('results-1400')
  })

  it('Recognise spans at least 90 % of a 1400 px window, 2 result cards a row', async () => {
    await page.click('[data-test=nav-recognise]')
    const more = [0, 1].map((i) =>
      writeColourImage(join(dir.path, 'more', `red-${i}.png`), 'red', { seed: 700 + i }),
    )
    await page.setInputFiles('[data-test=file-input]', [
      ...Object.values(lib.files),
      ...(await Promise.all(more)),
    ])
    await expect.poll(() => page.locator('[data-test=recognition] [data-test=top-k]').count()).toBe(5)
    expect(await share('[data-test=recognise-view]')).toBeGreaterThanOrEqual(0.9)
    expect(await share('.items')).toBeGreaterThanOrEqual(0.9)
    expect(await cardsPerRow()).toEqual([2, 2, 1])
    expect((await axeViolations(page)).join('\n')).toBe('')
    await shot('recognise-1400')
  })

  it('Recognise shows one card a row at 800 px, each as wide as the list', async () => {
    await page.setViewportSize(NARROW)
    await expect.poll(cardsPerRow).toEqual([1, 1, 1, 1, 1])
    const list = (await page.locator('.items').boundingBox())!.width
    const card = (await page.locator('[data-test=recognition]').first().boundingBox())!.width
    expect(card).toBeCloseTo(list, 0)
    expect(await share('[data-test=recognise-view]')).toBeGreaterThanOrEqual(0.9)
    await shot('recognise-800')
    expect(app.problems).toEqual([])
  })
})
