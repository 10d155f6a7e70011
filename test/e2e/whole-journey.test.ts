import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { createCohortService, type CohortService } from '../../src/core/service'

const SAMPLE = join(__dirname, '..', '..', 'resources', 'sample', 'fashion-mnist')

// Issue 18: the journey a new user takes, in one library, in order, each step from where the last one left
// the page: the sample → its dataset → label → split → a tiny run → results → recognise → add a picture →
// retrain with it → export.
describe('the whole journey in a browser, from the first start to an exported model', () => {
  const dir = tempDir('cohort-e2e-whole-')
  let service: CohortService
  let app: WebApp
  let page: Page
  let datasetId: number

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    app = await openWebApp(service, { viewport: { width: 1400, height: 900 } })
    page = app.page
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  async function shot(name: string): Promise<void> {
    await page.locator('main').evaluate((m) => m.scrollTo(0, 0))
    await page.screenshot({ path: join(SCREENSHOTS, `whole-journey-${name}.png`) })
  }
  const status = () => page.locator('[data-test=status-filter]').innerText()
  const learnsFrom = () => page.locator('[data-test=learns-from]').innerText()
  /** what the Train view says a run of `total` pictures learns from, every one of them in a split */
  async function learning(total: number): Promise<string> {
    const { splits } = (await service['datasets.list']())[0]!
    expect(splits.train + splits.validation).toBe(total)
    return `Learns from ${splits.train} pictures and checks itself on ${splits.validation} more. No labelled picture is left out.`
  }

  it('imports the sample and lands in its dataset, offering the next step', async () => {
    await page.goto(app.server.url)
    await shot('01-first-start')
    await page.click('[data-test=import-sample]')
    await page.locator('[data-test=dataset-view]').waitFor({ timeout: 60_000 })
    await expect
      .poll(() => page.locator('[data-test=next-step-text]').innerText())
      .toBe('Labelled and split — ready to train.')
    datasetId = (await service['datasets.list']())[0]!.id
    await shot('02-landed')
  })

  it('labels a picture with a key and undoes it', async () => {
    const first = page.locator('[data-test=thumb]').first()
    await first.click()
    const id = (await service['images.list']({ datasetId, limit: 1 }))[0]!
    const labels = (await service['datasets.list']())[0]!.labels
    const other = labels.find((l) => l.name !== id.label && l.key !== null)!
    await page.keyboard.press(String(other.key))
    await expect
      .poll(async () => (await service['images.list']({ datasetId, ids: [id.id] }))[0]!.label)
      .toBe(other.name)
    await shot('03-labelled')
    await page.keyboard.press('Control+z')
    await expect
      .poll(async () => (await service['images.list']({ datasetId, ids: [id.id] }))[0]!.label)
      .toBe(id.label)
  })

  it('re-splits the dataset from the sidebar, keeping no test pictures apart', async () => {
    await page.locator('[data-test=split-details] summary').click()
    await page.fill('input[name=test]', '0')
    await page.locator('input[name=test]').dispatchEvent('change')
    await page.click('[data-test=resplit]')
    await expect.poll(() => page.locator('[data-test=toast]').innerText()).toBe('Re-split the dataset')
    const { splits } = (await service['datasets.list']())[0]!
    expect(splits.train + splits.validation).toBe(500)
    expect(splits.validation).toBeGreaterThan(0)
    expect(await status()).toBe('All images: 500 images')
    await shot('04-split')
  })

  it('trains a tiny run to completion', async () => {
    await page.click('[data-test=nav-train]')
    await page.locator('[data-test=network-card]').first().waitFor()
    await page.locator('[data-test=predicted-duration]').waitFor({ timeout: 30_000 })
    await page.selectOption('select[name=imageSize]', '16')
    await page.fill('input[name=epochs]', '1')
    await expect.poll(() => learnsFrom()).toBe(await learning(500))
    await shot('05-train-form')
    await page.click('[data-test=train]')
    await page.locator('[data-test=run-panel][data-status=completed]').waitFor({ timeout: 90_000 })
    expect(await page.locator('[data-test=epoch-row]').count()).toBe(1)
    await shot('06-trained')
  })

  it('shows the results with the confusion matrix', async () => {
    await page.click('[data-test=show-results]')
    await page.locator('[data-test=confusion]').waitFor({ timeout: 30_000 })
    expect(await page.locator('[data-test=network-row]').count()).toBe(2)
    expect(await page.locator('[data-test=confusion-cell]').count()).toBe(100)
    await page.locator('[data-test=trust]').waitFor()
    await shot('07-results')
  })

  it('recognises a picture with the run’s model', async () => {
    await page.click('[data-test=nav-recognise]')
    const bag = join(SAMPLE, 'Bag', readdirSync(join(SAMPLE, 'Bag'))[0]!)
    await page.setInputFiles('[data-test=file-input]', [bag])
    const card = page.locator('[data-test=recognition]').first()
    await card.locator('[data-test=top-k]').waitFor({ timeout: 30_000 })
    expect(await card.locator('[data-test=bar]').count()).toBeGreaterThan(0)
    await shot('08-recognised')
  })

  it('adds a new picture from Recognise with its label’s key: it joins a split at once', async () => {
    // a mirrored copy of a sample bag: a picture the dataset does not have yet
    const bags = join(SAMPLE, 'Bag')
    mkdirSync(join(dir.path, 'new'), { recursive: true })
    const mirrored = join(dir.path, 'new', 'mirrored-bag.png')
    await sharp(join(bags, readdirSync(bags)[1]!))
      .flop()
      .png()
      .toFile(mirrored)
    await page.setInputFiles('[data-test=file-input]', [mirrored])
    const card = page.locator('[data-test=recognition][aria-current=true]')
    await card.locator('[data-test=top-k]').waitFor({ timeout: 30_000 })
    const bag = (await service['datasets.list']())[0]!.labels.find((l) => l.name === 'Bag')!
    await page.locator('body').press(String(bag.key))
    await expect.poll(() => card.locator('[data-test=added]').innerText()).toBe('added as Bag')
    const [added] = await service['images.list']({ datasetId, offset: 500, limit: 1 })
    expect(added!.sourcePath).not.toBe(mirrored) // a copy kept in the library's added/ folder…
    expect(added!.label).toBe('Bag')
    expect(['train', 'validation']).toContain(added!.split) // …in a split the next run uses
    await shot('09-added')
  })

  it('retrains: the Train view counts the added picture and leaves nothing out', async () => {
    await page.click('[data-test=nav-train]')
    await expect.poll(() => learnsFrom()).toBe(await learning(501))
    expect(await page.locator('[data-test=left-out]').count()).toBe(0)
    await page.selectOption('select[name=imageSize]', '16')
    await page.fill('input[name=epochs]', '1')
    await shot('10-retrain-form')
    await page.click('[data-test=train]')
    await expect
      .poll(
        async () => (await service['runs.list'](datasetId)).filter((r) => r.status === 'completed').length,
        {
          timeout: 90_000,
        },
      )
      .toBe(2)
    await page.locator('[data-test=run-panel][data-status=completed]').waitFor({ timeout: 30_000 })
    await shot('11-retrained')
    await page.click('[data-test=nav-recognise]')
  })

  it('exports the model to a folder', async () => {
    const out = join(dir.path, 'exported-model')
    await page.locator('.model-files summary').click()
    await page.fill('input[name=export-folder]', out)
    await page.locator('.model-files form').first().locator('button[type=submit]').click()
    await expect.poll(() => existsSync(join(out, 'metadata.json')), { timeout: 30_000 }).toBe(true)
    await expect
      .poll(() => page.locator('[data-test=export-status]').innerText())
      .toMatch(/^Exported 2 networks \(\d+ files\) to /)
    await shot('12-exported')
    expect(app.problems).toEqual([])
  })
})
