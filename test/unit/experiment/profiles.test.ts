import { describe, expect, it } from 'vitest'
import { experimentSummary, FASHION_MNIST_PROFILES } from '../../../src/experiment/profiles'
import { runKey, trainingConfigFor, type RunRecord, type RunSpec } from '../../../src/experiment/runs'
import { TEACHER_NAMES, type TeacherName } from '../../../src/core/training/teacher-names'

function record(teacher: TeacherName, seed: number, test: [number, number, number]): RunRecord {
  const spec: RunSpec = { ...FASHION_MNIST_PROFILES.quick.base, teacher, seed }
  return {
    key: runKey(spec),
    spec,
    config: trainingConfigFor(spec),
    sizes: { train: 500, validation: 130, test: 10_000 },
    backend: 'wasm',
    epochs: [],
    final: {
      networks: spec.nets.map((arch, i) => ({ arch, width: 1, valAcc: 0.5, testAcc: test[i]! })),
      teacher: null,
      ensemble: { valAcc: 0.5, testAcc: test[2] },
    },
    seconds: { total: 20, training: 10, test: 9 },
    finishedAt: '2026-11-27T06:00:00.000Z',
  }
}

describe('profiles', () => {
  it('run every teacher on the reference pair with a user-sized validation split', () => {
    expect(FASHION_MNIST_PROFILES.full.teachers).toEqual(TEACHER_NAMES)
    expect(FASHION_MNIST_PROFILES.quick.teachers).toContain('none')
    for (const plan of Object.values(FASHION_MNIST_PROFILES)) {
      expect(plan.base.nets).toEqual(['cnn', 'resnet-8'])
      // 20 % of the labelled images held back: V / (N + V) ≈ 0.2
      const { perClass, valPerClass } = plan.base
      expect(valPerClass / (perClass! + valPerClass)).toBeCloseTo(0.2, 1)
    }
    expect(FASHION_MNIST_PROFILES.full.seeds.length).toBeGreaterThanOrEqual(3)
    expect(FASHION_MNIST_PROFILES.quick.base.epochs).toBeLessThan(FASHION_MNIST_PROFILES.full.base.epochs)
  })
})

describe('experimentSummary', () => {
  it('gives test accuracy mean ± std per teacher and network, and the paired gain as fractions', () => {
    const summary = experimentSummary([
      record('none', 0, [0.8, 0.7, 0.81]),
      record('none', 1, [0.82, 0.72, 0.83]),
      record('min-logit', 0, [0.81, 0.72, 0.81]),
      record('min-logit', 1, [0.83, 0.73, 0.82]),
    ])
    expect(Object.keys(summary.teachers)).toEqual(['none', 'min-logit'])
    const none = summary.teachers.none!
    expect(none.seeds).toEqual([0, 1])
    expect(none.networks.map((n) => n.arch)).toEqual(['cnn', 'resnet-8'])
    expect(none.networks[0]!.testAcc).toEqual({ mean: 0.81, std: 0.014142 })
    expect(none.networks[0]!.gain).toBeNull()
    const minLogit = summary.teachers['min-logit']!
    // cnn +1 pp on both seeds; resnet-8 +2 and +1; ensemble 0 and −1
    expect(minLogit.networks[0]!.gain).toEqual({ mean: 0.01, std: 0 })
    expect(minLogit.networks[1]!.gain).toEqual({ mean: 0.015, std: 0.007071 })
    expect(minLogit.ensemble.gain).toEqual({ mean: -0.005, std: 0.007071 })
    // one seed has no spread
    expect(
      experimentSummary([record('none', 0, [0.8, 0.7, 0.81])]).teachers.none!.networks[0]!.testAcc.std,
    ).toBeNull()
    expect(experimentSummary([])).toEqual({ teachers: {} })
  })
})
