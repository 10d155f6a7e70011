import { describe, expect, it } from 'vitest'
import type { AugmentPolicy, AugmentPreset } from '../../../../src/core/training/augment'
import {
  KNOWN_ARCHS,
  parseTrainingConfig,
  type TrainingConfig,
  TrainingConfigError,
} from '../../../../src/core/training/config'
import { groupNetworks } from '../../../../src/core/training/config'
import { learningRateAt, planFor } from '../../../../src/core/training/schedule'
import type { TeacherName } from '../../../../src/core/training/teacher-names'
import type { ValidationRule } from '../../../../src/core/training/validation-weights'

function problems(input: unknown, archs?: readonly string[]): string[] {
  try {
    parseTrainingConfig(input, archs)
  } catch (e) {
    expect(e).toBeInstanceOf(TrainingConfigError)
    return (e as TrainingConfigError).problems
  }
  throw new Error('expected the settings to be rejected')
}

describe('parseTrainingConfig', () => {
  it('fills every default from just a dataset', () => {
    const c: TrainingConfig = parseTrainingConfig({ dataset: 'flowers' })
    expect(c).toEqual({
      dataset: 'flowers',
      imageSize: 32,
      channels: 3,
      networks: [
        // safe by default (issue 17): shifts only, no mirror image that could change a label
        { arch: 'cnn', augment: 'safe', dataFraction: 1 },
        { arch: 'resnet-8', augment: 'safe', dataFraction: 1 },
      ],
      teacher: 'min-logit',
      teacherOptions: { minLoss: 'sample', validationRule: 'softmax', tau: 0.01 },
      ensembleRule: 'equal',
      T: 2,
      lambda: 1,
      distillWarmupEpochs: 0,
      epochs: 20,
      batchSize: 64,
      optimiser: 'sgd',
      momentum: 0.9,
      nesterov: true,
      lr: 0.05,
      schedule: { kind: 'cosine', endFraction: 0 },
      warmupEpochs: 0,
      weightDecay: 5e-4,
      weightDecayScope: 'kernels',
      seed: 0,
      validateEvery: 1,
    })
    // the types line up with the modules that consume them
    const augment: AugmentPolicy | AugmentPreset = c.networks[0]!.augment
    const teacher: TeacherName = c.teacher
    const rule: ValidationRule = c.teacherOptions.validationRule
    expect([augment, teacher, rule]).toEqual(['safe', 'min-logit', 'softmax'])
    expect(learningRateAt(0, planFor(c, 10))).toBe(0.05)
  })

  it('hands the weight decay scope to every network’s optimiser, and names a wrong one', () => {
    const all = groupNetworks(parseTrainingConfig({ dataset: 'd', weightDecayScope: 'all' }), 3)
    expect(all.map((n) => n.optimizer)).toEqual([
      expect.objectContaining({ weightDecay: 5e-4, decayAll: true }),
      expect.objectContaining({ weightDecay: 5e-4, decayAll: true }),
    ])
    const adam = groupNetworks(parseTrainingConfig({ dataset: 'd', optimiser: 'adam' }), 3)
    expect(adam[0]!.optimizer).toMatchObject({ kind: 'adam', decayAll: false })
    expect(problems({ dataset: 'd', weightDecayScope: 'biases' })).toEqual([
      'weightDecayScope: the weight decay scope must be "kernels" or "all" (got "biases")',
    ])
  })

  it('keeps explicit settings, fills defaults inside them, and picks Adam’s learning rate', () => {
    const c = parseTrainingConfig({
      dataset: 3,
      channels: 1,
      imageSize: 28,
      networks: [
        { arch: 'resnet-20', width: 2, dataFraction: 0.5 },
        { arch: 'mobilenet', augment: { crop: 'zero', pad: 2, flip: false, brightness: 0, contrast: 0.1 } },
        { arch: 'cnn', augment: 'none' },
      ],
      teacher: 'min-loss',
      teacherOptions: { minLoss: 'batch' },
      optimiser: 'adam',
      schedule: { kind: 'step', gamma: 0.5 },
      warmupEpochs: 1.5,
    })
    expect(c.networks[0]).toEqual({ arch: 'resnet-20', width: 2, augment: 'safe', dataFraction: 0.5 })
    expect(c.networks[1]!.augment).toEqual({
      crop: 'zero',
      pad: 2,
      flip: false,
      brightness: 0,
      contrast: 0.1,
    })
    expect(c.teacherOptions).toEqual({ minLoss: 'batch', validationRule: 'softmax', tau: 0.01 })
    expect(c.lr).toBe(0.001)
    expect(c.schedule).toEqual({ kind: 'step', gamma: 0.5, everyEpochs: 10 })
    expect(parseTrainingConfig({ dataset: 'x', schedule: 'constant', lr: 0.2 })).toMatchObject({
      schedule: { kind: 'constant' },
      lr: 0.2,
    })
  })

  it('names each bad field in plain words with what it got', () => {
    expect(problems({ dataset: 'x', networks: [{ arch: 'cnn' }] })).toEqual([
      'networks: choose between 2 and 4 networks (got 1)',
    ])
    expect(problems({ dataset: 'x', networks: new Array(5).fill({ arch: 'cnn' }) })).toEqual([
      'networks: choose between 2 and 4 networks (got 5)',
    ])
    const many = problems({ imageSize: 4, channels: 2, lamda: 1, T: 0, teacher: 'best', batchSize: 'big' })
    expect(many).toEqual(
      expect.arrayContaining([
        'dataset: choose a dataset by its name or its id (got nothing)',
        'imageSize: image size (pixels per side) must be a whole number from 8 to 256 (got 4)',
        'channels: channels must be 1 (grey) or 3 (colour) (got 2)',
        'T: the distillation temperature T must be a number from 0.1 to 20 (got 0)',
        'batchSize: batch size must be a whole number from 2 to 1024 (got "big")',
        'settings: unknown setting "lamda"',
      ]),
    )
    expect(many.find((p) => p.startsWith('teacher:'))).toMatch(
      /unknown teacher; choose one of .*min-logit.* \(got "best"\)/,
    )
    expect(many).toHaveLength(7)
  })

  it('checks networks one by one, counting from 1', () => {
    expect(
      problems({
        dataset: 'x',
        networks: [
          { arch: 'cnn', dataFraction: 0.05 },
          { arch: 'vgg', augment: 'heavy' },
          { arch: 'cnn', augment: { crop: 'zero', flip: true, brightness: 3, contrast: 0 } },
        ],
      }),
    ).toEqual([
      'network 1 dataFraction: data fraction must be a number from 0.1 to 1 (got 0.05)',
      `network 2 arch: unknown architecture; choose one of ${KNOWN_ARCHS.join(', ')} (got "vgg")`,
      'network 2 augment: augmentation must be "safe", "light", "standard", "none" or { crop, flip, brightness, contrast } (got "heavy")',
      'network 3 augment brightness: brightness jitter must be a number from 0 to 1 (got 3)',
    ])
  })

  it('validates architectures against the list it is given', () => {
    const archs = ['tiny', 'small']
    expect(
      parseTrainingConfig({ dataset: 'x', networks: [{ arch: 'tiny' }, { arch: 'small' }] }, archs).networks,
    ).toHaveLength(2)
    expect(problems({ dataset: 'x', networks: [{ arch: 'tiny' }, { arch: 'cnn' }] }, archs)).toEqual([
      'network 2 arch: unknown architecture; choose one of tiny, small (got "cnn")',
    ])
  })

  it('checks settings that depend on each other and the schedule shorthand', () => {
    expect(
      problems({ dataset: 'x', epochs: 3, warmupEpochs: 3, validateEvery: 4, distillWarmupEpochs: 3.5 }),
    ).toEqual([
      'distillWarmupEpochs: cannot exceed the 3 epochs (got 3.5)',
      'warmupEpochs: warm-up must be shorter than the 3 epochs (got 3)',
      'validateEvery: cannot exceed the 3 epochs (got 4)',
    ])
    expect(problems({ dataset: 'x', schedule: 'linear' })).toEqual([
      'schedule kind: the schedule must be "cosine", "step" or "constant" (got "linear")',
    ])
    expect(problems('hello')).toEqual([
      'settings: the settings must be an object of name: value pairs (got "hello")',
    ])
  })

  it('puts every problem in the error message', () => {
    expect(() => parseTrainingConfig({ dataset: 'x', epochs: 0, seed: -1 })).toThrow(
      /problems:\n- epochs: epochs must be a whole number from 1 to 1000 \(got 0\)\n- seed: /,
    )
  })
})
