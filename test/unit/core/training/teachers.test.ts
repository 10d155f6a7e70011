import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { crossEntropy, distillation } from '../../../../src/core/engine/losses'
import {
  effectiveLambda,
  TEACHER_NAMES,
  TEACHERS,
  type TeacherName,
} from '../../../../src/core/training/teacher-names'
import {
  fuse,
  fuseTensors,
  linearTeacher,
  meanTeacher,
  minLogitTeacher,
  minLossTeacher,
  TEACHER_RULES,
  TeacherInputError,
  validationTeacher,
} from '../../../../src/core/training/teachers'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

// Network 1 is right and confident on image 1 (label 0), network 2 on image 2 (label 2).
const Z1 = [
  [2, 1, 0],
  [0, 3, 1],
]
const Z2 = [
  [1, 2, 0],
  [1, 0, 2],
]
const Y = [0, 2]
const z1 = () => tf.tensor2d(Z1)
const z2 = () => tf.tensor2d(Z2)
const y = () => tf.tensor1d(Y, 'int32')

function expectRows(t: tf.Tensor2D | null, rows: number[][], digits = 6): void {
  expect(t).not.toBeNull()
  const got = t!.arraySync()
  expect(t!.shape).toEqual([rows.length, rows[0]!.length])
  rows.forEach((row, b) => row.forEach((v, c) => expect(got[b]![c]).toBeCloseTo(v, digits)))
}

describe('teacher rules on a hand-computed 2×3 batch', () => {
  it('mean averages the logits', () => {
    expectRows(meanTeacher([z1(), z2()]), [
      [1.5, 1.5, 0],
      [0.5, 1.5, 1.5],
    ])
  })

  it('min-loss per image takes each image from the network with the lower CE', () => {
    expectRows(minLossTeacher([z1(), z2()], y()), [Z1[0]!, Z2[1]!])
  })

  it('min-loss per batch takes all of the network with the lower batch CE', () => {
    // batch CE: network 1 (0.4076 + 2.1700)/2 = 1.2888, network 2 (1.4076 + 0.4076)/2 = 0.9076
    expect(crossEntropy(z1(), y()).arraySync()).toBeCloseTo(1.2888, 3)
    expect(crossEntropy(z2(), y()).arraySync()).toBeCloseTo(0.9076, 3)
    expectRows(minLossTeacher([z1(), z2()], y(), 'batch'), Z2)
  })

  it('min-loss gives ties to the earlier network', () => {
    expectRows(minLossTeacher([z1(), z1(), z2()], y()), [Z1[0]!, Z2[1]!])
    const { weights } = fuseTensors([z2(), z2()], y(), 'min-loss')
    expect(weights).toEqual([1, 0])
  })

  it('min-logit shifts the target to 0 and takes the smallest other logit', () => {
    // ẑ1 = [[0,-1,-2],[-1,2,0]], ẑ2 = [[0,1,-1],[-1,-2,0]]
    const t = minLogitTeacher([z1(), z2()], y())
    expectRows(t, [
      [0, -1, -2],
      [-1, -2, 0],
    ])
    const rows = t.arraySync()
    expect(rows[0]![0]).toBe(0)
    expect(rows[1]![2]).toBe(0)
  })

  it('min-logit keeps the target entry exactly 0 on arbitrary logits', () => {
    const a = tf.randomNormal([4, 5], 0, 10, 'float32', 1) as tf.Tensor2D
    const b = tf.randomNormal([4, 5], 0, 10, 'float32', 2) as tf.Tensor2D
    const labels = [4, 0, 3, 1]
    const rows = minLogitTeacher([a, b], tf.tensor1d(labels, 'int32')).arraySync()
    labels.forEach((c, i) => expect(rows[i]![c]).toBe(0))
    // every other entry is the smaller of the two networks' shifted logits
    const shifted = [a, b].map((z) =>
      z.arraySync().map((row, i) => row.map((v) => Math.fround(v - row[labels[i]!]!))),
    )
    rows.forEach((row, i) =>
      row.forEach((v, c) => expect(v).toBe(Math.min(shifted[0]![i]![c]!, shifted[1]![i]![c]!))),
    )
  })

  it('validation blends with the given weights, normalised', () => {
    expectRows(validationTeacher([z1(), z2()], [1, 3]), [
      [1.25, 1.75, 0],
      [0.75, 0.75, 1.75],
    ])
  })

  it('linear finds α on the simplex no worse than a fine grid, and blends with it', () => {
    const { teacher, alpha } = linearTeacher([z1(), z2()], y())
    expect(alpha[0]! + alpha[1]!).toBeCloseTo(1, 9)
    const ceAt = (a: number) =>
      crossEntropy(tf.add(tf.mul(z1(), a), tf.mul(z2(), 1 - a)) as tf.Tensor2D, y()).arraySync()
    let best = Infinity
    for (let k = 0; k <= 1000; k++) best = Math.min(best, ceAt(k / 1000))
    expect(crossEntropy(teacher, y()).arraySync()).toBeLessThanOrEqual(best + 1e-5)
    expectRows(teacher, [
      [2 * alpha[0]! + alpha[1]!, alpha[0]! + 2 * alpha[1]!, 0],
      [alpha[1]!, 3 * alpha[0]!, alpha[0]! + 2 * alpha[1]!],
    ])
  })
})

describe('no gradient flows through the teacher', () => {
  const T = 2
  const teachers: TeacherName[] = ['mean', 'min-loss', 'min-logit', 'linear', 'validation']
  for (const name of teachers) {
    it(`${name}: d KD/d z_student is T·(p_s − p_t)/B and d KD/d z_other is 0`, () => {
      // KD of network 1 towards a teacher built from both networks, differentiated w.r.t. both
      const kdOfNetwork1 = (a: tf.Tensor, b: tf.Tensor) => {
        const t = fuseTensors([a as tf.Tensor2D, b as tf.Tensor2D], y(), name, {
          weights: [0.3, 0.7],
        }).teacher!
        return distillation(a as tf.Tensor2D, t, T)
      }
      const [dz1, dz2] = tf.grads(kdOfNetwork1)([z1(), z2()]) as [tf.Tensor2D, tf.Tensor2D]
      const t = fuseTensors([z1(), z2()], y(), name, { weights: [0.3, 0.7] }).teacher!
      const analytic = tf.div(tf.mul(tf.sub(tf.softmax(tf.div(z1(), T)), tf.softmax(tf.div(t, T))), T), 2)
      expectRows(dz1, analytic.arraySync() as number[][])
      expect(Array.from(dz2.dataSync())).toEqual([0, 0, 0, 0, 0, 0])
    })
  }
})

describe('fuseTensors and fuse', () => {
  it('none means independent training: no teacher, λ = 0', () => {
    expect(fuseTensors([z1(), z2()], y(), 'none').teacher).toBeNull()
    expect(fuse([new Float32Array(6), new Float32Array(6)], new Int32Array(Y), 3, 'none').teacher).toBeNull()
    expect(effectiveLambda('none', 1)).toBe(0)
    expect(effectiveLambda('min-logit', 0.5)).toBe(0.5)
  })

  it('reports each network’s share: mean, validation (equal before any validation), linear α, min-loss picks', () => {
    expect(fuseTensors([z1(), z2()], y(), 'mean').weights).toEqual([0.5, 0.5])
    expect(fuseTensors([z1(), z2()], y(), 'validation').weights).toEqual([0.5, 0.5])
    expect(fuseTensors([z1(), z2()], y(), 'validation', { weights: [2, 6] }).weights).toEqual([0.25, 0.75])
    expect(fuseTensors([z1(), z2()], y(), 'min-loss').weights).toEqual([0.5, 0.5])
    expect(fuseTensors([z1(), z2()], y(), 'min-loss', { minLoss: 'batch' }).weights).toEqual([0, 1])
    const alpha = fuseTensors([z1(), z2()], y(), 'linear').weights!
    expect(alpha).toHaveLength(2)
    expect(alpha[0]! + alpha[1]!).toBeCloseTo(1, 9)
  })

  it('the array version equals the tensor version for every teacher and leaves no tensors behind', () => {
    const arrays = [new Float32Array(Z1.flat()), new Float32Array(Z2.flat())]
    for (const name of TEACHER_NAMES) {
      const before = tf.memory().numTensors
      const fromArrays = fuse(arrays, new Int32Array(Y), 3, name, { weights: [0.2, 0.8] })
      expect(tf.memory().numTensors).toBe(before)
      const fromTensors: { rows: number[] | null } = { rows: null }
      tf.tidy(() => {
        const f = fuseTensors([z1(), z2()], y(), name, { weights: [0.2, 0.8] })
        fromTensors.rows = f.teacher === null ? null : Array.from(f.teacher.dataSync())
      })
      expect(fromArrays.teacher === null ? null : Array.from(fromArrays.teacher)).toEqual(fromTensors.rows)
    }
  })

  it('fuseTensors inside tidy leaves the tensor count unchanged', () => {
    const a = z1()
    const b = z2()
    const labels = y()
    const before = tf.memory().numTensors
    for (const name of TEACHER_NAMES) {
      tf.tidy(() => {
        fuseTensors([a, b], labels, name)
      })
    }
    expect(tf.memory().numTensors).toBe(before)
  })

  it('outside tidy adds exactly the teacher tensor, also under a gradient tape', () => {
    const a = z1()
    const b = z2()
    const labels = y()
    for (const name of TEACHER_NAMES) {
      const before = tf.memory().numTensors
      const { teacher } = fuseTensors([a, b], labels, name)
      expect(tf.memory().numTensors).toBe(before + (teacher === null ? 0 : 1))
      teacher?.dispose()
    }
    const before = tf.memory().numTensors
    const g = tf.grad((s: tf.Tensor) =>
      distillation(s as tf.Tensor2D, fuseTensors([s as tf.Tensor2D, b], labels, 'min-logit').teacher!, 2),
    )(a)
    g.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('works for four networks', () => {
    const zs = [
      z1(),
      z2(),
      tf.tensor2d([
        [0, 0, 0],
        [0, 0, 5],
      ]),
      tf.tensor2d([
        [4, 0, 0],
        [0, 0, 0],
      ]),
    ]
    expectRows(minLossTeacher(zs, y()), [
      [4, 0, 0],
      [0, 0, 5],
    ])
    const alpha = fuseTensors(zs, y(), 'linear').weights!
    expect(alpha.reduce((s, a) => s + a, 0)).toBeCloseTo(1, 9)
    expect(alpha.every((a) => a >= 0)).toBe(true)
  })

  it('rejects bad input with a specific message', () => {
    expect(() => fuseTensors([], y(), 'mean')).toThrow(/at least one network/)
    expect(() => fuseTensors([z1(), tf.zeros([2, 4]) as tf.Tensor2D], y(), 'mean')).toThrow(/same shape/)
    expect(() => fuseTensors([z1(), z2()], tf.tensor1d([0, 3], 'int32'), 'min-logit')).toThrow(
      /label 3 is not a class id between 0 and 2/,
    )
    expect(() => fuseTensors([z1(), z2()], tf.tensor1d([0], 'int32'), 'mean')).toThrow(
      /one class id per image/,
    )
    expect(() => fuseTensors([z1(), z2()], y(), 'validation', { weights: [1] })).toThrow(
      /one weight per network \(2 networks, got 1\)/,
    )
    expect(() => fuseTensors([z1(), z2()], y(), 'validation', { weights: [1, -1] })).toThrow(
      TeacherInputError,
    )
    expect(() => fuseTensors([z1(), z2()], y(), 'best' as TeacherName)).toThrow(/unknown teacher "best"/)
    expect(() => fuse([new Float32Array(5)], new Int32Array(2), 3, 'mean')).toThrow(/needs 6/)
  })

  it('has a user-facing description for every teacher', () => {
    expect(TEACHER_NAMES.sort()).toEqual(['linear', 'mean', 'min-logit', 'min-loss', 'none', 'validation'])
    for (const name of TEACHER_NAMES) expect(TEACHERS[name].description.length).toBeGreaterThan(20)
  })

  it('names the teachers as the KDCL paper does, and has a rule for every teacher the app offers', () => {
    const paper = Object.fromEntries(TEACHER_NAMES.map((name) => [name, TEACHER_RULES[name].paper]))
    expect(paper).toEqual({
      'min-loss': 'KDCL-Naive',
      linear: 'KDCL-Linear',
      'min-logit': 'KDCL-MinLogit',
      validation: 'KDCL-General',
      mean: null,
      none: null,
    })
    expect(Object.keys(TEACHER_RULES).sort()).toEqual([...TEACHER_NAMES].sort())
    // 'toString' lives on every object's prototype: not a teacher
    expect(() => fuseTensors([z1(), z2()], y(), 'toString' as TeacherName)).toThrow(/unknown teacher/)
  })
})
