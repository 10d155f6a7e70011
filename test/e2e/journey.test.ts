import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { SCREENSHOTS } from '../helpers/browser'
import { useWebApp } from '../helpers/web-app'
import { mislabelledLibrary, splitColourLibrary } from '../helpers/journey-fixture'
import { recogniseLibrary } from '../helpers/recognise-fixture'
import { writeGreyImage } from '../helpers/model-bundle'

// Issue 18's surprises, each reproduced in the built renderer in a real Chromium on a real library.
describe('results: a key labels the picture the person picked, and undo works there', () => {
  const web = useWebApp(mislabelledLibrary, 'cohort-e2e-journey-', { viewport: { width: 1400, height: 900 } })

  const shot = (name: string) => web.page.screenshot({ path: join(SCREENSHOTS, `journey-${name}.png`) })
  /** every picture's label in the library, by image id */
  const labelsNow = async () =>
    Object.fromEntries(
      (await web.lib.service['images.list']({ datasetId: web.lib.datasetId })).map((i) => [i.id, i.label]),
    )
  const cellImages = () => web.page.locator('[data-test=cell-gallery] [data-test=gallery-image]')
  const misclassified = () => web.page.locator('[data-test=misclassified] [data-test=gallery-image]')

  it('labels the picture clicked in a confusion cell’s gallery, not one of the Misclassified list', async () => {
    await web.page.goto(web.server.url)
    await web.page.getByRole('button', { name: 'colours' }).click()
    await web.page.click('[data-test=nav-results]')
    await web.page.locator('[data-test=confusion-cell][data-true=red][data-predicted=green]').click()
    await expect.poll(() => cellImages().count()).toBe(3)
    const picked = cellImages().nth(1)
    const id = Number(await picked.getAttribute('data-image'))
    await picked.click()
    const before = await labelsNow()
    expect(before[id]).toBe('red')

    await web.page.keyboard.press('2') // keys in the order the labels were made: red 1, green 2, blue 3
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
    await web.page.keyboard.press('Control+z')
    await expect.poll(async () => (await labelsNow())[id]).toBe('red')
    expect(await labelsNow()).toEqual({ ...fixed, [id]: 'red' })
    await expect
      .poll(() => cellImages().nth(1).locator('[data-test=gallery-label]').innerText())
      .toBe('labelled red')
    await web.page.keyboard.press('Control+Shift+Z')
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
    await web.page.keyboard.press('3') // blue
    await expect.poll(async () => (await labelsNow())[id]).toBe('blue')
    expect(await labelsNow()).toEqual({ ...before, [id]: 'blue' })
    expect(web.app.problems).toEqual([])
  })
})

describe('recognise: an added picture gets a split, undo works there, and Train says what a run leaves out', () => {
  // 10 pictures per colour: 6 validation answers, all right, so the run is trusted from its least sure one
  const web = useWebApp((root) => splitColourLibrary(root, 10), 'cohort-e2e-journey-', {
    viewport: { width: 1400, height: 900 },
  })

  const card = () => web.page.locator('[data-test=recognition]').first()
  const image = async (id: number) =>
    (await web.lib.service['images.list']({ datasetId: web.lib.datasetId, ids: [id] }))[0]!

  it('Enter takes no answer less sure than the run supports: the card says why and what to do', async () => {
    await web.page.goto(web.server.url)
    await web.page.click('[data-test=nav-recognise]')
    // a grey picture: no colour, so the colour networks answer it far less sure than any validation answer
    await web.page.setInputFiles('[data-test=file-input]', [await writeGreyImage(join(web.dir, 'grey.png'))])
    await card().locator('[data-test=top-k]').waitFor()
    const hint = card().locator('[data-test=enter-hint]')
    const unsure =
      /^Not sure enough \((\d+\.\d)%; this run is right 9 times in 10 from (\d+\.\d)%\) — pick the label with 1–9 or L$/
    await expect.poll(() => hint.innerText()).toMatch(unsure)
    const [, sure, from] = (await hint.innerText()).match(unsure)!
    expect(Number(sure)).toBeLessThan(Number(from))
    // the card's top bar shows the same confidence the hint names
    expect(await card().locator('[data-test=bar]').first().innerText()).toContain(`${sure}%`)
    const before = await web.lib.service['images.count']({ datasetId: web.lib.datasetId })
    await web.page.locator('body').press('Enter')
    await expect.poll(() => web.page.locator('[data-test=toast]').innerText()).toBe(await hint.innerText())
    expect(await web.lib.service['images.count']({ datasetId: web.lib.datasetId })).toBe(before)
    expect(await card().locator('[data-test=added]').count()).toBe(0)
    await web.page.screenshot({ path: join(SCREENSHOTS, 'journey-recognise-not-sure.png') })
    // the person picks the label by hand: that still adds it
    await web.page.locator('body').press('2')
    await expect.poll(() => card().locator('[data-test=added]').innerText()).toBe('added as green')
  })

  it('Enter adds the picture in a split (not unassigned), saying which', async () => {
    await web.page.goto(web.server.url)
    await web.page.click('[data-test=nav-recognise]')
    await web.page.setInputFiles('[data-test=file-input]', [web.lib.files.red!])
    await card().locator('[data-test=top-k]').waitFor()
    await expect.poll(() => card().locator('[data-test=enter-hint]').innerText()).toBe('Enter adds it as red')
    const before = await web.lib.service['images.count']({ datasetId: web.lib.datasetId })
    await web.page.locator('body').press('Enter')
    await expect.poll(() => card().locator('[data-test=added]').innerText()).toBe('added as red')
    const [added] = await web.lib.service['images.list']({
      datasetId: web.lib.datasetId,
      offset: before,
      limit: 1,
    })
    expect(added!.label).toBe('red')
    expect(['train', 'validation', 'test']).toContain(added!.split)
    await expect
      .poll(() => web.page.locator('[data-test=toast]').innerText())
      .toBe(`Added as red (${added!.split})`)
    await web.page.screenshot({ path: join(SCREENSHOTS, 'journey-recognise-added.png') })
  })

  it('Ctrl+Z on Recognise undoes the add (label and split) as one action; Ctrl+Shift+Z redoes it', async () => {
    const before = await web.lib.service['images.count']({ datasetId: web.lib.datasetId })
    const [added] = await web.lib.service['images.list']({ datasetId: web.lib.datasetId, offset: before - 1 })
    const split = added!.split
    await web.page.keyboard.press('Control+z')
    await expect.poll(async () => (await image(added!.id)).label).toBe(null)
    expect((await image(added!.id)).split).toBe('unassigned')
    await expect.poll(() => card().locator('[data-test=added]').count()).toBe(0)
    await web.page.keyboard.press('Control+Shift+Z')
    await expect.poll(async () => (await image(added!.id)).label).toBe('red')
    expect((await image(added!.id)).split).toBe(split)
    await expect.poll(() => card().locator('[data-test=added]').innerText()).toBe('added as red')
  })

  it('the Train view says how many labelled pictures a run will leave out, and why', async () => {
    // a picture labelled after the split: in no split
    await web.lib.service['imports.files']({
      files: [web.lib.files.green!],
      dataset: 'colours',
      label: 'green',
    })
    await web.page.click('[data-test=nav-library]')
    await web.page.getByRole('button', { name: 'colours' }).click()
    await web.page.click('[data-test=nav-train]')
    await expect
      .poll(() => web.page.locator('[data-test=left-out]').innerText())
      .toMatch(/^This run will leave out 1 labelled picture: it is in no split/)
    await web.page.screenshot({ path: join(SCREENSHOTS, 'journey-train-left-out.png') })
    expect(web.app.problems).toEqual([])
  })
})

describe('label keys are stable per dataset and the same in every view', () => {
  const web = useWebApp(
    async (root) => {
      const lib = await recogniseLibrary(root)
      // created in this order, unlike both name order and the model's class order (blue, green, red)
      for (const name of ['red', 'green', 'blue']) await lib.service['labels.create'](lib.datasetId, name)
      return lib
    },
    'cohort-e2e-journey-',
    { viewport: { width: 1400, height: 900 } },
  )

  const keyOf = (name: string) =>
    web.page.locator(`[data-test=label-row][data-label="${name}"] .key`).innerText()
  const keys = async () =>
    Object.fromEntries(
      await Promise.all(['red', 'green', 'blue'].map(async (n) => [n, await keyOf(n)] as const)),
    )

  it('creating a label keeps every other label’s key', async () => {
    await web.page.goto(web.server.url)
    await web.page.getByRole('button', { name: 'colours' }).click()
    await web.page.locator('[data-test=dataset-view]').waitFor()
    await expect.poll(keys).toEqual({ red: '1', green: '2', blue: '3' })
    await web.page.fill('input[name=new-label]', 'amber') // sorts first by name
    await web.page.locator('.new-label button[type=submit]').click()
    await expect.poll(() => keyOf('amber')).toBe('4')
    expect(await keys()).toEqual({ red: '1', green: '2', blue: '3' })
    await web.page.screenshot({ path: join(SCREENSHOTS, 'journey-stable-keys.png') })
  })

  it('the person changes a key in the label’s menu: the label holding it swaps', async () => {
    await web.page.locator('[data-test=label-row][data-label=green] [data-test=edit-label]').click()
    await web.page.selectOption('[data-test=label-key]', '1')
    await expect.poll(keys).toEqual({ red: '2', green: '1', blue: '3' })
    await web.page.locator('[data-test=label-row][data-label=green] [data-test=edit-label]').click()
  })

  it('in Recognise a key means the dataset’s label, not the model’s class at that position', async () => {
    await web.page.click('[data-test=nav-recognise]')
    await web.page.setInputFiles('[data-test=file-input]', [web.lib.files.green!, web.lib.files.blue!])
    const cards = web.page.locator('[data-test=recognition]')
    await expect.poll(() => cards.locator('[data-test=top-k]').count()).toBe(2)
    await expect
      .poll(() => web.page.locator('[data-test=key-hint]').innerText())
      .toMatch(/1 green.*2 red.*3 blue/)
    await web.page.locator('body').press('1') // green in the dataset; the model's first class is blue
    await expect.poll(() => cards.nth(0).locator('[data-test=added]').innerText()).toBe('added as green')
    await web.page.locator('body').press('4') // amber: a label the model does not even know
    await expect.poll(() => cards.nth(1).locator('[data-test=added]').innerText()).toBe('added as amber')
  })

  it('labels past the ninth are reached with the palette (L), in Recognise too', async () => {
    for (let i = 1; i <= 6; i++) await web.lib.service['labels.create'](web.lib.datasetId, `extra ${i}`)
    const labels = (await web.lib.service['datasets.list']())[0]!.labels
    expect(labels.find((l) => l.name === 'extra 6')!.key).toBe(null)
    await web.page.click('[data-test=nav-library]')
    await web.page.click('[data-test=nav-recognise]')
    await web.page.setInputFiles('[data-test=file-input]', [web.lib.files.red!])
    const card = web.page.locator('[data-test=recognition][aria-current=true]')
    await card.locator('[data-test=top-k]').waitFor()
    await web.page.locator('body').press('l')
    await web.page.keyboard.type('extra 6')
    await web.page.keyboard.press('Enter')
    await expect.poll(() => card.locator('[data-test=added]').innerText()).toBe('added as extra 6')
    expect(web.app.problems).toEqual([])
  })
})
