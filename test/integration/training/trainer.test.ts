import * as tf from '@tensorflow/tfjs'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../src/core/engine/backend'
import { NetworkGroup } from '../../../src/core/engine/network-group'
import { datasetStatistics } from '../../../src/core/dataset/tensor-cache'
import { readCheckpoint, writeCheckpoint } from '../../../src/core/training/checkpoint'
import { parseTrainingConfig, type TrainingConfigInput } from '../../../src/core/training/config'
import { groupNetworks } from '../../../src/core/training/config'
import {
  accuracy,
  batchBounds,
  batchMasks,
  errorsOf,
  networkSubsets,
  stepsPerEpoch,
  trainGroup,
  TrainingDivergedError,
  type EpochReport,
  type StepInspection,
  type TrainingData,
} from '../../../src/core/training/trainer'
import { Random } from '../../../src/core/training/random'
import { softmaxWeights } from '../../../src/core/training/validation-weights'
import type { EpochMetrics } from '../../../src/shared/types'
import { tempDir } from '../../helpers/temp'

const SIZE = 12

/**
 * Three learnable classes of 12×12 colour images: a red block on the left, a green block on the right, blue
 * horizontal stripes; each image with its own noise and brightness.
 */
function synthetic(count: number, seed: number): { pixels: Uint8Array; labels: Int32Array } {
  const frame = SIZE * SIZE * 3
  const pixels = new Uint8Array(count * frame)
  const labels = new Int32Array(count)
  let s = seed * 7919 + 1
  const noise = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    return (s % 60) - 30
  }
  for (let n = 0; n < count; n++) {
    const label = n % 3
    labels[n] = label
    const base = 60 + ((n * 37) % 80)
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const o = n * frame + (y * SIZE + x) * 3
        const on = label === 0 ? x < SIZE / 2 : label === 1 ? x >= SIZE / 2 : y % 4 < 2
        const channel = label
        for (let c = 0; c < 3; c++) {
          const v = base + noise() + (on && c === channel ? 120 : 0)
          pixels[o + c] = Math.max(0, Math.min(255, v))
        }
      }
    }
  }
  return { pixels, labels }
}

const data: TrainingData = {
  classNames: ['blue', 'green', 'red'],
  imageSize: SIZE,
  channels: 3,
  train: synthetic(72, 1),
  validation: synthetic(36, 2),
}
const normalisation = datasetStatistics(data.train.pixels, 3)

function config(overrides: Partial<TrainingConfigInput> = {}) {
  return parseTrainingConfig({
    dataset: 1,
    imageSize: SIZE,
    channels: 3,
    networks: [
      { arch: 'cnn', width: 0.5, augment: 'light' },
      { arch: 'resnet-8', width: 0.5, augment: 'light' },
    ],
    epochs: 4,
    batchSize: 12,
    optimiser: 'adam',
    lr: 0.01,
    weightDecay: 0,
    seed: 3,
    ...overrides,
  })
}

const groups: NetworkGroup[] = []
function groupFor(c: ReturnType<typeof config>): NetworkGroup {
  const g = new NetworkGroup(groupNetworks(c, 3), { parallel: false, backend: 'wasm' })
  groups.push(g)
  return g
}

async function train(c: ReturnType<typeof config>, extra: { onStep?: (s: StepInspection) => void } = {}) {
  const reports: EpochReport[] = []
  const tensors: number[] = []
  const result = await trainGroup({
    config: c,
    data,
    group: groupFor(c),
    normalisation,
    onEpoch: async (r) => {
      reports.push(r)
      tensors.push(tf.memory().numTensors)
    },
    ...extra,
  })
  return { result, reports, tensors }
}

const withoutTime = (m: EpochMetrics) => ({ ...m, seconds: 0 })

beforeAll(async () => {
  await initBackend('wasm')
})

afterEach(async () => {
  await Promise.all(groups.splice(0).map((g) => g.dispose()))
})

describe('accuracy and errors', () => {
  it('count the images whose top class is the label', () => {
    // predicts 2, 1, 0, 2
    const z = Float32Array.from([1, 2, 3, 0, 1, 0, 5, 1, 1, 0, 0, 9])
    const y = Int32Array.from([2, 0, 0, 1])
    expect(accuracy(z, y, 3)).toBe(0.5)
    expect(errorsOf([z], y, 3).map((e) => Array.from(e))).toEqual([[0, 1, 0, 1]])
  })
})

describe('data subsets', () => {
  it('draws each network’s subset once from its own stream and masks a batch by it', () => {
    const c = config({
      networks: [
        { arch: 'cnn', width: 0.5 },
        { arch: 'cnn', width: 0.5, dataFraction: 0.5 },
      ],
    })
    const draw = () => networkSubsets(c, 10, [Random.stream(3, 101), Random.stream(3, 102)])
    const [all, half] = draw()
    expect(all).toBeNull()
    expect(half).toHaveLength(5)
    expect(new Set(half).size).toBe(5)
    expect(Array.from(half!)).toEqual(Array.from(half!).sort((a, b) => a - b))
    expect(draw()[1]).toEqual(half)
    const inside = half![0]!
    const outside = [...Array(10).keys()].find((k) => !half!.includes(k))!
    expect(batchMasks([inside, outside], draw())).toEqual([null, Float32Array.from([1, 0])])
  })
})

describe('batches of an epoch', () => {
  it('uses every image once per epoch in near-equal batches, never a tiny last one', () => {
    for (const [images, batch] of [
      [100, 64],
      [55_000, 128],
      [7, 8],
      [129, 128],
      [1000, 128],
    ] as const) {
      const steps = stepsPerEpoch(images, batch)
      const sizes = Array.from({ length: steps }, (_, s) => batchBounds(images, steps, s)).map(
        ([a, b]) => b - a,
      )
      expect(sizes.reduce((x, y) => x + y, 0)).toBe(images)
      expect(Math.max(...sizes)).toBeLessThanOrEqual(batch)
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1)
      expect(batchBounds(images, steps, 0)[0]).toBe(0)
      expect(batchBounds(images, steps, steps - 1)[1]).toBe(images)
    }
    expect(stepsPerEpoch(100, 64)).toBe(2) // 50 + 50, not one batch of 64 and 36 images left out
  })
})

describe('trainGroup', () => {
  it.each(['none', 'validation'] as const)('learns a small problem with the %s teacher', async (teacher) => {
    const { result, reports } = await train(config({ teacher }))
    expect(result.status).toBe('completed')
    expect(reports.map((r) => r.metrics.epoch)).toEqual([1, 2, 3, 4])
    const last = reports.at(-1)!.metrics
    for (const n of last.networks) expect(n.valAcc).toBeGreaterThan(0.75)
    expect(last.ensemble.valAcc).toBeGreaterThan(0.75)
    if (teacher === 'none') {
      expect(last.teacher).toBeNull()
      expect(last.networks.every((n) => n.trainKd === 0)).toBe(true)
    } else {
      expect(last.teacher!.valAcc).toBeGreaterThan(0.75)
      expect(last.networks.some((n) => n.trainKd > 0)).toBe(true)
    }
    for (const r of reports) {
      const sum = (w: number[]) => w.reduce((s, v) => s + v, 0)
      expect(sum(r.metrics.ensemble.weights)).toBeCloseTo(1, 6)
      if (teacher === 'validation') expect(sum(r.metrics.teacher!.weights!)).toBeCloseTo(1, 6)
    }
  })

  it('weighs the recognition ensemble by its own rule, the validation teacher by the validation rule', async () => {
    const { reports } = await train(config({ epochs: 2, teacher: 'validation', ensembleRule: 'equal' }))
    for (const r of reports) {
      expect(r.metrics.ensemble.weights).toEqual([0.5, 0.5])
      const accuracies = r.metrics.networks.map((n) => n.valAcc)
      expect(r.state.teacherWeights).toEqual(softmaxWeights(accuracies, 0.01))
    }
    // epoch 2's teacher used the weights learned in epoch 1
    expect(reports[1]!.metrics.teacher!.weights).toEqual(reports[0]!.state.teacherWeights)
  })

  it('gives every network its own view and calls fuse once per step with every network’s logits', async () => {
    const steps: StepInspection[] = []
    await train(config({ epochs: 1, teacher: 'mean' }), { onStep: (s) => steps.push(s) })
    expect(steps).toHaveLength(6) // 72 images / 12
    for (const s of steps) {
      expect(s.fuseCalls).toBe(1)
      expect(s.fusedLogits[0]).toHaveLength(2)
      expect(s.fusedLogits[0]![0]).toEqual(s.logits[0])
      expect(s.fusedLogits[0]![1]).toEqual(s.logits[1])
      expect(s.views[0]).toHaveLength(12 * SIZE * SIZE * 3)
      expect(s.views[0]).not.toEqual(s.views[1])
    }
  })

  it('ramps the distillation weight over its warm-up epochs', async () => {
    // what each epoch reports: trainLoss = mean(ce + λ_step·kd), trainKd = mean(kd), so their ratio is λ's
    // kd-weighted mean over the epoch: well below λ = 1 in epoch 1 (6 steps ramping to 6/12), 1 once ramped
    const { reports } = await train(config({ epochs: 3, teacher: 'mean', distillWarmupEpochs: 2 }))
    const lambdaSeen = (e: number) =>
      reports[e]!.metrics.networks.map((n) => (n.trainLoss - n.trainCe) / n.trainKd)
    for (const l of lambdaSeen(0)) {
      expect(l).toBeGreaterThan(1 / 12)
      expect(l).toBeLessThan(0.5)
    }
    for (const l of lambdaSeen(2)) expect(l).toBeCloseTo(1, 5)
    // and the networks were trained with that λ, not only scored with it: same seed, different path
    const plain = await train(config({ epochs: 1, teacher: 'mean' }))
    expect(reports[0]!.metrics.networks[0]!.trainCe).not.toBe(plain.reports[0]!.metrics.networks[0]!.trainCe)
  })

  it('is deterministic for a seed, different for another, and leaks no tensors across epochs', async () => {
    const a = await train(config({ epochs: 3, teacher: 'validation' }))
    const b = await train(config({ epochs: 3, teacher: 'validation' }))
    const c = await train(config({ epochs: 3, teacher: 'validation', seed: 4 }))
    expect(b.reports.map((r) => withoutTime(r.metrics))).toEqual(a.reports.map((r) => withoutTime(r.metrics)))
    expect(c.reports[0]!.metrics.networks[0]!.trainLoss).not.toBe(
      a.reports[0]!.metrics.networks[0]!.trainLoss,
    )
    expect(a.tensors[2]).toBe(a.tensors[1])
  })

  it('continues exactly from a checkpoint written to disk', async () => {
    const c = config({ epochs: 3, teacher: 'validation', optimiser: 'sgd', lr: 0.05, weightDecay: 5e-4 })
    const straight = await train(c)
    const dir = tempDir()
    try {
      const first = groupFor(c)
      const stopped = await trainGroup({
        config: c,
        data,
        group: first,
        normalisation,
        shouldStop: () => false,
        onEpoch: async (r) => {
          const [weights, optimizers] = await Promise.all([first.getWeights(), first.getOptimizerStates()])
          await writeCheckpoint(dir.path, {
            runId: 1,
            epoch: r.metrics.epoch,
            trainer: r.state,
            normalisation,
            classNames: data.classNames,
            metrics: r.metrics,
            networks: weights.map((w, i) => ({
              arch: 'x',
              weights: w,
              optimizer: optimizers[i]!,
              best: r.bestWeights[i] ?? undefined,
            })),
          })
          if (r.metrics.epoch === 2) throw new Error('killed')
        },
      }).catch((e: Error) => e.message)
      expect(stopped).toBe('killed')
      const saved = (await readCheckpoint(dir.path))!
      expect(saved.epoch).toBe(2)
      const second = groupFor(c)
      await second.setWeights(saved.networks.map((n) => n.weights))
      await second.setOptimizerStates(saved.networks.map((n) => n.optimizer))
      const resumed: EpochReport[] = []
      const end = await trainGroup({
        config: c,
        data,
        group: second,
        normalisation: saved.normalisation,
        resumeFrom: saved.trainer,
        resumeBestWeights: saved.networks.map((n) => n.best ?? null),
        onEpoch: async (r) => void resumed.push(r),
      })
      // the best epochs, and the weights kept from them, survive the checkpoint
      expect(saved.networks.every((n) => n.best !== undefined)).toBe(true)
      expect(resumed[0]!.metrics.best).toEqual(straight.reports[2]!.metrics.best)
      expect(end.kept!.validation.networks.map((n) => n.valAcc)).toEqual(
        straight.result.kept!.validation.networks.map((n) => n.valAcc),
      )
      expect(resumed.map((r) => r.metrics.epoch)).toEqual([3])
      const want = straight.reports[2]!.metrics
      const got = resumed[0]!.metrics
      got.networks.forEach((n, i) => {
        expect(n.trainLoss).toBeCloseTo(want.networks[i]!.trainLoss, 5)
        expect(n.valLoss).toBeCloseTo(want.networks[i]!.valLoss, 5)
      })
      expect(got.lr).toBe(want.lr)
    } finally {
      dir.cleanup()
    }
  })

  it('keeps each network’s best validation epoch’s weights and measures them together at the end', async () => {
    const { result, reports } = await train(config({ epochs: 5, teacher: 'none' }))
    const accs = reports.map((r) => r.metrics.networks.map((n) => n.valAcc))
    const kept = result.kept!
    kept.best.forEach((b, i) => {
      const series = accs.map((a) => a[i]!)
      // the first epoch reaching the highest validation accuracy, never a later tie
      expect(b.epoch).toBe(series.indexOf(Math.max(...series)) + 1)
      expect(b.valAcc).toBe(Math.max(...series))
      // the group now holds that epoch's weights: validation measures the same accuracy again
      expect(kept.validation.networks[i]!.valAcc).toBeCloseTo(b.valAcc, 6)
    })
    // every epoch says the best so far
    reports.forEach((r, e) =>
      r.metrics.best!.forEach((b, i) =>
        expect(b.valAcc).toBe(Math.max(...accs.slice(0, e + 1).map((a) => a[i]!))),
      ),
    )
    expect(reports.at(-1)!.metrics.best).toEqual(kept.best)
  })

  it('stops once no network improved for `patience` epochs, and a resume of it trains nothing more', async () => {
    const c = config({ epochs: 12, teacher: 'none', patience: 1 })
    const { result, reports } = await train(c)
    expect(result.stoppedEarly).toBe(true)
    expect(result.epochs).toBe(reports.length)
    expect(reports.length).toBeLessThan(12)
    const last = reports.at(-1)!
    expect(last.metrics.epoch - Math.max(...last.metrics.best!.map((b) => b.epoch))).toBe(1)
    expect(last.state.stoppedEarly).toBe(true)
    const again: EpochReport[] = []
    const resumed = await trainGroup({
      config: c,
      data,
      group: groupFor(c),
      normalisation,
      resumeFrom: last.state,
      resumeBestWeights: last.bestWeights,
      onEpoch: async (r) => void again.push(r),
    })
    expect(again).toEqual([])
    expect(resumed.epochs).toBe(result.epochs)
  })

  it('trains a network on its own data subset', async () => {
    const c = config({
      epochs: 2,
      networks: [
        { arch: 'cnn', width: 0.5, dataFraction: 0.5 },
        { arch: 'cnn', width: 0.5 },
      ],
    })
    const { reports } = await train(c)
    expect(reports).toHaveLength(2)
    expect(reports[1]!.metrics.networks.every((n) => Number.isFinite(n.trainLoss))).toBe(true)
  })

  it('stops with a clear message when the loss diverges', async () => {
    // BatchNorm after every convolution keeps the zoo's networks finite at any learning rate the settings allow
    // (and ReLU turns NaN activations into 0), so inject the fault: a real group whose third step reports NaN
    const c = config({ epochs: 2 })
    const group = groupFor(c)
    const step = group.step.bind(group)
    let calls = 0
    group.step = async (...args: Parameters<NetworkGroup['step']>) => {
      const result = await step(...args)
      if (++calls === 3) result.losses[1]!.ce = Number.NaN
      return result
    }
    const epochs: EpochReport[] = []
    const error = await trainGroup({
      config: c,
      data,
      group,
      normalisation,
      onEpoch: async (r) => void epochs.push(r),
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TrainingDivergedError)
    expect((error as Error).message).toMatch(
      /^training diverged at epoch 1 step 3 \(loss NaN\) — lower the learning rate$/,
    )
    expect(epochs).toEqual([])
    expect(calls).toBe(3)
  })

  it('stops between steps when asked', async () => {
    let steps = 0
    const c = config({ epochs: 2 })
    const result = await trainGroup({
      config: c,
      data,
      group: groupFor(c),
      normalisation,
      shouldStop: () => steps >= 3,
      onStep: () => steps++,
    })
    expect(result).toEqual({ status: 'cancelled', epochs: 0, last: null })
    expect(steps).toBe(3)
  })
})
