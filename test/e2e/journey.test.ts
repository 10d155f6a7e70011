import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { mislabelledLibrary, splitColourLibrary } from '../helpers/journey-fixture'
import type { RecogniseLibrary } from '../helpers/recognise-fixture'
import type { RunningServer } from '../../src/server'

// Issue 18's surprises, each reproduced in the built renderer in a real Chromium on a real library.
describe('results: a key labels the picture the person picked, and undo works there', () => {
  const dir = tempDir('cohort-e2e-journey-')
  let lib: RecogniseLibrary
  let app: WebApp
  let server: RunningServer
  let page: Page

  beforeAll(async () => {
    lib = await mislabelledLibrary(dir.path)
    app = await openWebApp(lib.service, { viewport: { width: 1400, height: 900 } })
    ;({ server, page } = app)
  })
  afterAll(async () => {
    await app?.close()
    lib?.service.close()
    dir.cleanup()
  })

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `journey-${name}.png`) })
  /** every picture's label in the library, by image id */
  const labelsNow = async () =>
    Object.fromEntries(
      (await lib.service['images.list']({ datasetId: lib.datasetId })).map((i) => [i.id, i.label]),
    )
  const cellImages = () => page.locator('[data-test=cell-gallery] [data-test=gallery-image]')
  const misclassified = () => page.locator('[data-test=misclassified] [data-test=gallery-image]')

  it('labels the picture clicked in a confusion cell’s gallery, not one of the Misclassified list', async () => {
    await page.goto(server.url)
    await page.getByRole('button', { name: 'colours' }).click()
    await page.click('[data-test=nav-results]')
    await page.locator('[data-test=confusion-cell][data-true=red][data-predicted=green]').click()
    await expect.poll(() => cellImages().count()).toBe(3)
    const picked = cellImages().nth(1)
    const id = Number(await picked.getAttribute('data-image'))
    await picked.click()
    const before = await labelsNow()
    expect(before[id]).toBe('red')

    await page.keyboard.press('2') // keys by name: blue 1, green 2, red 3
    await expect.poll(async () => (await labelsNow())[id]).toBe('green')
    expect(await labelsNow()).toEqual({ ...before, [id]: 'green' })
    await expect.poll(() => picked.locator('[data-test=gallery-label]').innerText()).toBe('labelled green')
    // the next picture of the same gallery is chosen for the next key
    await expect.poll(() => cellImages().nth(2).getAttribute('aria-current')).toBe('true')
    expect(await misclassified().locator('[aria-current=true]').count()).toBe(0)
    await shot('results-cell-fixed')
  })

  it('Ctrl+Z undoes that labelling on the Results page and Ctrl+Shift+Z redoes it', async () => {
    const id = Number(await cellImages().nth(1).getAttribute('data-image'))
    const fixed = await labelsNow()
    await page.keyboard.press('Control+z')
    await expect.poll(async () => (await labelsNow())[id]).toBe('red')
    expect(await labelsNow()).toEqual({ ...fixed, [id]: 'red' })
    await expect
      .poll(() => cellImages().nth(1).locator('[data-test=gallery-label]').innerText())
      .toBe('labelled red')
    await page.keyboard.press('Control+Shift+Z')
    await expect.poll(async () => (await labelsNow())[id]).toBe('green')
    await expect
      .poll(() => cellImages().nth(1).locator('[data-test=gallery-label]').innerText())
      .toBe('labelled green')
  })

  it('labels the picture clicked in the Misclassified gallery, only that one', async () => {
    const picked = misclassified().last()
    const id = Number(await picked.getAttribute('data-image'))
    await picked.click()
    const before = await labelsNow()
    await page.keyboard.press('1')
    await expect.poll(async () => (await labelsNow())[id]).toBe('blue')
    expect(await labelsNow()).toEqual({ ...before, [id]: 'blue' })
    expect(app.problems).toEqual([])
  })
})

describe('recognise: an added picture gets a split, undo works there, and Train says what a run leaves out', () => {
  const dir = tempDir('cohort-e2e-journey-')
  let lib: RecogniseLibrary
  let app: WebApp
  let server: RunningServer
  let page: Page

  beforeAll(async () => {
    lib = await splitColourLibrary(dir.path)
    app = await openWebApp(lib.service, { viewport: { width: 1400, height: 900 } })
    ;({ server, page } = app)
  })
  afterAll(async () => {
    await app?.close()
    lib?.service.close()
    dir.cleanup()
  })

  const card = () => page.locator('[data-test=recognition]').first()
  const image = async (id: number) =>
    (await lib.service['images.list']({ datasetId: lib.datasetId, ids: [id] }))[0]!

  it('Enter adds the picture in a split (not unassigned), saying which', async () => {
    await page.goto(server.url)
    await page.click('[data-test=nav-recognise]')
    await page.setInputFiles('[data-test=file-input]', [lib.files.red!])
    await card().locator('[data-test=top-k]').waitFor()
    const before = await lib.service['images.count']({ datasetId: lib.datasetId })
    await page.locator('body').press('Enter')
    await expect.poll(() => card().locator('[data-test=added]').innerText()).toBe('added as red')
    const [added] = await lib.service['images.list']({
      datasetId: lib.datasetId,
      offset: before,
      limit: 1,
    })
    expect(added!.label).toBe('red')
    expect(['train', 'validation', 'test']).toContain(added!.split)
    await expect
      .poll(() => page.locator('[data-test=toast]').innerText())
      .toBe(`Added as red (${added!.split})`)
    await page.screenshot({ path: join(SCREENSHOTS, 'journey-recognise-added.png') })
  })

  it('Ctrl+Z on Recognise undoes the add (label and split) as one action; Ctrl+Shift+Z redoes it', async () => {
    const before = await lib.service['images.count']({ datasetId: lib.datasetId })
    const [added] = await lib.service['images.list']({ datasetId: lib.datasetId, offset: before - 1 })
    const split = added!.split
    await page.keyboard.press('Control+z')
    await expect.poll(async () => (await image(added!.id)).label).toBe(null)
    expect((await image(added!.id)).split).toBe('unassigned')
    await expect.poll(() => card().locator('[data-test=added]').count()).toBe(0)
    await page.keyboard.press('Control+Shift+Z')
    await expect.poll(async () => (await image(added!.id)).label).toBe('red')
    expect((await image(added!.id)).split).toBe(split)
    await expect.poll(() => card().locator('[data-test=added]').innerText()).toBe('added as red')
  })

  it('the Train view says how many labelled pictures a run will leave out, and why', async () => {
    // a picture labelled after the split: in no split
    await lib.service['imports.files']({ files: [lib.files.green!], dataset: 'colours', label: 'green' })
    await page.click('[data-test=nav-library]')
    await page.getByRole('button', { name: 'colours' }).click()
    await page.click('[data-test=nav-train]')
    await expect
      .poll(() => page.locator('[data-test=left-out]').innerText())
      .toMatch(/^This run will leave out 1 labelled picture: it is in no split/)
    await page.screenshot({ path: join(SCREENSHOTS, 'journey-train-left-out.png') })
    expect(app.problems).toEqual([])
  })
})
