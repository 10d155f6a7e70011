import { afterAll, beforeAll } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import type { CohortService } from '../../src/core/service'
import { startServer, type RunningServer } from '../../src/server'
import { launchChromium, RENDERER_DIR } from './browser'
import { tempDir } from './temp'

/** Web mode on a real service, and a Chromium page that collects every console and page error. */
export interface WebApp {
  server: RunningServer
  browser: Browser
  page: Page
  problems: string[]
  /** Closes the browser and the server, and waits until every trainer process of the service has exited. */
  close(): Promise<void>
}

export interface WebAppOptions {
  viewport?: { width: number; height: number }
  chromiumArgs?: string[]
}

export async function openWebApp(service: CohortService, options: WebAppOptions = {}): Promise<WebApp> {
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

/** A spec's library, its web app and page: set once the spec's beforeAll has run. */
export interface WebAppSpec<L> {
  /** the temporary folder the library lives in */
  dir: string
  lib: L
  app: WebApp
  server: RunningServer
  page: Page
}

/**
 * The setup browser specs share, as the describe block's hooks: before all its tests, a fresh temporary
 * folder named `prefix…`, the library `fixture` makes in it, web mode on its service and a Chromium page;
 * after them, all of it closed (trainers included) and removed. Read the fields inside tests and hooks.
 */
export function useWebApp<L extends { service: CohortService }>(
  fixture: (root: string) => Promise<L>,
  prefix: string,
  options: WebAppOptions = {},
): WebAppSpec<L> {
  const folder = tempDir(prefix)
  const spec = { dir: folder.path } as WebAppSpec<L>
  beforeAll(async () => {
    spec.lib = await fixture(folder.path)
    spec.app = await openWebApp(spec.lib.service, options)
    spec.server = spec.app.server
    spec.page = spec.app.page
  })
  afterAll(async () => {
    await spec.app?.close()
    spec.lib?.service.close()
    folder.cleanup()
  })
  return spec
}
