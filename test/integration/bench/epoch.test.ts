import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { findPeerPython } from '../../../bench/peer-python'
import { FASHION_MNIST_DIR } from '../../../src/core/dataset/idx'

const haveData = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'))
const peerPython = haveData ? findPeerPython().python : null
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

// libgomp's default spin made the peer 2-5x slower than PyTorch is whenever anything else ran (BENCHMARKS.md)
describe.skipIf(peerPython === null)('the epoch peer (needs a Python with torch, and Fashion-MNIST)', () => {
  const peer = (env: NodeJS.ProcessEnv) =>
    JSON.parse(
      execFileSync(peerPython!, ['bench/peer_epoch.py', '--images', '256'], {
        encoding: 'utf8',
        env,
        timeout: 120_000,
      })
        .trim()
        .split('\n')
        .pop()!,
    ) as { ompWaitPolicy: string; steps: number }

  it("lets OpenMP's threads sleep while they wait, unless the caller chose a policy", () => {
    const { OMP_WAIT_POLICY: _, ...rest } = process.env
    expect(peer(rest)).toMatchObject({ ompWaitPolicy: 'PASSIVE', steps: 2 })
    expect(peer({ ...rest, OMP_WAIT_POLICY: 'ACTIVE' })).toMatchObject({ ompWaitPolicy: 'ACTIVE', steps: 2 })
  }, 240_000)
})
