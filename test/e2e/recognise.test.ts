import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'csv-parse/sync'
import { SCREENSHOTS } from '../helpers/browser'
import { useWebApp } from '../helpers/web-app'
import { recogniseLibrary } from '../helpers/recognise-fixture'

// The Recognise view of the built renderer in a real Chromium, against web mode with a real model.
describe('the recognise view in a browser', () => {
  const web = useWebApp(recogniseLibrary, 'cohort-e2e-recognise-', { viewport: { width: 1100, height: 900 } })

  const shot = (name: string) =>
    web.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true })
  const cards = () => web.page.locator('[data-test=recognition]')
  const count = () => web.lib.service['images.count']({ datasetId: web.lib.datasetId })

  it('recognises a dropped picture: ensemble top-k bars and each network’s guess', async () => {
    await web.page.goto(web.server.url)
    await web.page.click('[data-test=nav-recognise]')
    await web.page.locator('[data-test=drop-zone]').waitFor()
    // a real drop: a File of real PNG bytes built in the web.page, in a DataTransfer
    await web.page.evaluate((base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      const transfer = new DataTransfer()
      transfer.items.add(new File([bytes], 'dropped-red.png', { type: 'image/png' }))
      const zone = document.querySelector('[data-test=drop-zone]')!
      zone.dispatchEvent(
        new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }),
      )
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }))
    }, web.lib.bytes.red!.toString('base64'))
    const card = cards().first()
    await card.locator('[data-test=top-k]').waitFor()
    expect(await card.getAttribute('data-name')).toBe('dropped-red.png')
    const bars = await card.locator('[data-test=bar]').allInnerTexts()
    expect(bars).toHaveLength(3)
    expect(bars[0]).toMatch(/red/)
    const guesses = await card.locator('[data-test=network-guess]').allInnerTexts()
    expect(guesses.map((g) => g.replace(/\s+/g, ' '))).toEqual([
      expect.stringMatching(/^cnn red/),
      expect.stringMatching(/^resnet-8 red/),
    ])
    // the thumbnail is the local bytes, shown (the CSP allows blob: images)
    await expect
      .poll(() => card.locator('img').evaluate((i) => (i as HTMLImageElement).naturalWidth))
      .toBeGreaterThan(0)
    await shot('recognise-dropped')
  })

  it('Enter takes no answer of a run with nothing to judge it by; the palette adds the picture', async () => {
    const before = await count()
    // the run's dataset has no validation pictures: its answers are not checked, so Enter stays manual
    const hint = cards().first().locator('[data-test=enter-hint]')
    await expect
      .poll(() => hint.innerText())
      .toBe(
        'Not checked (this model has no validation pictures to judge it by) — pick the label with 1–9 or L',
      )
    await web.page.locator('body').press('Enter')
    await expect.poll(() => web.page.locator('[data-test=toast]').innerText()).toBe(await hint.innerText())
    expect(await count()).toBe(before)
    await web.page.locator('body').press('l')
    await web.page.keyboard.type('red')
    await web.page.keyboard.press('Enter')
    await expect.poll(() => cards().first().locator('[data-test=added]').innerText()).toBe('added as red')
    expect(await count()).toBe(before + 1)
    await expect.poll(() => web.page.locator('[data-test=target-dataset]').innerText()).toMatch(/\(1 image/)
  })

  it('picks files with the file input and adds one with the palette', async () => {
    await web.page.setInputFiles('[data-test=file-input]', [web.lib.files.green!, web.lib.files.blue!])
    await expect.poll(() => web.page.locator('[data-test=recognition] [data-test=top-k]').count()).toBe(3)
    expect(await cards().nth(1).getAttribute('aria-current')).toBe('true')
    expect(await cards().nth(1).locator('[data-test=bar]').first().innerText()).toMatch(/green/)
    // keys are the dataset's own (only red, key 1, so far): green, new to it, comes from the palette
    await web.page.locator('body').press('2')
    await expect.poll(() => web.page.locator('[data-test=toast]').innerText()).toMatch(/^No label has key 2/)
    await web.page.locator('body').press('l')
    await web.page.keyboard.type('green')
    await web.page.keyboard.press('Enter')
    await expect.poll(() => cards().nth(1).locator('[data-test=added]').innerText()).toBe('added as green')
    expect(await count()).toBe(2)
    await shot('recognise-added')
  })

  it('recognises a pasted picture, and shows no camera button on a machine without a camera', async () => {
    await web.page.evaluate((base64) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))
      const clipboard = new DataTransfer()
      clipboard.items.add(new File([bytes], 'image.png', { type: 'image/png' }))
      document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true }))
    }, web.lib.bytes.blue!.toString('base64'))
    await expect.poll(() => web.page.locator('[data-test=recognition] [data-test=top-k]').count()).toBe(4)
    expect(await cards().nth(3).locator('[data-test=bar]').first().innerText()).toMatch(/blue/)
    expect(await web.page.locator('[data-test=camera-open]').count()).toBe(0)
  })

  it('recognises a folder and downloads a CSV with every file', async () => {
    await web.page.fill('input[name=batch-folder]', join(web.dir, 'photos'))
    await web.page.click('[data-test=batch] button[type=submit]')
    await expect.poll(() => web.page.locator('[data-test=batch-row]').count()).toBe(3)
    const [download] = await Promise.all([
      web.page.waitForEvent('download'),
      web.page.click('[data-test=batch-csv]'),
    ])
    const rows = parse(readFileSync(await download.path(), 'utf8'), { columns: true }) as Record<
      string,
      string
    >[]
    expect(rows.map((r) => r.path).sort()).toEqual(Object.values(web.lib.files).sort())
    for (const r of rows) expect(r.path).toContain(r.label!)
    await shot('recognise-batch')
    expect(web.app.problems).toEqual([])
  })
})

// Chromium's fake camera (a moving test pattern) stands for a webcam. The camera must be chosen when the
// browser starts, so these tests get their own browser: capture a frame to recognise it, and into a dataset.
describe('the camera in a browser', () => {
  const web = useWebApp(recogniseLibrary, 'cohort-e2e-camera-', {
    viewport: { width: 1280, height: 800 },
    chromiumArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  })

  it('captures a frame as a PNG and recognises it', async () => {
    await web.page.goto(web.server.url)
    await web.page.click('[data-test=nav-recognise]')
    await web.page.click('[data-test=camera-open]')
    await web.page.click('[data-test=camera-capture]')
    const card = web.page.locator('[data-test=recognition]').first()
    await card.locator('[data-test=top-k]').waitFor()
    expect(await card.getAttribute('data-name')).toBe('camera-1.png')
    expect(await card.locator('[data-test=bar]').count()).toBe(3)
    // Chromium's fake camera shows a green test pattern: the colour networks must say so
    expect(await card.locator('[data-test=bar]').first().innerText()).toMatch(/green/)
    await web.page.screenshot({ path: join(SCREENSHOTS, 'recognise-camera.png') })
  })

  // the same camera feeds the Dataset view's capture panel: each frame joins the dataset with its label
  it('adds a captured frame to the open dataset with the chosen label', async () => {
    const [dataset] = await web.lib.service['datasets.list']()
    if (!dataset!.labels.some((l) => l.name === 'green'))
      await web.lib.service['labels.create'](dataset!.id, 'green')
    const greens = async () =>
      (await web.lib.service['datasets.list']())[0]!.labels.find((l) => l.name === 'green')!.count
    const before = await greens()
    await web.page.goto(web.server.url)
    await web.page.getByRole('button', { name: dataset!.name }).click()
    await web.page.locator('[data-test=camera-details] summary').click()
    await web.page.selectOption('[data-test=capture-label]', 'green')
    await web.page.click('[data-test=camera-details] [data-test=camera-open]')
    await web.page.click('[data-test=camera-details] [data-test=camera-capture]')
    await expect
      .poll(
        async () =>
          (await web.lib.service['datasets.list']())[0]!.labels.find((l) => l.name === 'green')!.count,
      )
      .toBe(before + 1)
    await web.page.getByText('Added a picture as “green”').waitFor()
    await web.page.screenshot({ path: join(SCREENSHOTS, 'dataset-camera.png') })
  })
})
