import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../helpers/temp'
import {
  EXPERIMENT_AUGMENTS,
  ExperimentError,
  gridSpecs,
  readResults,
  runGrid,
  runKey,
  trainingConfigFor,
  type RunRecord,
  type RunSpec,
} from '../../../src/experiment/runs'

const base: Omit<RunSpec, 'teacher' | 'seed'> = {
  epochs: 2,
  perClass: 100,
  valPerClass: 500,
  nets: ['cnn', 'resnet-8'],
  tau: 0.05,
  T: 2,
  lambda: 1,
  validateEvery: 1,
}

describe('trainingConfigFor', () => {
  it('is the reference recipe', () => {
    const config = trainingConfigFor({ ...base, teacher: 'validation', seed: 3 })
    expect(config).toMatchObject({
      imageSize: 28,
      channels: 1,
      batchSize: 128,
      optimiser: 'sgd',
      lr: 0.05,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 5e-4,
      schedule: { kind: 'cosine', endFraction: 0 },
      T: 2,
      lambda: 1,
      seed: 3,
      teacherOptions: { validationRule: 'softmax', tau: 0.05 },
    })
    expect(config.networks[0]!.augment).toEqual({
      crop: 'zero',
      pad: 2,
      flip: true,
      brightness: 0,
      contrast: 0,
    })
  })

  it('decays kernels only unless the reference recipe (all parameters) is asked for', () => {
    expect(trainingConfigFor({ ...base, teacher: 'none', seed: 0 }).weightDecayScope).toBe('kernels')
    expect(trainingConfigFor({ ...base, teacher: 'none', seed: 0, decay: 'all' }).weightDecayScope).toBe(
      'all',
    )
  })

  it('applies the chosen augmentation strength to every network', () => {
    const strong = trainingConfigFor({ ...base, teacher: 'none', seed: 0, augment: 'strong' })
    expect(strong.networks.map((n) => n.augment)).toEqual([
      EXPERIMENT_AUGMENTS.strong,
      EXPERIMENT_AUGMENTS.strong,
    ])
    const none = trainingConfigFor({ ...base, teacher: 'none', seed: 0, augment: 'none' })
    expect(none.networks[0]!.augment).toMatchObject({ crop: 'off', flip: false })
  })

  it('refuses widths that do not match the networks', () => {
    expect(() => trainingConfigFor({ ...base, teacher: 'none', seed: 0, widths: [1] })).toThrow(
      new ExperimentError('--widths gives 1 values for 2 networks'),
    )
  })
})

describe('runKey', () => {
  it('treats a missing width as 1 and distinguishes every setting', () => {
    const spec: RunSpec = { ...base, teacher: 'none', seed: 0 }
    expect(runKey({ ...spec, widths: [1, 1] })).toBe(runKey(spec))
    expect(runKey({ ...spec, widths: [1, 0.5] })).not.toBe(runKey(spec))
    expect(runKey({ ...spec, perClass: undefined })).not.toBe(runKey(spec))
    expect(runKey({ ...spec, seed: 1 })).not.toBe(runKey(spec))
    // the reference augmentation is the default, so earlier keys stay valid; another strength is its own setting
    expect(runKey({ ...spec, augment: 'reference' })).toBe(runKey(spec))
    expect(runKey({ ...spec, augment: 'strong' })).toBe(`${runKey(spec)} augment=strong`)
    expect(runKey({ ...spec, decay: 'kernels' })).toBe(runKey(spec))
    expect(runKey({ ...spec, decay: 'all' })).toBe(`${runKey(spec)} decay=all`)
  })
})

describe('runGrid', () => {
  let dir: string
  let cleanup = () => {}
  beforeEach(() => {
    ;({ path: dir, cleanup } = tempDir('cohort-grid-'))
  })
  afterEach(() => cleanup())

  /** Stands in for training: the grid's job is bookkeeping, the trainer is tested on its own. */
  const fakeRun = (calls: string[]) => async (spec: RunSpec) => {
    calls.push(runKey(spec))
    return { key: runKey(spec), spec } as RunRecord
  }

  it('runs seed-major and skips the runs already in the file, across invocations', async () => {
    const out = join(dir, 'results.jsonl')
    const specs = gridSpecs(base, ['none', 'min-logit'], [0, 1])
    expect(specs.map((s) => `${s.seed}:${s.teacher}`)).toEqual([
      '0:none',
      '0:min-logit',
      '1:none',
      '1:min-logit',
    ])

    const first: string[] = []
    await runGrid({ out, specs: specs.slice(0, 3), run: fakeRun(first) })
    expect(first).toHaveLength(3)

    const second: string[] = []
    const result = await runGrid({ out, specs, run: fakeRun(second) })
    expect(second).toEqual([runKey(specs[3]!)])
    expect(result.skipped).toEqual(specs.slice(0, 3).map(runKey))
    expect((await readResults(out)).map((r) => r.key)).toEqual(specs.map(runKey))

    // a different setting is not "already done"
    const third: string[] = []
    await runGrid({ out, specs: gridSpecs({ ...base, epochs: 3 }, ['none'], [0]), run: fakeRun(third) })
    expect(third).toHaveLength(1)
  })

  it('names the line of a damaged results file', async () => {
    const out = join(dir, 'broken.jsonl')
    await writeFile(out, '{"key":"a"}\n{"key":\n')
    await expect(readResults(out)).rejects.toThrow(
      `${out} line 2 is not a JSON record; remove it and rerun the grid`,
    )
    expect(await readResults(join(dir, 'missing.jsonl'))).toEqual([])
    expect(await readFile(out, 'utf8')).toContain('"a"')
  })
})
