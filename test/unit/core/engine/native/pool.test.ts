import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

describe('native kernels thread pool', () => {
  it('runs 200,000 calls with alternating task counts on 2 threads, each right, without a deadlock', () => {
    const script = fileURLToPath(new URL('./pool-stress.ts', import.meta.url))
    const run = spawnSync(process.execPath, ['--import', 'tsx', script, '200000'], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.error, 'the pool deadlocked (the child was killed after 60 s)').toBeUndefined()
    expect(run.stderr).toBe('')
    expect(run.status).toBe(0)
    expect(run.stdout.trim()).toBe('ok 200000')
  })
})
