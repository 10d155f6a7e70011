import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../../helpers/temp'
import { createCohortService } from '../../../../src/core/service'
import type { CohortApi } from '../../../../src/shared/api'
import { dispatch, INTERNAL_ERROR_MESSAGE } from '../../../../src/core/service/dispatch'

/** The error a real failed read throws: its message names the path. */
function systemError(): Error {
  try {
    readFileSync('/nonexistent-cohort-dir/secret-name.txt')
  } catch (err) {
    return err as Error
  }
  throw new Error('unreachable')
}

describe('dispatch', () => {
  it('keeps the human message of domain errors', async () => {
    const dir = tempDir()
    const service = await createCohortService({ home: join(dir.path, 'home') })
    try {
      const logged: string[] = []
      const reply = await dispatch(service, 'datasets.remove', [99], (m) => logged.push(m))
      expect(reply).toEqual({
        ok: false,
        error: { name: 'StoreError', message: expect.stringMatching(/No dataset with id 99/) },
      })
      expect((await dispatch(service, 'datasets.rename', [Infinity, 'x'])).ok).toBe(false)
      expect(logged).toEqual([])
    } finally {
      service.close()
      dir.cleanup()
    }
  })

  it('answers unexpected errors generically and logs their detail', async () => {
    for (const thrown of [
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      systemError(),
      'a string',
    ]) {
      const api = { 'datasets.list': () => Promise.reject(thrown) } as unknown as CohortApi
      const logged: string[] = []
      const reply = await dispatch(api, 'datasets.list', [], (m) => logged.push(m))
      expect(reply).toEqual({ ok: false, error: { name: 'InternalError', message: INTERNAL_ERROR_MESSAGE } })
      expect(JSON.stringify(reply)).not.toMatch(/secret-name|reading 'id'/)
      expect(logged.join('\n')).toMatch(/datasets\.list/)
    }
  })

  it('keeps the sentence of a plain Error the service throws for the user', async () => {
    const api = {
      'datasets.list': () => Promise.reject(new Error('An import is already running; wait for it.')),
    } as unknown as CohortApi
    expect(await dispatch(api, 'datasets.list', [], () => {})).toEqual({
      ok: false,
      error: { name: 'Error', message: 'An import is already running; wait for it.' },
    })
  })
})
