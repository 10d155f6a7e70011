import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { mislabelledLibrary, splitColourLibrary } from '../helpers/journey-fixture'
import { recogniseLibrary, type RecogniseLibrary } from '../helpers/recognise-fixture'
import { writeGreyImage } from '../helpers/model-bundle'
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

    await page.keyboard.press('2') // keys in the order the labels were made: red 1, green 2, blue 3
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
    await page.keyboard.press('3') // blue
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
    // 10 pictures per colour: 6 validation answers, all right, so the run is trusted from its least sure one
    lib = await splitColourLibrary(dir.path, 10)
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

  it('Enter takes no answer less sure than the run supports: the card says why and what to do', async () => {
    await page.goto(server.url)
    await page.click('[data-test=nav-recognise]')
    // a grey picture: no colour, so the colour networks answer it far less sure than any validation answer
    await page.setInputFiles('[data-test=file-input]', [await writeGreyImage(join(dir.path, 'grey.png'))])
    await card().locator('[data-test=top-k]').waitFor()
    const hint = card().locator('[data-test=enter-hint]')
    const unsure =
      /^Not sure enough \((\d+\.\d)%; this run is right 9 times in 10 from (\d+\.\d)%\) — pick the label with 1–9 or L$/
    await expect.poll(() => hint.innerText()).toMatch(unsure)
    const [, sure, from] = (await hint.innerText()).match(unsure)!
    expect(Number(sure)).toBeLessThan(Number(from))
    // the card's top bar shows the same confidence the hint names
    expect(await card().locator('[data-test=bar]').first().innerText()).toContain(`${sure}%`)
    const before = await lib.service['images.count']({ datasetId: lib.datasetId })
    await page.locator('body').press('Enter')
    await expect.poll(() => page.locator('[data-test=toast]').innerText()).toBe(await hint.innerText())
    expect(await lib.service['images.count']({ datasetId: lib.datasetId })).toBe(before)
    expect(await card().locator('[data-test=added]').count()).toBe(0)
    await page.screenshot({ path: join(SCREENSHOTS, 'journey-recognise-not-sure.png') })
    // the person picks the label by hand: that still adds it
    await page.locator('body').press('2')
    await expect.poll(() => card().locator('[data-test=added]').innerText()).toBe('added as green')
  })

  it('Enter adds the picture in a split (not unassigned), saying which', async () => {
    await page.goto(server.url)
    await page.click('[data-test=nav-recognise]')
    await page.setInputFiles('[data-test=file-input]', [lib.files.red!])
    await card().locator('[data-test=top-k]').waitFor()
    await expect.poll(() => card().locator('[data-test=enter-hint]').innerText()).toBe('Enter adds it as red')
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

describe('label keys are stable per dataset and the same in every view', () => {
  const dir = tempDir('cohort-e2e-journey-')
  let lib: RecogniseLibrary
  let app: WebApp
  let server: RunningServer
  let page: Page

  beforeAll(async () => {
    lib = await recogniseLibrary(dir.path)
    // created in this order, unlike both name order and the model's class order (blue, green, red)
    for (const name of ['red', 'green', 'blue']) await lib.service['labels.create'](lib.datasetId, name)
    app = await openWebApp(lib.service, { viewport: { width: 1400, height: 900 } })
    ;({ server, page } = app)
  })
  afterAll(async () => {
    await app?.close()
    lib?.service.close()
    dir.cleanup()
  })

  const keyOf = (name: string) => page.locator(`[data-test=label-row][data-label="${name}"] .key`).innerText()
  const keys = async () =>
    Object.fromEntries(
      await Promise.all(['red', 'green', 'blue'].map(async (n) => [n, await keyOf(n)] as const)),
    )

  it('creating a label keeps every other label’s key', async () => {
    await page.goto(server.url)
    await page.getByRole('button', { name: 'colours' }).click()
    await page.locator('[data-test=dataset-view]').waitFor()
    await expect.poll(keys).toEqual({ red: '1', green: '2', blue: '3' })
    await page.fill('input[name=new-label]', 'amber') // sorts first by name
    await page.locator('.new-label button[type=submit]').click()
    await expect.poll(() => keyOf('amber')).toBe('4')
    expect(await keys()).toEqual({ red: '1', green: '2', blue: '3' })
    await page.screenshot({ path: join(SCREENSHOTS, 'journey-stable-keys.png') })
  })

  it('the person changes a key in the label’s menu: the label holding it swaps', async () => {
    await page.locator('[data-test=label-row][data-label=green] [data-test=edit-label]').click()
    await page.selectOption('[data-test=label-key]', '1')
    await expect.poll(keys).toEqual({ red: '2', green: '1', blue: '3' })
    await page.locator('[data-test=label-row][data-label=green] [data-test=edit-label]').click()
  })

  it('in Recognise a key means the dataset’s label, not the model’s class at that position', async () => {
    await page.click('[data-test=nav-recognise]')
    await page.setInputFiles('[data-test=file-input]', [lib.files.green!, lib.files.blue!])
    const cards = page.locator('[data-test=recognition]')
    await expect.poll(() => cards.locator('[data-test=top-k]').count()).toBe(2)
    await expect
      .poll(() => page.locator('[data-test=key-hint]').innerText())
      .toMatch(/1 green.*2 red.*3 blue/)
    await page.locator('body').press('1') // green in the dataset; the model's first class is blue
    await expect.poll(() => cards.nth(0).locator('[data-test=added]').innerText()).toBe('added as green')
    await page.locator('body').press('4') // amber: a label the model does not even know
    await expect.poll(() => cards.nth(1).locator('[data-test=added]').innerText()).toBe('added as amber')
  })

  it('labels past the ninth are reached with the palette (L), in Recognise too', async () => {
    for (let i = 1; i <= 6; i++) await lib.service['labels.create'](lib.datasetId, `extra ${i}`)
    const labels = (await lib.service['datasets.list']())[0]!.labels
    expect(labels.find((l) => l.name === 'extra 6')!.key).toBe(null)
    await page.click('[data-test=nav-library]')
    await page.click('[data-test=nav-recognise]')
    await page.setInputFiles('[data-test=file-input]', [lib.files.red!])
    const card = page.locator('[data-test=recognition][aria-current=true]')
    await card.locator('[data-test=top-k]').waitFor()
    await page.locator('body').press('l')
    await page.keyboard.type('extra 6')
    await page.keyboard.press('Enter')
    await expect.poll(() => card.locator('[data-test=added]').innerText()).toBe('added as extra 6')
    expect(app.problems).toEqual([])
  })
})
