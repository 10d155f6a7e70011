import { describe, expect, it } from 'vitest'
import {
  automaticSettings,
  chooseBatchSize,
  chooseEpochs,
  type PictureFacts,
} from '../../../src/shared/automatic-settings'
import {
  DEFAULT_GRID,
  defaultsConfig,
  defaultsKey,
  defaultsSpecs,
  parseGrid,
  type DefaultsRecord,
} from '../../../src/experiment/defaults'
import {
  atLeastReference,
  notBelowNone,
  renderDefaultsReport,
  withinBest,
} from '../../../src/experiment/defaults-report'

const grey28: PictureFacts = { pictures: 1000, medianSide: 28, greyscale: true, sampled: 32 }
const source = { classNames: Array.from({ length: 10 }, (_, i) => `c${i}`), facts: async () => grey28 }

describe('the defaults grid', () => {
  it('expands blocks into their products, drops the automatic point and duplicates', () => {
    const points = parseGrid(DEFAULT_GRID)
    // 3 × 3 epochs × lr without (1, 1), then batch 16 and 64
    expect(points).toHaveLength(10)
    expect(points).toContainEqual({ epochs: 0.5, lr: 2, batch: 'auto' })
    expect(points).toContainEqual({ epochs: 1, lr: 1, batch: 16 })
    expect(points).not.toContainEqual({ epochs: 1, lr: 1, batch: 'auto' })
    expect(parseGrid('lr=2; lr=2,1')).toEqual([{ epochs: 1, lr: 2, batch: 'auto' }])
    expect(parseGrid('')).toEqual([])
  })

  it('says which grid part is wrong', () => {
    expect(() => parseGrid('lr=0')).toThrow('grid lr value "0" must be a positive multiple')
    expect(() => parseGrid('batch=1.5')).toThrow('whole batch size or auto')
    expect(() => parseGrid('momentum=2')).toThrow('grid part "momentum=2"')
  })

  it('plans defaults, none and every grid point per size and seed, with distinct keys', () => {
    const specs = defaultsSpecs({
      dataset: 'fashion-mnist',
      sizes: [30, 100],
      seeds: [0, 1],
      grid: parseGrid('lr=0.5,2'),
    })
    expect(specs).toHaveLength(2 * 2 * 4)
    expect(specs.slice(0, 4).map((s) => [s.perClass, s.seed, s.arm])).toEqual([
      [30, 0, 'defaults'],
      [30, 0, 'none'],
      [30, 0, 'grid'],
      [30, 0, 'grid'],
    ])
    // 20 % of the labelled pictures held back: 30 training ⇒ 8 validation
    expect(specs[0]!.valPerClass).toBe(8)
    expect(new Set(specs.map(defaultsKey)).size).toBe(specs.length)
  })

  it("gives the defaults arm exactly the product's automatic settings, none only another teacher", async () => {
    const spec = defaultsSpecs({ dataset: 'fashion-mnist', sizes: [100], seeds: [3], grid: [] })
    const product = await automaticSettings(
      { dataset: 'x' },
      64,
      source.classNames.map(() => ({ trainCount: 100, validationCount: 25 })),
      source.facts,
    )
    const auto = (await defaultsConfig(spec[0]!, source)).config
    expect(auto).toMatchObject({ ...product.values, seed: 3 })
    expect(auto.batchSize).toBe(chooseBatchSize(1000).value)
    expect(auto.epochs).toBe(chooseEpochs(1000, auto.batchSize).value)
    expect([auto.imageSize, auto.channels]).toEqual([28, 1])
    const none = (await defaultsConfig(spec[1]!, source)).config
    expect(none).toEqual({ ...auto, teacher: 'none' })
  })

  it('plans another teacher on the automatic schedule, with its own key, changing only the teacher', async () => {
    const specs = defaultsSpecs({
      dataset: 'fashion-mnist',
      sizes: [100],
      seeds: [0],
      grid: [],
      teachers: ['min-logit'],
    })
    expect(specs.map((s) => [s.arm, s.teacher])).toEqual([
      ['defaults', undefined],
      ['none', undefined],
      ['teacher', 'min-logit'],
    ])
    expect(defaultsKey(specs[2]!)).toContain('arm=teacher teacher=min-logit ')
    // the results files before this arm keep their keys
    expect(defaultsKey(specs[1]!)).toBe(
      'arm=none dataset=fashion-mnist perClass=100 valPerClass=25 test=all seed=0 nets=default',
    )
    const auto = (await defaultsConfig(specs[0]!, source)).config
    expect((await defaultsConfig(specs[2]!, source)).config).toEqual({ ...auto, teacher: 'min-logit' })
  })

  it('scales the automatic epochs and learning rate for a grid point', async () => {
    const [defaults, , point] = defaultsSpecs({
      dataset: 'fashion-mnist',
      sizes: [100],
      seeds: [0],
      grid: [{ epochs: 2, lr: 0.5, batch: 16 }],
    })
    const auto = (await defaultsConfig(defaults!, source)).config
    const grid = (await defaultsConfig(point!, source)).config
    expect(grid).toEqual({ ...auto, epochs: 2 * auto.epochs, lr: auto.lr / 2, batchSize: 16 })
  })
})

describe('the checks of issue 17', () => {
  it('within 1 pp of the best grid setting', () => {
    expect(withinBest('cnn', 80.1, { mean: 81, point: 'p' }).pass).toBe(true)
    expect(withinBest('cnn', 79.9, { mean: 81, point: 'p' })).toMatchObject({
      pass: false,
      line: 'FAIL cnn: defaults 79.90 % vs best grid 81.00 % (p): −1.10 pp, allowed −1.00',
    })
    expect(withinBest('cnn', 82, { mean: 81, point: 'p' }).pass).toBe(true)
  })

  it("not below none beyond none's seed spread (none at all with one seed)", () => {
    expect(notBelowNone('cnn', [-0.3, -0.1], 0.25).pass).toBe(true)
    expect(notBelowNone('cnn', [-0.5, -0.3], 0.25).pass).toBe(false)
    expect(notBelowNone('cnn', [-0.01], null).pass).toBe(false)
    expect(notBelowNone('cnn', [0], null).line).toContain('one seed: no spread')
  })

  it("at least the reference's independent accuracy within its spread", () => {
    expect(atLeastReference('cnn', 79.1, 79.43, 0.37).pass).toBe(true)
    expect(atLeastReference('cnn', 79.0, 79.43, 0.37).pass).toBe(false)
  })

  it('reports per size the arms, the best grid point per network, the checks and the time', () => {
    const record = (arm: 'defaults' | 'none' | 'grid' | 'teacher', seed: number, acc: number[], lr = 1) =>
      ({
        key: `${arm} ${seed} ${lr}`,
        spec: {
          arm,
          dataset: 'fashion-mnist',
          perClass: 100,
          valPerClass: 25,
          seed,
          ...(arm === 'grid' ? { point: { epochs: 1, lr, batch: 'auto' } } : {}),
          ...(arm === 'teacher' ? { teacher: 'min-logit' } : {}),
        },
        config: {
          imageSize: 28,
          channels: 1,
          batchSize: 32,
          epochs: 48,
          lr: 0.05,
          teacher: 'min-loss',
          ensembleRule: 'equal',
        },
        chosen: {},
        sizes: { train: 1000, validation: 250, test: 10000 },
        backend: 'wasm',
        epochs: 48,
        steps: 1536,
        final: {
          networks: [
            { arch: 'cnn', width: 1, valAcc: 0.8, testAcc: acc[0]! },
            { arch: 'resnet-8', width: 1, valAcc: 0.8, testAcc: acc[1]! },
          ],
          ensemble: { weights: [0.5, 0.5], valAcc: 0.8, testAcc: acc[2]!, rule: 'equal' },
          best: [],
        },
        seconds: { total: 100 + seed, training: 90, test: 5 },
        finishedAt: '',
      }) as unknown as DefaultsRecord
    const records = [
      record('defaults', 0, [0.8, 0.81, 0.82]),
      record('none', 0, [0.79, 0.8, 0.82]),
      record('grid', 0, [0.805, 0.83, 0.83], 2),
      record('defaults', 1, [0.8, 0.81, 0.82]),
      record('none', 1, [0.8, 0.8, 0.81]),
      record('grid', 1, [0.805, 0.83, 0.83], 2),
      record('teacher', 0, [0.81, 0.8, 0.83]),
      record('teacher', 1, [0.8, 0.82, 0.83]),
    ]
    const { text, checks } = renderDefaultsReport(records)
    expect(text).toContain('| teacher min-logit | 2 | 80.50 ± 0.71 | 81.00 ± 1.41 | 83.00 ± 0.00 |')
    // each teacher beside none on the same seed, the default first; not a check
    expect(text).toContain('- `min-loss` (the default): cnn +0.50, resnet-8 +1.00, ensemble +0.50 (2 seeds)')
    expect(text).toContain('- `min-logit`: cnn +1.00, resnet-8 +1.00, ensemble +1.50 (2 seeds)')
    expect(text).toContain(
      '### Fashion-MNIST, 100 per label (1000 training, 250 validation, 10000 test pictures)',
    )
    expect(text).toContain(
      '| defaults | 2 | 80.00 ± 0.00 | 81.00 ± 0.00 | 82.00 ± 0.00 | 48 | 1536 | 100.50 |',
    )
    expect(text).toContain('Time of a default run: 100.50 s (range 100.00–101.00 s')
    const lines = checks.map((c) => c.line)
    expect(lines).toContain(
      'PASS cnn: defaults 80.00 % vs best grid 80.50 % (epochs 1× lr 2× batch auto): −0.50 pp, allowed −1.00',
    )
    expect(lines).toContain(
      'FAIL resnet-8: defaults 81.00 % vs best grid 83.00 % (epochs 1× lr 2× batch auto): −2.00 pp, allowed −1.00',
    )
    // cnn: none 79, 80 (std 0.71); defaults − none +1, 0
    expect(lines).toContain(
      "PASS cnn: default teacher − none +0.50 pp (paired, 2 seeds), allowed −0.71 (none's seed spread)",
    )
    // the reference ran cnn + resnet-8 at 100 per class: its `none` 79.43 ± 0.37 (cnn)
    expect(lines).toContain(
      'PASS cnn (reference: 100 per class, 60 epochs, 2 seeds): defaults 80.00 % vs reference `none` 79.43 % ± 0.37: +0.57 pp',
    )
    expect(checks).toHaveLength(2 + 3 + 3)
    expect(text).toContain(`Checks: ${checks.filter((c) => c.pass).length} PASS, 1 FAIL.`)
  })
})
