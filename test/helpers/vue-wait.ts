import { flushPromises } from '@vue/test-utils'
import { expect } from 'vitest'
import type { CohortService } from '../../src/core/service'

/** Lets Vue and the stores finish what the last action started (a few rounds of promise callbacks). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await flushPromises()
}

/** Waits, flushing Vue, until `check` holds (events from a trainer arrive on their own). */
export async function waitUntil(check: () => boolean, timeout: number): Promise<void> {
  await expect.poll(async () => (await settle(), check()), { timeout, interval: 50 }).toBe(true)
}

/** Closes a spec's library once every trainer process it started has exited. */
export async function closeAfterTrainers(service: CohortService, cleanup: () => void): Promise<void> {
  for (const run of await service['runs.list']()) await service['runs.wait'](run.id)
  service.close()
  cleanup()
}
