import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { axeViolations } from '../helpers/axe'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { mislabelledLibrary } from '../helpers/journey-fixture'
import { makeLabelledFolder } from '../helpers/labelled-folder'
import type { RecogniseLibrary } from '../helpers/recognise-fixture'
import { createCohortService, type CohortService } from '../../src/core/service'

/** labels beyond red, green and blue, each on one picture: every label colour of the palette is shown */
const EXTRA_LABELS = ['amber', 'beige', 'coral', 'denim', 'ebony', 'fern', 'gold', 'hazel', 'ivory', 'jade']

// axe-core in a real Chromium on every view of the built renderer: no contrast or naming violations.
describe('every view passes the accessibility checks (contrast, names of controls and pictures)', () => {
  const dir = tempDir('cohort-e2e-a11y-')
  let lib: RecogniseLibrary
  let app: WebApp
  let page: Page

  beforeAll(async () => {
    lib = await mislabelledLibrary(dir.path)
    for (const [i, name] of EXTRA_LABELS.entries()) {
      const colour = ['red', 'green', 'blue'][i % 3]!
      await lib.service['images.addRecognised'](lib.datasetId, { path: lib.files[colour]! }, name)
    }
    app = await openWebApp(lib.service, { viewport: { width: 1400, height: 900 } })
    page = app.page
    page.setDefaultTimeout(10_000)
  })
  afterAll(async () => {
    await app?.close()
    lib?.service.close()
    dir.cleanup()
  })

  /** one line per violation, so a failure shows each in full */
  const violations = async () => (await axeViolations(page)).join('\n')
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `a11y-${name}.png`) })

  it('the library and its import form, with an import report listing a rejected file', async () => {
    const folder = join(dir.path, 'to-import')
    await makeLabelledFolder(folder, { cats: 2, dogs: 2 }, 16)
    writeFileSync(join(folder, 'cats', 'notes.png'), 'not a picture')
    await page.goto(app.server.url)
    expect(await violations()).toBe('')
    await page.fill('input[name=folder]', folder)
    await page.fill('input[name=dataset]', 'pets')
    await page.click('button[type=submit]')
    await page.locator('[data-test=import-report]').waitFor()
    expect(await violations()).toBe('')
    await shot('library')
    // the import landed in its dataset; back to the library for the next dataset
    await page.click('[data-test=nav-library]')
  })

  it('the dataset view: grid with label chips of 13 labels, label list, splits, palette', async () => {
    await page.getByRole('button', { name: 'colours' }).click()
    await page.locator('[data-test=dataset-view]').waitFor()
    await expect.poll(() => page.locator('[data-test=thumb-label]').count()).toBeGreaterThan(12)
    await page.locator('[data-test=split-details] summary').click()
    expect(await violations()).toBe('')
    await shot('dataset')
    await page.locator('[data-test=thumb]').first().click()
    await page.keyboard.press('l')
    await page.locator('[data-test=palette]').waitFor()
    expect(await violations()).toBe('')
    await page.keyboard.press('Escape')
  })

  it('the train view, with a finished run in its list', async () => {
    await page.click('[data-test=nav-train]')
    await page.locator('[data-test=network-card]').first().waitFor()
    await page.locator('[data-test=advanced] summary').click()
    expect(await violations()).toBe('')
    await shot('train')
  })

  it('the results view, with a confusion cell open', async () => {
    await page.click('[data-test=nav-results]')
    await page.locator('[data-test=confusion-cell][data-true=red][data-predicted=green]').click()
    await page.locator('[data-test=cell-gallery] [data-test=gallery-image]').first().waitFor()
    expect(await violations()).toBe('')
    await shot('results')
  })

  it('the recognise view, with recognised pictures, a file that is not one, and a folder’s table', async () => {
    const fake = join(dir.path, 'notes.png')
    writeFileSync(fake, 'words')
    await page.click('[data-test=nav-recognise]')
    await page.setInputFiles('[data-test=file-input]', [lib.files.red!, lib.files.green!, fake])
    await expect.poll(() => page.locator('[data-test=top-k]').count()).toBe(2)
    await page.fill('input[name=batch-folder]', join(dir.path, 'photos'))
    await page.click('[data-test=batch] button[type=submit]')
    await expect.poll(() => page.locator('[data-test=batch-row]').count()).toBe(3)
    await page.locator('[data-test=model-files] summary').click()
    expect(await violations()).toBe('')
    await shot('recognise')
    expect(app.problems).toEqual([])
  })
})

describe('the first start passes the accessibility checks too', () => {
  const dir = tempDir('cohort-e2e-a11y-')
  let service: CohortService
  let app: WebApp

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    app = await openWebApp(service, { viewport: { width: 1400, height: 900 } })
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  it('an empty library, offering the sample and the import form', async () => {
    await app.page.goto(app.server.url)
    await app.page.locator('[data-test=import-sample]').waitFor()
    expect((await axeViolations(app.page)).join('\n')).toBe('')
    await app.page.click('[data-test=nav-recognise]')
    await app.page.locator('[data-test=no-model]').waitFor()
    expect((await axeViolations(app.page)).join('\n')).toBe('')
    expect(app.problems).toEqual([])
  })
})
