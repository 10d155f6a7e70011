import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { SCREENSHOTS } from '../helpers/browser'
import { axeViolations } from '../helpers/axe'
import { useWebApp } from '../helpers/web-app'
import { splitColourLibrary } from '../helpers/journey-fixture'
import { writeColourImage } from '../helpers/model-bundle'

const WIDE = { width: 1400, height: 900 }
const NARROW = { width: 800, height: 900 }

// Issue 18: Results and Recognise use a wide screen (no third of it left empty), and still read on a narrow one.
describe('the views use the width of the screen', () => {
  const web = useWebApp((root) => splitColourLibrary(root, 10), 'cohort-e2e-layout-', { viewport: WIDE })

  const shot = (name: string) => web.page.screenshot({ path: join(SCREENSHOTS, `layout-${name}.png`) })
  /** the share of the window's width the element spans */
  const share = async (selector: string) =>
    ((await web.page.locator(selector).boundingBox())?.width ?? 0) / web.page.viewportSize()!.width
  /** how many cards sit in each row of the Recognise list, top to bottom */
  async function cardsPerRow(): Promise<number[]> {
    const boxes = await web.page
      .locator('[data-test=recognition]')
      .evaluateAll((cards) => cards.map((c) => Math.round(c.getBoundingClientRect().top)))
    const rows = new Map<number, number>()
    for (const top of boxes) rows.set(top, (rows.get(top) ?? 0) + 1)
    return [...rows.keys()].sort((a, b) => a - b).map((top) => rows.get(top)!)
  }

  it('the Train button is above the fold at 1400 × 900', async () => {
    await web.page.goto(web.app.server.url)
    await web.page.getByRole('button', { name: 'colours' }).click()
    await web.page.locator('[data-test=dataset-view]').waitFor()
    await web.page.click('[data-test=nav-train]')
    await web.page.locator('[data-test=learns-from]').waitFor()
    const train = await web.page.locator('[data-test=train]').boundingBox()
    expect(train!.y + train!.height).toBeLessThanOrEqual(WIDE.height)
    await shot('train-1400')
  })

  it('Results spans at least 90 % of a 1400 px window', async () => {
    await web.page.click('[data-test=nav-results]')
    await web.page.locator('[data-test=confusion]').waitFor({ timeout: 30_000 })
    expect(await share('[data-test=results-view]')).toBeGreaterThanOrEqual(0.9)
    expect(await share('[data-test=misclassified]')).toBeGreaterThanOrEqual(0.9)
    // a gallery with no mistakes says so on one line across it, not in a picture's narrow column
    expect(await share('[data-test=misclassified] [data-test=gallery-empty]')).toBeGreaterThanOrEqual(0.5)
    expect((await axeViolations(web.page)).join('\n')).toBe('')
    await shot('results-1400')
  })

  it('Recognise spans at least 90 % of a 1400 px window, 2 result cards a row', async () => {
    await web.page.click('[data-test=nav-recognise]')
    const more = [0, 1].map((i) =>
      writeColourImage(join(web.dir, 'more', `red-${i}.png`), 'red', { seed: 700 + i }),
    )
    await web.page.setInputFiles('[data-test=file-input]', [
      ...Object.values(web.lib.files),
      ...(await Promise.all(more)),
    ])
    await expect.poll(() => web.page.locator('[data-test=recognition] [data-test=top-k]').count()).toBe(5)
    expect(await share('[data-test=recognise-view]')).toBeGreaterThanOrEqual(0.9)
    expect(await share('.items')).toBeGreaterThanOrEqual(0.9)
    expect(await cardsPerRow()).toEqual([2, 2, 1])
    expect((await axeViolations(web.page)).join('\n')).toBe('')
    await shot('recognise-1400')
  })

  it('Recognise shows one card a row at 800 px, each as wide as the list', async () => {
    await web.page.setViewportSize(NARROW)
    await expect.poll(cardsPerRow).toEqual([1, 1, 1, 1, 1])
    const list = (await web.page.locator('.items').boundingBox())!.width
    const card = (await web.page.locator('[data-test=recognition]').first().boundingBox())!.width
    expect(card).toBeCloseTo(list, 0)
    expect(await share('[data-test=recognise-view]')).toBeGreaterThanOrEqual(0.9)
    await shot('recognise-800')
    expect(web.app.problems).toEqual([])
  })
})
