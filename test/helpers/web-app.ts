import type { Browser, Page } from 'playwright-core'
import type { CohortService } from '../../src/core/service'
import { startServer, type RunningServer } from '../../src/server'
import { launchChromium, RENDERER_DIR } from './browser'

/** Web mode on a real service, and a Chromium page that collects every console and page error. */
export interface WebApp {
  server: RunningServer
  browser: Browser
  page: Page
  problems: string[]
  /** Closes the browser and the server, and waits until every trainer process of the service has exited. */
  close(): Promise<void>
}

export async function openWebApp(
  service: CohortService,
  options: { viewport?: { width: number; height: number }; chromiumArgs?: string[] } = {},
): Promise<WebApp> {
  const server = await startServer({ service, rendererDir: RENDERER_DIR })
  const browser = await launchChromium(options.chromiumArgs)
  const page = await browser.newPage(options.viewport ? { viewport: options.viewport } : {})
  const problems: string[] = []
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
  page.on('pageerror', (e) => problems.push(e.message))
  return {
    server,
    browser,
    page,
    problems,
    async close() {
      await browser.close()
      await server.close()
      // every trainer has exited before the test closes the library it writes to
      for (const run of await service['runs.list']()) await service['runs.wait'](run.id)
    },
  }
}
