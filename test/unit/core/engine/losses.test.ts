import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  crossEntropy,
  distillation,
  groupLoss,
  LossInputError,
  networkLoss,
  perImageCrossEntropy,
} from '../../../../src/core/engine/losses'

function expectClose(actual: tf.Tensor, expected: tf.Tensor, digits: number): void {
  expect(actual.shape).toEqual(expected.shape)
  const e = expected.dataSync()
  actual.dataSync().forEach((v, i) => expect(v).toBeCloseTo(e[i]!, digits))
}

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const student = () =>
  tf.tensor2d([
    [1, 2, 3],
    [0, 1, 0],
  ])
const teacher = () =>
  tf.tensor2d([
    [3, 2, 1],
    [0, 0, 2],
  ])
const labels = () => tf.tensor1d([2, 0], 'int32')

describe('crossEntropy', () => {
  it('is −log softmax(z)[y] averaged over the batch', () => {
    // row 1: log(e^-2 + e^-1 + 1) = 0.407606; row 2: log(1 + e + 1) = 1.551445
    const per = perImageCrossEntropy(student(), labels()).arraySync()
    expect(per[0]).toBeCloseTo(Math.log(Math.exp(-2) + Math.exp(-1) + 1), 5)
    expect(per[1]).toBeCloseTo(Math.log(2 + Math.E), 5)
    expect(crossEntropy(student(), labels()).arraySync()).toBeCloseTo(0.979525, 5)
  })

  it('is stable for huge logits', () => {
    const ce = crossEntropy(tf.tensor2d([[1000, 0, -1000]]), tf.tensor1d([1], 'int32')).arraySync()
    expect(ce).toBeCloseTo(1000, 3)
  })

  it('rejects mismatched labels', () => {
    expect(() => crossEntropy(student(), tf.tensor1d([1], 'int32'))).toThrow(/one class id per image/)
  })
})

describe('distillation', () => {
  it('matches the hand-computed 2×3 example at T = 1 and T = 2', () => {
    // both rows' softmaxes share a log-sum-exp only when equal; in general KL = Σ p_t (log p_t − log p_s).
    // Row 1 at T = 1: p_t = softmax(3,2,1) = (0.66524, 0.24473, 0.09003) and log p_t − log p_s = z_t − z_s
    // (same log-sum-exp) = (2, 0, −2), so KL = 2·(0.66524 − 0.09003) = 1.15042. Row 2: 0.779365.
    expect(distillation(student(), teacher(), 1).arraySync()).toBeCloseTo((1.150421 + 0.779365) / 2, 5)
    // T = 2: KLs 0.320157 and 0.213078, mean times T² = 4
    expect(distillation(student(), teacher(), 2).arraySync()).toBeCloseTo(1.06647, 4)
  })

  it('is 0 when the student equals the teacher and positive otherwise', () => {
    expect(distillation(teacher(), teacher(), 2).arraySync()).toBeCloseTo(0, 6)
    expect(distillation(student(), teacher(), 3).arraySync()).toBeGreaterThan(0)
  })

  it('carries the factor T²: logits scaled by T give T² times the T = 1 value', () => {
    const base = distillation(student(), teacher(), 1).arraySync()
    for (const T of [2, 4]) {
      const scaled = distillation(tf.mul(student(), T) as tf.Tensor2D, tf.mul(teacher(), T) as tf.Tensor2D, T)
      expect(scaled.arraySync()).toBeCloseTo(T * T * base, 4)
    }
  })

  it('its gradient is T·(p_s − p_t)/B', () => {
    const T = 2
    const t = teacher()
    const g = tf.grad((s: tf.Tensor) => distillation(s as tf.Tensor2D, t, T))(student()) as tf.Tensor2D
    const expected = tf.div(tf.mul(tf.sub(tf.softmax(tf.div(student(), T)), tf.softmax(tf.div(t, T))), T), 2)
    expectClose(g, expected, 6)
  })

  it('rejects a bad temperature or mismatched shapes', () => {
    expect(() => distillation(student(), teacher(), 0)).toThrow(/temperature T must be a positive/)
    expect(() => distillation(student(), tf.zeros([2, 4]) as tf.Tensor2D, 2)).toThrow(/same shape/)
  })
})

describe('groupLoss', () => {
  it('is Σ CE_i + λ Σ KD_i', () => {
    const a = student()
    const b = tf.tensor2d([
      [0, 0, 1],
      [2, 0, 0],
    ])
    const t = teacher()
    const y = labels()
    const lambda = 0.5
    const T = 2
    const { total, perNetwork } = groupLoss([a, b], y, t, T, lambda)
    const expected =
      crossEntropy(a, y).arraySync() +
      crossEntropy(b, y).arraySync() +
      lambda * (distillation(a, t, T).arraySync() + distillation(b, t, T).arraySync())
    expect(total.arraySync()).toBeCloseTo(expected, 5)
    expect(perNetwork).toHaveLength(2)
    expect(perNetwork[1]!.distillation!.arraySync()).toBeCloseTo(distillation(b, t, T).arraySync(), 6)
  })

  it('is plain cross-entropy without a teacher or with λ = 0, the distillation still measured at λ = 0', () => {
    const y = labels()
    const ce = crossEntropy(student(), y).arraySync()
    const noTeacher = networkLoss(student(), y, null, 2, 1)
    expect(noTeacher.total.arraySync()).toBeCloseTo(ce, 6)
    expect(noTeacher.distillation).toBeNull()
    // a distillation warm-up starts at λ = 0: the trainer still reports KD, which must not enter the total
    const warmUp = networkLoss(student(), y, teacher(), 2, 0)
    expect(warmUp.total.arraySync()).toBeCloseTo(ce, 6)
    expect(warmUp.distillation!.arraySync()).toBeCloseTo(1.06647, 4)
    const g = tf.grad((z: tf.Tensor) => networkLoss(z as tf.Tensor2D, y, teacher(), 2, 0).total)(student())
    const gCe = tf.grad((z: tf.Tensor) => crossEntropy(z as tf.Tensor2D, y))(student())
    expectClose(g, gCe, 6)
    expect(() => networkLoss(student(), y, teacher(), 2, -1)).toThrow(LossInputError)
  })
})

describe('masks (a network’s data subset)', () => {
  const perImage = () => perImageCrossEntropy(student(), labels()).arraySync()
  const perImageKd = (T: number) =>
    [0, 1].map((row) => distillation(student().slice(row, 1), teacher().slice(row, 1), T).arraySync())

  it('averages both losses over the images the mask keeps', () => {
    const keepSecond = tf.tensor1d([0, 1])
    expect(crossEntropy(student(), labels(), keepSecond).arraySync()).toBeCloseTo(perImage()[1]!, 6)
    expect(distillation(student(), teacher(), 2, keepSecond).arraySync()).toBeCloseTo(perImageKd(2)[1]!, 5)
    const all = tf.tensor1d([1, 1])
    expect(crossEntropy(student(), labels(), all).arraySync()).toBeCloseTo(
      crossEntropy(student(), labels()).arraySync(),
      6,
    )
    expect(distillation(student(), teacher(), 2, all).arraySync()).toBeCloseTo(
      distillation(student(), teacher(), 2).arraySync(),
      6,
    )
  })

  it('is 0, not 0/0, when the batch holds none of the network’s images, and learns nothing from them', () => {
    const none = tf.tensor1d([0, 0])
    const loss = networkLoss(student(), labels(), teacher(), 2, 1, none)
    expect(loss.crossEntropy.arraySync()).toBe(0)
    expect(loss.distillation!.arraySync()).toBe(0)
    const g = tf.grad((z: tf.Tensor) => networkLoss(z as tf.Tensor2D, labels(), teacher(), 2, 1, none).total)(
      student(),
    )
    expect(Array.from(g.dataSync(), Math.abs)).toEqual([0, 0, 0, 0, 0, 0])
  })

  it('gives masked-out images no gradient and kept ones the gradient of their own mean', () => {
    const T = 2
    const t = teacher()
    const g = tf.grad((s: tf.Tensor) => distillation(s as tf.Tensor2D, t, T, tf.tensor1d([1, 0])))(
      student(),
    ) as tf.Tensor2D
    // one kept image: T·(p_s − p_t) on its row, zeros on the other
    const full = tf.mul(tf.sub(tf.softmax(tf.div(student(), T)), tf.softmax(tf.div(t, T))), T)
    const expected = tf.mul(full, tf.tensor2d([[1], [0]]))
    expectClose(g, expected, 6)
  })

  it('rejects a mask of the wrong length', () => {
    expect(() => crossEntropy(student(), labels(), tf.tensor1d([1]))).toThrow(/one weight per image/)
    expect(() => distillation(student(), teacher(), 2, tf.tensor1d([1, 1, 1]))).toThrow(
      /one weight per image/,
    )
  })
})
