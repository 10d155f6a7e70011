import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { SCREENSHOTS } from '../helpers/browser'
import { useWebApp } from '../helpers/web-app'
import { splitColourLibrary } from '../helpers/journey-fixture'
import { openDatabase } from '../../src/core/store/db'
import { recordEpoch } from '../../src/core/store/runs'
import type { EpochMetrics } from '../../src/shared/types'

/** an epoch's figures as the trainer records them, for networks with these validation accuracies */
function epoch(valAccs: number[]): EpochMetrics {
  return {
    epoch: 1,
    networks: valAccs.map((valAcc, index) => ({
      index,
      arch: index === 0 ? 'cnn' : 'resnet-8',
      trainLoss: 1,
      trainCe: 1,
      trainKd: 0,
      trainAcc: valAcc,
      valLoss: 1,
      valAcc,
    })),
    teacher: null,
    // saved before the rule: an equal say
    ensemble: { valAcc: 0.8, weights: valAccs.map(() => 1 / valAccs.length) },
    lr: 0.1,
    seconds: 1,
    best: valAccs.map((valAcc) => ({ epoch: 1, valAcc })),
  }
}

// Issue 18: a network that did not learn (at chance) is flagged in Train and Results, and has no say in
// the app's answer. The run's figures are recorded as the trainer would; 3 labels: chance is 33 %.
describe('a network that did not learn is flagged, and its answers are ignored', () => {
  const web = useWebApp(
    async (root) => {
      const lib = await splitColourLibrary(root)
      const db = openDatabase(lib.service.paths.db)
      try {
        recordEpoch(db, lib.runId, epoch([0.9, 0.33]))
      } finally {
        db.close()
      }
      return lib
    },
    'cohort-e2e-learning-',
    { viewport: { width: 1400, height: 900 } },
  )

  it('Train flags the network at chance, saying its answers are ignored and what guessing gets', async () => {
    await web.page.goto(web.server.url)
    await web.page.getByRole('button', { name: 'colours', exact: true }).click()
    await web.page.click('[data-test=nav-train]')
    const flags = web.page.locator('[data-test=unlearned] [data-test=did-not-learn]')
    await expect
      .poll(() => flags.allInnerTexts())
      .toEqual([
        '2 · resnet-8 did not learn — its answers are ignored (33.0% right on the validation pictures; guessing gets 33.3% with 3 labels).',
      ])
    await web.page.screenshot({ path: join(SCREENSHOTS, 'learning-train.png') })
  })

  it('Results flags it beside its accuracy, and the answer’s weights give it no say', async () => {
    await web.page.click('[data-test=nav-results]')
    const rows = web.page.locator('[data-test=network-row]')
    await expect.poll(() => rows.count()).toBe(2)
    expect(await rows.nth(0).locator('[data-test=did-not-learn]').count()).toBe(0)
    expect(await rows.nth(1).locator('[data-test=did-not-learn]').innerText()).toBe(
      'did not learn — its answers are ignored',
    )
    const weights = await rows.evaluateAll((trs) => trs.map((tr) => tr.lastElementChild!.textContent!.trim()))
    expect(weights).toEqual(['1.00', '0.00'])
    await web.page.screenshot({ path: join(SCREENSHOTS, 'learning-results.png') })
    expect(web.app.problems).toEqual([])
  })
})
