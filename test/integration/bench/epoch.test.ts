import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FASHION_MNIST_DIR } from '../../../src/core/dataset/idx'

const haveData = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'))
const home = mkdtempSync(join(tmpdir(), 'cohort-bench-epoch-'))
afterAll(() => rmSync(home, { recursive: true, force: true }))

describe.skipIf(!haveData)(`cohort bench epoch (needs Fashion-MNIST in ${FASHION_MNIST_DIR})`, () => {
  it('runs a short epoch for real and prints exactly {cohort, peer} with positive finite times', () => {
    const out = execFileSync('node', ['bin/cohort.js', 'bench', 'epoch', '--images', '512', '--json'], {
      encoding: 'utf8',
      env: { ...process.env, COHORT_HOME: home },
      timeout: 120_000,
    })
    const json = JSON.parse(out.trim().split('\n').pop()!) as {
      cohort: { epochSeconds: number }
      peer: { epochSeconds: number } | null
    }
    expect(Object.keys(json).sort()).toEqual(['cohort', 'peer'])
    expect(Object.keys(json.cohort)).toEqual(['epochSeconds'])
    expect(Number.isFinite(json.cohort.epochSeconds) && json.cohort.epochSeconds > 0).toBe(true)
    // null where no Python can import torch (CI); otherwise the same shape
    if (json.peer !== null) {
      expect(Object.keys(json.peer)).toEqual(['epochSeconds'])
      expect(Number.isFinite(json.peer.epochSeconds) && json.peer.epochSeconds > 0).toBe(true)
    }
  }, 120_000)

  it('refuses too few pictures with a clear message', () => {
    expect(() =>
      execFileSync('node', ['bin/cohort.js', 'bench', 'epoch', '--images', '5'], {
        encoding: 'utf8',
        env: { ...process.env, COHORT_HOME: home },
        stdio: 'pipe',
      }),
    ).toThrow(/--images/)
  })
})
