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

// The desktop app starts each run's trainer from out/main/trainer.js (a utility process); under plain Node
// the same bundled file must train a run end to end, its network workers started from their bundled entry too,
// and answer for unlabelled pictures.
describe('the bundled trainer', () => {
  it('trains a run and suggests labels from out/main/trainer.js', async () => {
    const { tempDir } = await import('../../helpers/temp')
    const { makeLabelledFolder } = await import('../../helpers/labelled-folder')
    const { createCohortService } = await import('../../../src/core/service')
    const { forkTrainer } = await import('../../../src/core/service/runs')
    const entry = join(__dirname, '..', '..', '..', 'out', 'main', 'trainer.js')
    expect(existsSync(entry), 'run `npm run build` first').toBe(true)
    const home = tempDir('cohort-bundled-')
    const service = await createCohortService({ home: home.path, launchTrainer: () => forkTrainer(entry) })
    try {
      await makeLabelledFolder(join(home.path, 'pics'), { a: 8, b: 8 }, 12)
      await service['imports.folder']({ folder: join(home.path, 'pics'), dataset: 'pics' })
      await service['splits.apply']({ datasetId: 1, validation: 0.25, test: 0, seed: 1 })
      const run = await service['runs.start']({
        dataset: 'pics',
        imageSize: 12,
        channels: 3,
        networks: [
          { arch: 'cnn', width: 0.25 },
          { arch: 'cnn', width: 0.25 },
        ],
        batchSize: 4,
        epochs: 1,
      })
      const done = await service['runs.wait'](run.id)
      expect(done.status, done.message ?? '').toBe('completed')
      expect(done.epochsDone).toBe(1)
      // the same bundled entry answers for unlabelled pictures (a suggest job)
      const loose = await makeLabelledFolder(join(home.path, 'loose'), { a: 2, b: 1 }, 14)
      await service['imports.files']({ files: loose, dataset: 'pics' })
      const { suggestions } = await service['suggestions.list'](1)
      expect(suggestions.map((s) => s.label).every((l) => l === 'a' || l === 'b')).toBe(true)
      expect(suggestions).toHaveLength(3)
    } finally {
      service.close()
      home.cleanup()
    }
  })
})
