import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { tempDir } from '../helpers/temp'
import { SCREENSHOTS } from '../helpers/browser'
import { axeViolations } from '../helpers/axe'
import { openWebApp, type WebApp } from '../helpers/web-app'
import { trainTinyRun } from '../helpers/tiny-run'
import { createCohortService, type CohortService } from '../../src/core/service'
import type { RunSummary } from '../../src/shared/types'

// The built renderer in a real Chromium against web mode: a second run started from a first one in the Train view.
describe('starting a run from an earlier run in a browser', () => {
  const dir = tempDir('cohort-e2e-from-run-')
  let service: CohortService
  let app: WebApp
  let page: Page
  let first: RunSummary
  let datasetId: number

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    // the first run: 16 px, a quarter-width cnn and resnet-8 (another group than the form's default)
    ;({ run: first, datasetId } = await trainTinyRun(service, dir.path, 'squares'))
    app = await openWebApp(service, { viewport: { width: 1280, height: 900 } })
    page = app.page
  })
  afterAll(async () => {
    await app?.close()
    service?.close()
    dir.cleanup()
  })

  const plannedEpochs = () => page.locator('input[name=epochs]').getAttribute('placeholder').then(Number)
  const duration = () => page.locator('[data-test=predicted-duration]').innerText()

  it('offers the completed run; choosing it fixes the networks, size and colour and shortens the plan', async () => {
    await page.goto(app.server.url)
    await page.getByRole('button', { name: 'squares' }).click()
    await page.click('[data-test=nav-train]')
    await page.locator('[data-test=network-card]').first().waitFor()
    const select = page.locator('[data-test=from-run]')
    expect(await select.inputValue()).toBe('')
    expect(await select.locator('option').allInnerTexts()).toEqual([
      'No: new networks',
      `Run ${first.id}: cnn + resnet-8, 16 × 16 colour`,
    ])
    expect(await page.locator('[data-test=from-run-hint]').innerText()).toMatch(
      /faster than starting new ones/,
    )
    // a new run: Cohort's own epochs for these few pictures
    await expect.poll(plannedEpochs).toBeGreaterThan(0)
    const newEpochs = await plannedEpochs()
    const newDuration = await duration()
    expect(await page.locator('select[name=imageSize]').isDisabled()).toBe(false)

    await select.selectOption(String(first.id))
    await expect.poll(plannedEpochs).toBeLessThan(newEpochs)
    expect(await page.locator('[data-test=plan-warm]').innerText()).toBe(
      `Starting from run ${first.id}, a third of a new run's training is enough.`,
    )
    expect(await page.locator('[data-test=from-run-hint]').innerText()).toMatch(
      new RegExp(`^Every network starts from what run ${first.id} learned.*a third of a new run's time`),
    )
    expect(await duration()).not.toBe(newDuration)
    // what the warm start fixes is shown and greyed out
    expect(await page.locator('select[name=imageSize]').isDisabled()).toBe(true)
    expect(await page.locator('select[name=channels]').isDisabled()).toBe(true)
    expect(await page.locator('select[name=imageSize] option:checked').innerText()).toBe(
      `As run ${first.id} (16 × 16)`,
    )
    const cards = page.locator('[data-test=network-card]')
    expect(await cards.evaluateAll((b) => b.every((c) => (c as HTMLButtonElement).disabled))).toBe(true)
    expect(await page.locator('[data-test=network-card][aria-pressed=true]').count()).toBe(2)
    expect(await page.locator('[data-test=networks-fixed]').innerText()).toBe(`run ${first.id}'s`)
    expect(await page.locator('[data-test=plan-reason][data-chosen=imageSize]').innerText()).toContain(
      `as run ${first.id}, which this run starts from`,
    )
    await page.screenshot({ path: join(SCREENSHOTS, 'train-start-from-run.png') })
    expect((await axeViolations(page)).join('\n')).toBe('')
  })

  it('trains the second run from the first; Results says which run it started from', async () => {
    await page.click('[data-test=train]')
    await page.locator('[data-test=run-panel][data-status=completed]').waitFor({ timeout: 180_000 })
    const second = (await service['runs.list'](datasetId)).find((r) => r.id !== first.id)!
    expect(second.fromRun).toBe(first.id)
    expect(second.config).toMatchObject({ imageSize: 16, channels: 3, fromRun: first.id })
    expect(second.networks.map((n) => n.arch)).toEqual(['cnn', 'resnet-8'])
    await page.click('[data-test=show-results]')
    await expect
      .poll(() => page.locator('[data-test=started-from]').innerText())
      .toBe(`Started from run ${first.id}: its networks' weights, retrained on today's labels.`)
  })

  it('raised no console or page errors', () => {
    expect(app.problems).toEqual([])
  })
})
