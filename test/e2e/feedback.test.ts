import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { openWebApp, useWebApp, type WebApp } from '../helpers/web-app'
import { recogniseLibrary } from '../helpers/recognise-fixture'
import { makeLabelledFolder } from '../helpers/labelled-folder'
import { createCohortService, type CohortService } from '../../src/core/service'

// Issue 18, bug 5: every action says what happened, next to where the person acted, in plain words.
describe('recognise: feedback next to the action, in plain words', () => {
  const web = useWebApp(recogniseLibrary, 'cohort-e2e-feedback-', { viewport: { width: 1400, height: 900 } })

  const shot = (name: string) =>
    web.page.screenshot({ path: join(SCREENSHOTS, `feedback-${name}.png`), fullPage: true })
  /** vertical gap in px between two elements' boxes (0 when they overlap) */
  const gap = async (a: string, b: string) => {
    const [ba, bb] = [await web.page.locator(a).boundingBox(), await web.page.locator(b).boundingBox()]
    if (!ba || !bb) throw new Error(`${a} or ${b} is not shown`)
    return Math.max(0, bb.y - (ba.y + ba.height), ba.y - (bb.y + bb.height))
  }

  it('exporting with no pictures in the list says so next to the Export button, and why it cannot', async () => {
    web.page.setDefaultTimeout(10_000)
    await web.page.goto(web.server.url)
    await web.page.click('[data-test=nav-recognise]')
    await web.page.getByText('Export or import a model').click()
    expect(await web.page.locator('[data-test=recognition]').count()).toBe(0)
    // no folder typed yet: the disabled button says why
    expect(await web.page.locator('[data-test=export-model]').isDisabled()).toBe(true)
    expect(await web.page.locator('[data-test=export-status]').innerText()).toBe(
      'Type the path of a new or empty folder to export to.',
    )
    const out = join(web.dir, 'exported')
    await web.page.fill('input[name=export-folder]', out)
    await web.page.click('[data-test=export-model]')
    await expect
      .poll(() => web.page.locator('[data-test=export-status]').innerText())
      .toMatch(new RegExp(`^Exported 2 networks \\(\\d+ files\\) to ${out}$`))
    expect(existsSync(join(out, 'metadata.json'))).toBe(true)
    expect(await gap('[data-test=export-model]', '[data-test=export-status]')).toBeLessThan(40)
    await shot('exported')
    // a folder that is not empty: the reason, beside the button too
    await web.page.click('[data-test=export-model]')
    await expect
      .poll(() => web.page.locator('[data-test=export-status][role=alert]').innerText())
      .toContain(out)
    expect(await web.page.locator('[data-test=recognise-error]').count()).toBe(0)
    expect(await gap('[data-test=export-model]', '[data-test=export-status]')).toBeLessThan(40)
  })

  it('a missing folder in “Recognise a folder” says “Folder not found” and offers no CSV', async () => {
    await web.page.fill('input[name=batch-folder]', join(web.dir, 'photos'))
    await web.page.click('[data-test=batch] button[type=submit]')
    await expect.poll(() => web.page.locator('[data-test=batch-row]').count()).toBe(3)
    expect(await web.page.locator('[data-test=batch-csv]').count()).toBe(1)

    const missing = join(web.dir, 'no-such-folder')
    await web.page.fill('input[name=batch-folder]', missing)
    await web.page.click('[data-test=batch] button[type=submit]')
    await expect
      .poll(() => web.page.locator('[data-test=batch-error]').innerText())
      .toBe(`Folder not found: ${missing}`)
    expect(await web.page.locator('[data-test=batch-csv]').count()).toBe(0)
    expect(await web.page.locator('[data-test=batch-summary]').count()).toBe(0)
    expect(await web.page.locator('body').innerText()).not.toMatch(/ENOENT|realpath/)
    expect(await gap('[data-test=batch] button[type=submit]', '[data-test=batch-error]')).toBeLessThan(40)
    await shot('missing-folder')

    // a file where a folder was asked for
    await web.page.fill('input[name=batch-folder]', web.lib.files.red!)
    await web.page.click('[data-test=batch] button[type=submit]')
    await expect
      .poll(() => web.page.locator('[data-test=batch-error]').innerText())
      .toBe(`${web.lib.files.red} is a file, not a folder.`)
    expect(await web.page.locator('[data-test=batch-csv]').count()).toBe(0)
  })

  it('the import form says “Folder not found” for a missing folder, never a system error', async () => {
    const missing = join(web.dir, 'nowhere')
    await web.page.click('[data-test=nav-library]')
    await web.page.fill('input[name=folder]', missing)
    await web.page.fill('input[name=dataset]', 'nowhere')
    await web.page.click('button[type=submit]')
    await expect
      .poll(() => web.page.locator('[data-test=import-error]').innerText())
      .toBe(`Folder not found: ${missing}`)
    expect(await web.page.locator('body').innerText()).not.toMatch(/ENOENT|realpath/)
  })

  it('a file that is not a picture shows a “not a picture” tile with the reason, no broken image', async () => {
    const fake = join(web.dir, 'notes.png')
    writeFileSync(fake, 'these are words, not pixels\n')
    const text = join(web.dir, 'readme.txt')
    writeFileSync(text, 'plain text\n')
    await web.page.click('[data-test=nav-recognise]')
    await web.page.setInputFiles('[data-test=file-input]', [web.lib.files.red!, fake, text])
    const card = (name: string) => web.page.locator(`[data-test=recognition][data-name="${name}"]`)
    await card('red.png').locator('[data-test=top-k]').waitFor()
    for (const name of ['notes.png', 'readme.txt']) {
      await expect.poll(() => card(name).locator('[data-test=unreadable-tile]').count()).toBe(1)
      expect(await card(name).locator('img').count()).toBe(0)
      expect(await card(name).locator('[data-test=recognition-error]').innerText()).toMatch(
        /^Not a picture: /,
      )
    }
    expect(await card('notes.png').locator('[data-test=recognition-error]').innerText()).toMatch(
      /^Not a picture: the content is not a known image format/,
    )
    expect(await card('readme.txt').locator('[data-test=recognition-error]').innerText()).toBe(
      'Not a picture: readme.txt is a text/plain file',
    )
    // every picture shown is a real image (none broken)
    const broken = await web.page
      .locator('[data-test=recognition] img')
      .evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth === 0).length)
    expect(broken).toBe(0)
    // a dataset without labels yet: the hint says so, and how to make one, not an empty list of keys
    expect(await web.page.locator('[data-test=key-hint]').innerText()).toMatch(
      /top label · no label has a key in this dataset yet · L any label \(or a new one\)/,
    )
    await shot('not-a-picture')
    // a key on a tile that is not a picture adds nothing
    const before = await web.lib.service['images.count']({ datasetId: web.lib.datasetId })
    await card('notes.png').click()
    await web.page.locator('body').press('Enter')
    await web.page.waitForTimeout(300)
    expect(await web.lib.service['images.count']({ datasetId: web.lib.datasetId })).toBe(before)
    expect(web.app.problems).toEqual([])
  })
})

describe('train: a run’s header and its row in the runs list always say the same state', () => {
  const dir = tempDir('cohort-e2e-feedback-')
  let service: CohortService
  let app: WebApp
  let page: Page

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    const folder = join(dir.path, 'squares')
    await makeLabelledFolder(folder, { red: 8, green: 8, blue: 8 }, 16)
    await service['imports.folder']({ folder, dataset: 'squares' })
    const datasetId = (await service['datasets.list']())[0]!.id
    await service['splits.apply']({ datasetId, validation: 0.25, test: 0.25, seed: 1 })
    app = await openWebApp(service, { viewport: { width: 1400, height: 900 } })
    page = app.page
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  it('from the click on Train to completion, at every change of the page', async () => {
    page.setDefaultTimeout(10_000)
    await page.goto(app.server.url)
    await page.getByRole('button', { name: 'squares' }).click()
    await page.click('[data-test=nav-train]')
    await page.locator('[data-test=network-card]').first().waitFor()
    await page.selectOption('select[name=imageSize]', '16')
    await page.fill('input[name=epochs]', '2')
    await page.locator('[data-test=advanced] summary').click()
    await page.fill('input[name=batchSize]', '8')
    // every state the page shows, header beside row, recorded after each change of the page
    await page.evaluate(() => {
      const seen: [string, string | null][] = []
      const record = () => {
        const header = document.querySelector('[data-test=run-status]')?.textContent?.trim()
        const row = document.querySelector('[data-test=run-item].active .status')?.textContent?.trim()
        if (header) seen.push([header, row ?? null])
      }
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      })
      Object.assign(window, { seen })
    })
    await page.click('[data-test=train]')
    await page.locator('[data-test=run-panel][data-status=completed]').waitFor({ timeout: 90_000 })
    const seen = await page.evaluate(() => (window as unknown as { seen: [string, string | null][] }).seen)
    const states = [...new Set(seen.map(([header]) => header))]
    expect(states).toContain('running')
    expect(states.at(-1)).toBe('completed')
    expect(seen.filter(([header, row]) => header !== row)).toEqual([])
    await page.screenshot({ path: join(SCREENSHOTS, 'feedback-run-states.png') })
    expect(app.problems).toEqual([])
  })
})

describe('plain words: the app never names a command-line flag or shows a system error', () => {
  const dir = tempDir('cohort-e2e-feedback-')
  let service: CohortService
  let app: WebApp
  let page: Page

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    app = await openWebApp(service, { viewport: { width: 1400, height: 900 } })
    page = app.page
    page.setDefaultTimeout(10_000)
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  it('the import report gives each rejected file’s reason as a sentence, not a code', async () => {
    const folder = join(dir.path, 'pets')
    await makeLabelledFolder(folder, { cats: 2, dogs: 2 }, 16)
    writeFileSync(join(folder, 'cats', 'notes.png'), 'not a picture')
    await page.goto(app.server.url)
    await page.fill('input[name=folder]', folder)
    await page.fill('input[name=dataset]', 'pets')
    await page.click('button[type=submit]')
    const report = page.locator('[data-test=import-report]')
    await report.waitFor()
    // the report can show before its list of rejected files renders: wait for the list, not the box
    await expect
      .poll(() => report.locator('li').allInnerTexts())
      .toEqual([
        `${join(folder, 'cats', 'notes.png')} — not an image Cohort can read: the content is not a known image format`,
      ])
  })

  it('an empty filter says what to do next: “All labelled — split and train”', async () => {
    await page.getByRole('button', { name: 'pets' }).click()
    await page.click('[data-filter=Unlabelled]')
    await expect
      .poll(() => page.locator('[data-test=grid-empty]').innerText())
      .toBe('All labelled — split and train: open Splits in the sidebar, then Train.')
    await page.click('[data-filter="All images"]')
  })

  it('a split warning says “lower the validation share”, not a CLI flag', async () => {
    await page.locator('[data-test=split-details] summary').click()
    await page.click('[data-test=resplit]')
    const warnings = page.locator('[data-test=split-warnings]')
    await expect.poll(() => warnings.locator('li').count()).toBe(2)
    expect(await warnings.innerText()).toMatch(/add images or lower the validation share\./)
    expect(await page.locator('body').innerText()).not.toMatch(/ --[a-z]|cohort [a-z]+ --|ENOENT|EACCES/)
    await page.screenshot({ path: join(SCREENSHOTS, 'feedback-split-warnings.png') })
    // split now: the same empty filter points at the next step
    await page.click('[data-filter=Unlabelled]')
    await expect
      .poll(() => page.locator('[data-test=grid-empty]').innerText())
      .toBe('All labelled — train a run (Train, at the top).')
  })

  it('the Train view with no run says how to start one, and each automatic choice on a line of its own', async () => {
    await page.click('[data-test=nav-train]')
    expect(await page.locator('[data-test=no-runs]').innerText()).toBe(
      'No runs yet: choose the networks and click Train.',
    )
    const reasons = page.locator('[data-test=plan-reason]')
    await expect.poll(() => reasons.count()).toBeGreaterThan(1)
    const lines = (await page.locator('[data-test=plan]').innerText()).split('\n')
    expect(lines.length).toBe((await reasons.count()) + 1)
    expect(await page.locator('body').innerText()).not.toMatch(/ --[a-z]|ENOENT|EACCES/)
    expect(app.problems).toEqual([])
  })
})
