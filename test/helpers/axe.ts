import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import type { AxeResults } from 'axe-core'

/**
 * The accessibility rules every view must pass: text contrast (WCAG AA), and a name for every control,
 * picture and link a screen reader announces.
 */
export const AXE_RULES = [
  'color-contrast',
  'label',
  'button-name',
  'input-button-name',
  'select-name',
  'image-alt',
  'role-img-alt',
  'link-name',
  'aria-input-field-name',
  'aria-toggle-field-name',
] as const

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the app's CSP need not allow it)
 * and returns each violation as one line: rule, the element, and what is wrong. Empty when all pass.
 */
export async function axeViolations(page: Page, rules: readonly string[] = AXE_RULES): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE)
  const results = await page.evaluate(
    (values) =>
      (window as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<AxeResults> } }).axe.run(
        document,
        { runOnly: { type: 'rule', values }, resultTypes: ['violations'] },
      ),
    [...rules],
  )
  return results.violations.flatMap((v) =>
    v.nodes.map(
      (n) => `${v.id}: ${n.target.join(' ')} — ${n.failureSummary?.replace(/\s+/g, ' ') ?? v.help}`,
    ),
  )
}
