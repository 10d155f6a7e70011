import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = process.env.COHORT_CHROMIUM ?? '/usr/bin/chromium'
export const RENDERER_DIR = join(__dirname, '..', '..', 'out', 'renderer')

/** Debian's Chromium, headless, with the flags this offline machine needs (no background networking). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set COHORT_CHROMIUM)`)
  if (!existsSync(join(RENDERER_DIR, 'index.html')))
    throw new Error('The renderer is not built: run `npm run build` first')
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      ...extraArgs,
    ],
  })
}

export const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'screenshots')
