import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { SCREENSHOTS } from '../helpers/browser'
import { axeViolations } from '../helpers/axe'
import { useWebApp } from '../helpers/web-app'
import { splitColourLibrary } from '../helpers/journey-fixture'

/** the words a person should not meet before asking for details */
const JARGON = /CIFAR|FLOPs|min-logit|min-loss|fusion|wasm|optimiser|logit/i

// Issue 18: the Train form in plain words — networks by size and speed, the teacher by what it does, the
// time it takes — with the jargon behind "Details", and no repeated words.
describe('the Train form in plain words', () => {
  const web = useWebApp(splitColourLibrary, 'cohort-e2e-words-', { viewport: { width: 1400, height: 900 } })

  const form = () => web.page.locator('[data-test=train-settings]')

  it('says size and speed, what the teacher does and how long it takes, without jargon', async () => {
    await web.page.goto(web.server.url)
    await web.page.getByRole('button', { name: 'colours', exact: true }).click()
    await web.page.click('[data-test=nav-train]')
    // the first plan builds every zoo network to count its work: slow while CI runs other files beside it
    await web.page.locator('[data-test=predicted-duration]').waitFor({ timeout: 55_000 })
    const cards = web.page.locator('[data-test=network-card] [data-test=size-speed]')
    await expect.poll(() => cards.count()).toBe(5)
    for (const text of await cards.allInnerTexts())
      expect(text).toMatch(/^(small|medium|large) · (fast|slower|slowest)$/)
    const visible = await form().innerText()
    expect(visible).toMatch(/Takes about \d+ (s|min)/)
    expect(visible).toMatch(/How the networks teach each other/)
    expect(visible).not.toMatch(JARGON)
    // no word repeated after its own title ("Colour: colour: …")
    expect(visible).not.toMatch(/\b(\w+): \1\b/i)
    expect(visible).toMatch(/Colour: The pictures sampled have colour/)
    await web.page.screenshot({ path: join(SCREENSHOTS, 'words-train.png') })
  })

  it('keeps the figures and names behind Details, one click away', async () => {
    for (const details of ['network-details', 'teacher-details', 'plan-details']) {
      await web.page.locator(`[data-test=${details}] summary`).click()
    }
    const opened = await form().innerText()
    expect(opened).toMatch(/CIFAR-style ResNet/)
    expect(opened).toMatch(/FLOPs per image/)
    expect(opened).toMatch(/Teacher: min-(loss|logit)\./)
    expect(opened).toMatch(/optimiser steps/)
    expect((await axeViolations(web.page)).join('\n')).toBe('')
    expect(web.app.problems).toEqual([])
  })
})
