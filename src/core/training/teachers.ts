/**
 * The teachers: each fuses the networks' logits [B, C] into teacher logits [B, C] for this batch. TEACHER_RULES
 * below lists them under the names the KDCL paper gives them. A teacher never carries a gradient (it is a
 * target, not a path to the networks' parameters), which `withoutGradient` guarantees even when the logits come
 * from inside a gradient tape. What the user reads about each teacher is in teacher-names.ts, free of tfjs.
 */
import * as tf from '@tensorflow/tfjs'
import { fitLinearTeacher } from './linear-fit'
import { perImageCrossEntropy } from '../engine/losses'
import { TEACHER_NAMES, type TeacherName } from './teacher-names'

export class TeacherInputError extends Error {
  override name = 'TeacherInputError'
}

export interface TeacherOptions {
  /** min-loss: choose the network per image (default) or one network for the whole batch */
  minLoss?: 'sample' | 'batch'
  /** validation: one weight per network (see validation-weights.ts); equal weights before the first epoch */
  weights?: number[]
  /** linear: iteration cap of the α fit */
  linearIterations?: number
}

export interface Fusion<L> {
  /** teacher logits, or null for `none` (independent training: no distillation) */
  teacher: L | null
  /** each network's share of the teacher: α (linear), w (validation, mean), picked fraction (min-loss) */
  weights?: number[]
}

function checkShapes(logits: tf.Tensor2D[]): void {
  if (logits.length === 0) throw new TeacherInputError('a teacher needs the logits of at least one network')
  const shape = logits[0]!.shape
  if (logits[0]!.rank !== 2 || shape[0] === 0 || shape[1] < 2) {
    throw new TeacherInputError(`logits must be a [batch, classes ≥ 2] matrix (got shape [${shape}])`)
  }
  for (const [i, z] of logits.entries()) {
    if (!tf.util.arraysEqual(z.shape, shape)) {
      throw new TeacherInputError(
        `every network's logits must have the same shape (network 1 [${shape}], network ${i + 1} [${z.shape}])`,
      )
    }
  }
}

function checkInputs(logits: tf.Tensor2D[], labels: tf.Tensor1D): void {
  checkShapes(logits)
  const shape = logits[0]!.shape
  if (labels.rank !== 1 || labels.shape[0] !== shape[0]) {
    throw new TeacherInputError(
      `labels must hold one class id per image (${shape[0]} images, got [${labels.shape}])`,
    )
  }
  // out-of-range ids would silently become all-zero one-hot rows and corrupt min-logit / min-loss
  const ids = labels.dataSync()
  for (const y of ids) {
    if (!Number.isInteger(y) || y < 0 || y >= shape[1]) {
      throw new TeacherInputError(`label ${y} is not a class id between 0 and ${shape[1] - 1}`)
    }
  }
}

/**
 * Runs `compute` so that its result has a zero gradient with respect to every network's logits. tfjs has no
 * stop-gradient op; a custom gradient returning zeros is one, and ops run inside it are not taped.
 */
function withoutGradient(logits: tf.Tensor2D[], compute: (zs: tf.Tensor2D[]) => tf.Tensor2D): tf.Tensor2D {
  const n = logits.length
  const detached = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const zs = args.slice(0, n) as tf.Tensor2D[]
    return {
      value: tf.tidy(() => compute(zs)),
      gradFunc: () => zs.map((z) => tf.zerosLike(z)),
    }
  })
  return detached(...logits) as tf.Tensor2D
}

/** Σ w_i z_i */
function weightedSum(zs: tf.Tensor2D[], weights: readonly number[]): tf.Tensor2D {
  return tf.addN(zs.map((z, i) => tf.mul(z, weights[i]!))) as tf.Tensor2D
}

export function meanTeacher(logits: tf.Tensor2D[]): tf.Tensor2D {
  checkShapes(logits)
  return withoutGradient(logits, (zs) => tf.div(tf.addN(zs), zs.length))
}

/**
 * Which network teaches each image under min-loss, as a one-hot [N, B]: per image (default) the network with
 * the smallest cross-entropy on it; per batch, the network with the smallest batch cross-entropy for every
 * image. Ties go to the earlier network.
 */
function minLossChoice(zs: tf.Tensor2D[], labels: tf.Tensor1D, per: 'sample' | 'batch'): tf.Tensor2D {
  return tf.tidy(() => {
    const losses = tf.stack(zs.map((z) => perImageCrossEntropy(z, labels))) as tf.Tensor2D // [N, B]
    const pick =
      per === 'batch'
        ? tf.tile(tf.reshape(tf.argMin(tf.mean(losses, 1)), [1]), [labels.shape[0]])
        : tf.argMin(losses, 0)
    return tf.transpose(tf.oneHot(pick, zs.length)) as tf.Tensor2D
  })
}

/** The logits of the min-loss network, per image or per batch (see minLossChoice). */
export function minLossTeacher(
  logits: tf.Tensor2D[],
  labels: tf.Tensor1D,
  per: 'sample' | 'batch' = 'sample',
): tf.Tensor2D {
  checkInputs(logits, labels)
  return withoutGradient(logits, (zs) => {
    const choice = tf.expandDims(minLossChoice(zs, labels, per), 2) // [N, B, 1]
    return tf.sum(tf.mul(tf.stack(zs), choice), 0) as tf.Tensor2D
  })
}

/** Fraction of images for which each network is the min-loss teacher (a diagnostic shown to the user). */
function minLossShares(logits: tf.Tensor2D[], labels: tf.Tensor1D, per: 'sample' | 'batch'): number[] {
  return tf.tidy(() => Array.from(tf.mean(minLossChoice(logits, labels, per), 1).dataSync()))
}

/**
 * ẑ_i = z_i − z_i[y]; z_t[c] = min_i ẑ_i[c]. The target entry is exactly 0 and every other class takes the
 * most confident "no" of any network.
 */
export function minLogitTeacher(logits: tf.Tensor2D[], labels: tf.Tensor1D): tf.Tensor2D {
  checkInputs(logits, labels)
  return withoutGradient(logits, (zs) => {
    const target = tf.oneHot(tf.cast(labels, 'int32'), zs[0]!.shape[1])
    const shifted = zs.map((z) => tf.sub(z, tf.sum(tf.mul(z, target), 1, true)))
    return tf.min(tf.stack(shifted), 0) as tf.Tensor2D
  })
}

/** Σ α_i z_i with α on the simplex minimising this batch's cross-entropy of the mixture. */
export function linearTeacher(
  logits: tf.Tensor2D[],
  labels: tf.Tensor1D,
  maxIterations?: number,
): { teacher: tf.Tensor2D; alpha: number[] } {
  checkInputs(logits, labels)
  const arrays = logits.map((z) => z.dataSync() as Float32Array)
  const ids = Int32Array.from(labels.dataSync())
  const { alpha } = fitLinearTeacher(arrays, ids, logits[0]!.shape[1], maxIterations)
  return { teacher: withoutGradient(logits, (zs) => weightedSum(zs, alpha)), alpha }
}

function checkWeights(weights: readonly number[], n: number): number[] {
  if (weights.length !== n) {
    throw new TeacherInputError(
      `the validation teacher needs one weight per network (${n} networks, got ${weights.length})`,
    )
  }
  if (!weights.every((w) => Number.isFinite(w) && w >= 0)) {
    throw new TeacherInputError(`validation weights must be numbers of 0 or more (got ${weights.join(', ')})`)
  }
  const sum = weights.reduce((s, w) => s + w, 0)
  if (sum === 0) throw new TeacherInputError('validation weights are all zero')
  return weights.map((w) => w / sum)
}

/** Σ w_i z_i with weights derived from validation performance (normalised to sum to 1). */
export function validationTeacher(logits: tf.Tensor2D[], weights: readonly number[]): tf.Tensor2D {
  checkShapes(logits)
  const w = checkWeights(weights, logits.length)
  return withoutGradient(logits, (zs) => weightedSum(zs, w))
}

type Rule = (logits: tf.Tensor2D[], labels: tf.Tensor1D, opts: TeacherOptions) => Fusion<tf.Tensor2D>

/**
 * Every teacher, under the name Guo et al. give it in "Online Knowledge Distillation via Collaborative
 * Learning" (KDCL, CVPR 2020), with its rule. `mean` and `none` are Cohort's baselines, not the paper's.
 */
export const TEACHER_RULES: Record<TeacherName, { paper: string | null; fuse: Rule }> = {
  'min-loss': {
    paper: 'KDCL-Naive',
    fuse: (logits, labels, opts) => {
      const per = opts.minLoss ?? 'sample'
      return { teacher: minLossTeacher(logits, labels, per), weights: minLossShares(logits, labels, per) }
    },
  },
  linear: {
    paper: 'KDCL-Linear',
    fuse: (logits, labels, opts) => {
      const { teacher, alpha } = linearTeacher(logits, labels, opts.linearIterations)
      return { teacher, weights: alpha }
    },
  },
  'min-logit': {
    paper: 'KDCL-MinLogit',
    fuse: (logits, labels) => ({ teacher: minLogitTeacher(logits, labels) }),
  },
  validation: {
    paper: 'KDCL-General',
    fuse: (logits, _labels, opts) => {
      const n = logits.length
      const w = checkWeights(opts.weights ?? new Array<number>(n).fill(1), n)
      return { teacher: validationTeacher(logits, w), weights: w }
    },
  },
  mean: {
    paper: null,
    fuse: (logits) => ({
      teacher: meanTeacher(logits),
      weights: new Array<number>(logits.length).fill(1 / logits.length),
    }),
  },
  none: { paper: null, fuse: () => ({ teacher: null }) },
}

/** The chosen teacher for this batch, from logits that may sit inside a gradient tape. */
export function fuseTensors(
  logits: tf.Tensor2D[],
  labels: tf.Tensor1D,
  teacher: TeacherName,
  opts: TeacherOptions = {},
): Fusion<tf.Tensor2D> {
  checkInputs(logits, labels)
  if (!Object.hasOwn(TEACHER_RULES, teacher)) {
    throw new TeacherInputError(
      `unknown teacher "${String(teacher)}" (choose one of ${TEACHER_NAMES.join(', ')})`,
    )
  }
  return TEACHER_RULES[teacher].fuse(logits, labels, opts)
}

/**
 * The same fusion for a coordinator that holds logits as arrays: `logits[i]` is network i's [B, C] row-major
 * logits, `labels` the B class ids. Runs the tensor rules on the current tfjs backend and frees every tensor.
 */
export function fuse(
  logits: Float32Array[],
  labels: Int32Array,
  classes: number,
  teacher: TeacherName,
  opts: TeacherOptions = {},
): Fusion<Float32Array> {
  if (!Number.isInteger(classes) || classes < 2) {
    throw new TeacherInputError(`the number of classes must be a whole number of at least 2 (got ${classes})`)
  }
  const B = labels.length
  for (const [i, z] of logits.entries()) {
    if (z.length !== B * classes) {
      throw new TeacherInputError(
        `network ${i + 1} gave ${z.length} logits; ${B} images × ${classes} classes needs ${B * classes}`,
      )
    }
  }
  let result: Fusion<Float32Array> = { teacher: null }
  tf.tidy(() => {
    const zs = logits.map((z) => tf.tensor2d(z, [B, classes]))
    const fused = fuseTensors(zs, tf.tensor1d(labels, 'int32'), teacher, opts)
    result = {
      teacher: fused.teacher === null ? null : new Float32Array(fused.teacher.dataSync()),
      ...(fused.weights ? { weights: fused.weights } : {}),
    }
  })
  return result
}
