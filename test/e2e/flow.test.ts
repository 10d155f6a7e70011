import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { makeDatasetFolder } from '../helpers/dataset-fixture'
import { createCohortService, type CohortService } from '../../src/core/service'
import type { RunningServer } from '../../src/server'

/** 3 labels of 6 images each plus 4 loose (unlabelled) files, 16 px: small enough to train in seconds */
const PER_LABEL = { red: 6, green: 6, blue: 6 }
const LOOSE = 4
const TOTAL = 18 + LOOSE

// The whole flow in one library, in order, as a person does it: each step builds on the one before.
describe('the whole flow in a browser: import, label, split, train, results, recognise, export', () => {
  const dir = tempDir('cohort-e2e-flow-')
  let service: CohortService
  let app: WebApp
  let server: RunningServer
  let page: Page
  let datasetId: number

  beforeAll(async () => {
    await makeDatasetFolder(join(dir.path, 'squares'), PER_LABEL, LOOSE, 16)
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
    await page.screenshot({ path: join(SCREENSHOTS, `flow-${name}.png`) })
  }
  const status = () => page.locator('[data-test=status-filter]').innerText()
  const thumbs = () => page.locator('[data-test=thumb]')
  const points = (title: string) =>
    page.locator(`[data-test=chart][data-title="${title}"]`).getAttribute('data-points').then(Number)
  const unlabelled = () => service['images.count']({ datasetId, labelId: null })

  it('imports a folder of 3 labels and a few loose files through the Library form', async () => {
    await page.goto(server.url)
    await page.fill('input[name=folder]', join(dir.path, 'squares'))
    await page.fill('input[name=dataset]', 'squares')
    await page.click('button[type=submit]')
    await page.locator('[data-test=import-report]').waitFor()
    expect(await page.locator('[data-test=import-report]').innerText()).toMatch(
      new RegExp(`Imported ${TOTAL} images into “squares”`),
    )
    datasetId = (await service['datasets.list']())[0]!.id
    expect(await unlabelled()).toBe(LOOSE)
    await shot('01-imported')
  })

  it('opens the dataset and labels the loose files with the keyboard, one key each (auto-advance)', async () => {
    await page.getByRole('button', { name: 'squares' }).click()
    await page.locator('[data-test=dataset-view]').waitFor()
    await expect.poll(() => thumbs().count()).toBe(TOTAL)
    await page.click('[data-filter=Unlabelled]')
    await expect.poll(status).toBe(`Unlabelled: ${LOOSE} images`)
    await shot('02-unlabelled')

    // labels are keyed by name: blue 1, green 2, red 3; every loose square gets 'red' (key 3)
    await thumbs().first().click()
    for (let left = LOOSE - 1; left >= 0; left--) {
      await page.keyboard.press('3')
      await expect.poll(status).toBe(`Unlabelled: ${left} image${left === 1 ? '' : 's'}`)
    }
    expect(await unlabelled()).toBe(0)
    const red = (await service['datasets.list']())[0]!.labels.find((l) => l.name === 'red')
    expect(red?.count).toBe(PER_LABEL.red + LOOSE)
    await expect.poll(() => page.locator('[data-test=grid-empty]').isVisible()).toBe(true)
    await shot('03-labelled')
  })

  it('re-splits the labelled images', async () => {
    await page.click('[data-filter="All images"]')
    await page.locator('[data-test=split-details] summary').click()
    await page.click('[data-test=resplit]')
    await expect.poll(async () => (await service['datasets.list']())[0]!.splits.validation).toBeGreaterThan(0)
    await expect.poll(() => page.locator('[data-test=thumb] .split-badge').count()).toBe(TOTAL)
    await shot('04-split')
  })

  it('trains two networks for 2 epochs with the validation teacher, the charts gaining points per epoch', async () => {
    await page.click('[data-test=nav-train]')
    // the zoo's cards arrive from the service: wait for them before counting the chosen ones
    await page.locator('[data-test=network-card]').first().waitFor()
    await expect.poll(() => page.locator('[data-test=network-card][aria-pressed=true]').count()).toBe(2)
    await page.selectOption('select[name=imageSize]', '16')
    await page.fill('input[name=epochs]', '2')
    await page.locator('[data-test=advanced] summary').click()
    await page.fill('input[name=batchSize]', '8')
    // a few pictures per label: min-loss is recommended and chosen, saying why; picking another drops the reason
    expect(await page.locator('[data-test=teacher]').inputValue()).toBe('min-loss')
    // why it is recommended, with the teacher's name, waits under Details
    await page.locator('[data-test=teacher-details] summary').click()
    expect(await page.locator('[data-test=teacher-reason]').innerText()).toMatch(
      /^Recommended for about \d+ /,
    )
    await page.selectOption('[data-test=teacher]', 'validation')
    expect(await page.locator('[data-test=teacher-reason]').count()).toBe(0)
    // a few validation pictures: the answer averages its networks, saying why
    expect(await page.locator('[data-test=ensemble-rule]').inputValue()).toBe('equal')
    expect(await page.locator('[data-test=ensemble-rule-reason]').innerText()).toMatch(
      /^Recommended for \d+ validation pictures: below 500/,
    )
    await shot('05-train-settings')
    await page.click('[data-test=train]')

    await page.locator('[data-test=epoch-row]').first().waitFor({ timeout: 60_000 })
    // 2 networks and the ensemble: at least one point each after the first epoch
    expect(await points('Validation accuracy (%)')).toBeGreaterThanOrEqual(3)
    await page.locator('[data-test=run-panel][data-status=completed]').waitFor({ timeout: 60_000 })
    expect(await points('Validation accuracy (%)')).toBe(6)
    expect(await points('Training loss')).toBe(4)
    expect(await points('How much the teacher trusts each network')).toBe(4)
    const rows = await page.locator('[data-test=epoch-row]').allInnerTexts()
    expect(rows.map((r) => r.split('\t')[0]?.trim())).toEqual(['1', '2'])
    expect(rows[1]).toMatch(/\d+\.\d%/)
    const [run] = await service['runs.list'](datasetId)
    expect(run!.config).toMatchObject({
      imageSize: 16,
      epochs: 2,
      batchSize: 8,
      teacher: 'validation',
      ensembleRule: 'equal',
    })
    await shot('06-trained')
  })

  it('shows the results: the confusion matrix, and a cell opened shows its images', async () => {
    await page.click('[data-test=show-results]')
    await page.locator('[data-test=confusion]').waitFor()
    expect(await page.locator('[data-test=network-row]').count()).toBe(2)
    expect(await page.locator('[data-test=confusion-cell]').count()).toBe(9)
    const cell = page.locator('[data-test=confusion-cell]:not([disabled])').first()
    const count = Number(await cell.innerText())
    expect(count).toBeGreaterThan(0)
    await cell.click()
    const gallery = page.locator('[data-test=cell-gallery] [data-test=gallery-image] img')
    await expect
      .poll(() =>
        gallery.evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length),
      )
      .toBe(count)
    await shot('07-results-cell')
  })

  it('trains the networks alone from Results and shows what training together added', async () => {
    await page.click('[data-test=train-alone]')
    await page.locator('[data-test=alone-table]').waitFor({ timeout: 120_000 })
    const rows = page.locator('[data-test=alone-row]')
    expect(await rows.count()).toBe(3)
    expect(await rows.last().locator('td').first().innerText()).toBe("The app's answer")
    expect(await page.locator('[data-test=alone-verdict]').innerText()).toMatch(
      /^(Training together helped|Training together did not help here|No clear difference)/,
    )
    await shot('07b-together-or-alone')
  })

  it('exports the run’s models from the Results view', async () => {
    const out = join(dir.path, 'results-export')
    await page.fill('input[name=exportDir]', out)
    await page.click('[data-test=export]')
    await page.locator('[data-test=exported]').waitFor()
    expect(await page.locator('[data-test=exported]').innerText()).toContain('Exported 2 networks')
    expect(existsSync(join(out, 'metadata.json'))).toBe(true)
  })

  it("lists the run's mistakes in the Dataset view", async () => {
    const [run] = await service['runs.list'](datasetId)
    const wrong = (
      await Promise.all(
        (['validation', 'test'] as const).map((split) =>
          service['runs.evaluateSplit'](run!.id, split).catch(() => null),
        ),
      )
    ).flatMap((r) => r?.images.filter((i) => i.predicted !== i.label) ?? [])
    await page.click('[data-test=nav-dataset]')
    await page.click(`[data-filter="Misclassified (run ${run!.id})"]`)
    await expect
      .poll(status)
      .toBe(`Misclassified by run ${run!.id}: ${wrong.length} image${wrong.length === 1 ? '' : 's'}`)
    await expect.poll(() => page.locator('[data-test=thumb-predicted]').count()).toBe(wrong.length)
    await shot('08-misclassified')
  })

  it('recognises a dropped picture, shows its top-k, and its label’s key adds it to the dataset', async () => {
    await page.click('[data-test=nav-recognise]')
    await page.locator('[data-test=drop-zone]').waitFor()
    // a real drop: a File of PNG bytes drawn in the page (a new square like the 'red' ones), in a DataTransfer
    await page.evaluate(async () => {
      const canvas = document.createElement('canvas')
      canvas.width = canvas.height = 16
      const ctx = canvas.getContext('2d')!
      ctx.fillStyle = 'rgb(70, 60, 215)'
      ctx.fillRect(0, 0, 16, 16)
      const png = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), 'image/png'))
      const transfer = new DataTransfer()
      transfer.items.add(new File([png], 'dropped.png', { type: 'image/png' }))
      const zone = document.querySelector('[data-test=drop-zone]')!
      zone.dispatchEvent(
        new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }),
      )
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }))
    })
    const card = page.locator('[data-test=recognition]').first()
    await card.locator('[data-test=top-k]').waitFor()
    expect(await card.getAttribute('data-name')).toBe('dropped.png')
    expect(await card.locator('[data-test=bar]').count()).toBe(3)
    const top = (await card.locator('[data-test=bar]').first().innerText()).match(/red|green|blue/)![0]

    // 3 validation pictures are too few to vouch for a tiny run: Enter stays manual, the label's key adds
    expect(await card.locator('[data-test=enter-hint]').innerText()).toMatch(
      /^Not sure enough \(\d+\.\d%; \d validation pictures? (is|are) too few to judge this run by\) — pick the label with 1–9 or L$/,
    )
    const key = (await service['datasets.list']())[0]!.labels.find((l) => l.name === top)!.key!
    await page.locator('body').press(String(key))
    await expect.poll(() => card.locator('[data-test=added]').innerText()).toBe(`added as ${top}`)
    expect(await service['images.count']({ datasetId })).toBe(TOTAL + 1)
    await shot('09-recognised')
  })

  it('exports the models to a folder, with their metadata.json', async () => {
    const out = join(dir.path, 'exported-models')
    await page.locator('.model-files summary').click()
    await page.fill('input[name=export-folder]', out)
    await page.locator('.model-files form').first().locator('button[type=submit]').click()
    await expect.poll(() => existsSync(join(out, 'metadata.json'))).toBe(true)
    // said beside the Export button
    await expect
      .poll(() => page.locator('[data-test=export-status]').innerText())
      .toMatch(/^Exported 2 networks \(\d+ files\) to /)
    await shot('10-exported')
    expect(app.problems).toEqual([])
  })
})
