import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { NetworkGroup } from '../../../src/core/engine/network-group'

// The desktop app runs each network in a worker started from the bundled entry that electron-vite
// writes next to the main bundle; this proves that file works on its own (npm test builds first).
const BUNDLED = join(__dirname, '..', '..', '..', 'out', 'main', 'network-worker-entry.js')

describe('the bundled network worker', () => {
  const previous = process.env.COHORT_NETWORK_WORKER
  afterAll(() => {
    if (previous === undefined) delete process.env.COHORT_NETWORK_WORKER
    else process.env.COHORT_NETWORK_WORKER = previous
  })

  it('is really the file the group starts (a wrong path fails clearly)', async () => {
    process.env.COHORT_NETWORK_WORKER = join(__dirname, 'no-such-entry.js')
    const group = new NetworkGroup(
      [
        {
          spec: { arch: 'cnn', inputSize: 8, channels: 1, classes: 2, seed: 1 },
          optimizer: { kind: 'adam', lr: 0.01 },
        },
      ],
      { parallel: true, backend: 'wasm' },
    )
    try {
      await expect(group.ready()).rejects.toThrow()
    } finally {
      await group.dispose().catch(() => undefined)
    }
  })

  it('trains a network in a worker started from out/main', async () => {
    expect(existsSync(BUNDLED), 'run `npm run build` first').toBe(true)
    process.env.COHORT_NETWORK_WORKER = BUNDLED
    const group = new NetworkGroup(
      [
        {
          spec: { arch: 'cnn', inputSize: 8, channels: 1, classes: 2, width: 0.25, seed: 1 },
          optimizer: { kind: 'adam', lr: 0.01 },
        },
        {
          spec: { arch: 'cnn', inputSize: 8, channels: 1, classes: 2, width: 0.25, seed: 2 },
          optimizer: { kind: 'adam', lr: 0.01 },
        },
      ],
      { parallel: true, backend: 'wasm' },
    )
    try {
      const info = await group.ready()
      expect(info.backend).toBe('wasm')
      const x = new Float32Array(4 * 8 * 8).map((_, i) => (i % 7) / 7)
      const labels = new Int32Array([0, 1, 0, 1])
      const mean = (z: Float32Array[]) => z[0]!.map((_, i) => (z[0]![i]! + z[1]![i]!) / 2)
      const result = await group.step([x, x], labels, mean, 1, 2)
      expect(result.losses).toHaveLength(2)
      for (const l of result.losses) expect(Number.isFinite(l.ce)).toBe(true)
    } finally {
      await group.dispose()
    }
  })
})
