import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { makeDatasetFolder } from '../helpers/dataset-fixture'
import { createCohortService, type CohortService } from '../../src/core/service'
import { openDatabase } from '../../src/core/store/db'
import type { RunningServer } from '../../src/server'

const BIG = 50_000

// The Dataset view of the built renderer in a real Chromium, against web mode on a real library.
describe('the dataset view in a browser', () => {
  const dir = tempDir()
  let service: CohortService
  let app: WebApp
  let server: RunningServer
  let page: Page

  beforeAll(async () => {
    const folder = join(dir.path, 'fruit')
    await makeDatasetFolder(folder, { apple: 10, pear: 10, plum: 10 }, 10, 48)
    service = await createCohortService({ home: join(dir.path, 'home') })
    const report = await service['imports.folder']({ folder, dataset: 'fruit' })
    expect(report.imported).toBe(40)
    app = await openWebApp(service, { viewport: { width: 1280, height: 800 } })
    ;({ server, page } = app)
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  const status = () => page.locator('[data-test=status-filter]').innerText()
  const labelCount = (name: string) =>
    page.locator(`[data-test=label-row][data-label="${name}"] [data-test=label-count]`).innerText()
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) })

  it('opens a dataset from the library: sidebar, grid and status bar', async () => {
    await page.goto(server.url)
    await page.getByRole('button', { name: 'fruit' }).click()
    await page.locator('[data-test=dataset-view]').waitFor()
    expect(await page.locator('[data-test=nav-dataset]').innerText()).toBe('Dataset: fruit')
    await expect.poll(status).toBe('All images: 40 images')
    await expect
      .poll(() =>
        page
          .locator('[data-test=thumb] img')
          .evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length),
      )
      .toBe(40)
    expect(await labelCount('apple')).toBe('10')
    await shot('dataset-all')
  })

  it('labels the unlabelled images by keyboard with auto-advance, and undoes one', async () => {
    await page.click('[data-filter=Unlabelled]')
    await expect.poll(status).toBe('Unlabelled: 10 images')
    await expect.poll(() => page.locator('[data-test=thumb]').count()).toBe(10)
    await shot('dataset-unlabelled')

    await page.locator('[data-test=thumb]').first().click()
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press(String((i % 3) + 1))
      await expect.poll(status).toBe(`Unlabelled: ${9 - i} image${9 - i === 1 ? '' : 's'}`)
    }
    expect([await labelCount('apple'), await labelCount('pear'), await labelCount('plum')]).toEqual([
      '14',
      '13',
      '13',
    ])
    await expect.poll(() => page.locator('[data-test=grid-empty]').isVisible()).toBe(true)

    await page.keyboard.press('Control+z')
    await expect.poll(status).toBe('Unlabelled: 1 image')
    expect(await page.locator('[data-test=toast]').innerText()).toBe("Undid: Label 1 image as 'apple'")
    expect(await labelCount('apple')).toBe('13')
    await shot('dataset-undo')
  })

  it('opens the palette, filters labels and offers to create one', async () => {
    await page.locator('[data-test=thumb]').first().click()
    await page.keyboard.press('l')
    await page.keyboard.type('p')
    await expect
      .poll(() => page.locator('[data-test=palette-option]').allInnerTexts())
      .toEqual(['pear\n2', 'plum\n3', 'apple\n1', 'Create label “p”'])
    await shot('dataset-palette')
    await page.keyboard.press('Escape')
    await expect.poll(() => page.locator('[data-test=palette]').count()).toBe(0)
  })

  it('re-splits and shows the counts per label and split', async () => {
    await page.click('[data-filter="All images"]')
    await page.locator('[data-test=split-details] summary').click()
    await page.fill('input[name=validation]', '20')
    await page.fill('input[name=test]', '20')
    await page.click('[data-test=resplit]')
    const cell = (label: string, split: string) =>
      page.locator(`[data-test=split-table] tr[data-label="${label}"] td[data-split="${split}"]`).innerText()
    await expect.poll(() => cell('apple', 'validation')).not.toBe('0')
    const apple = await Promise.all(
      ['train', 'validation', 'test', 'unassigned'].map((s) => cell('apple', s)),
    )
    expect(apple.map(Number).reduce((a, b) => a + b)).toBe(13)
    expect(Number(apple[3])).toBe(0)
    expect(await cell('', 'unassigned')).toBe('1')
    await expect.poll(() => page.locator('[data-test=thumb] .split-badge').count()).toBe(39)
    await shot('dataset-split')
  })

  it('undoes a re-split as one action (not the labelling before it)', async () => {
    const cell = (label: string, split: string) =>
      page.locator(`[data-test=split-table] tr[data-label="${label}"] td[data-split="${split}"]`).innerText()
    const counts = () => Promise.all(['train', 'validation', 'test'].map((s) => cell('apple', s)))
    const before = await counts()
    await page.fill('input[name=validation]', '40')
    await page.fill('input[name=test]', '0')
    await page.click('[data-test=resplit]')
    await expect.poll(() => cell('apple', 'test')).toBe('0')
    const labels = await page.locator('[data-test=thumb-label]').allInnerTexts()
    await page.getByRole('button', { name: 'Undo' }).click()
    await expect.poll(counts).toEqual(before)
    expect(await page.locator('[data-test=thumb-label]').allInnerTexts()).toEqual(labels)
    await page.getByRole('button', { name: 'Redo' }).click()
    await expect.poll(() => cell('apple', 'test')).toBe('0')
  })

  it('opens a large preview with Space, moves with the arrows and closes with Esc', async () => {
    await page.locator('[data-test=thumb]').first().click()
    await page.keyboard.press(' ')
    const image = page.locator('[data-test=preview-image]')
    await image.waitFor()
    await expect.poll(() => image.evaluate((i) => (i as HTMLImageElement).naturalWidth)).toBe(48)
    const first = await image.getAttribute('src')
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => image.getAttribute('src')).not.toBe(first)
    await shot('dataset-preview')
    await page.keyboard.press('Escape')
    await expect.poll(() => page.locator('[data-test=preview]').count()).toBe(0)
  })

  it(`keeps the DOM small with ${BIG} images and reaches the last one by scrolling`, async () => {
    // Rows straight into the library file: distinct hashes (one per image), one real source file.
    const big = await service['datasets.create']('big')
    const db = openDatabase(join(dir.path, 'home', 'library.sqlite'))
    const source = join(dir.path, 'fruit', 'apple', 'apple-0.png')
    const insert = db.prepare(
      `INSERT INTO images (dataset_id, source_path, hash, width, height, format, bytes) VALUES (?, ?, ?, 48, 48, 'png', 100)`,
    )
    db.transaction(() => {
      for (let i = 0; i < BIG; i++) insert.run(big.id, source, `big-${String(i).padStart(6, '0')}`)
    })()
    const lastId = db
      .prepare<[number], { id: number }>('SELECT MAX(id) AS id FROM images WHERE dataset_id = ?')
      .get(big.id)!.id
    db.close()

    await page.click('[data-test=back]')
    await page.getByRole('button', { name: 'big' }).click()
    await expect.poll(status).toBe(`All images: ${BIG} images`)
    expect(await page.locator('[data-test=status-selected]').innerText()).toBe('0 selected')
    await page.locator('[data-test=thumb] img').first().waitFor()
    const thumbs = await page.locator('[data-test=thumb]').count()
    expect(thumbs).toBeGreaterThan(20)
    expect(thumbs).toBeLessThan(200)

    await page.locator('[data-test=grid]').evaluate((el) => (el.scrollTop = el.scrollHeight))
    const last = page.locator(`[data-test=thumb][data-index="${BIG - 1}"]`)
    await expect.poll(() => last.getAttribute('data-id')).toBe(String(lastId))
    expect(await page.locator('[data-test=thumb]').count()).toBeLessThan(200)
    await expect
      .poll(() => last.locator('img').evaluate((i) => (i as HTMLImageElement).naturalWidth))
      .toBe(48)
    await shot('dataset-virtual-end')

    // Ctrl+A selects every image, even those never fetched; the palette creates a label for them all.
    // Fetching 50000 ids is about a dozen requests (1 to 3 s on a loaded 2-core machine), and labelling
    // them one transaction: longer than expect.poll's default second, so these polls say how long they wait.
    const bulk = { timeout: 30_000 }
    await page.keyboard.press('Control+a')
    await expect
      .poll(() => page.locator('[data-test=status-selected]').innerText(), bulk)
      .toBe(`${BIG} selected`)
    await page.keyboard.press('l')
    await page.keyboard.type('thing')
    await page.keyboard.press('Enter')
    await expect.poll(() => labelCount('thing'), bulk).toBe(String(BIG))
    await page.keyboard.press('Control+z')
    await expect.poll(() => labelCount('thing'), bulk).toBe('0')
  })

  it('raised no console or page errors (CSP violations included)', () => {
    expect(app.problems).toEqual([])
  })
})
