/**
 * The losses of collaborative training (DESIGN.md §1): cross-entropy against the labels, distillation towards
 * the teacher, and their sum over the group. All are batch means, so they do not change with batch size.
 */
import * as tf from '@tensorflow/tfjs'

export class LossInputError extends Error {
  override name = 'LossInputError'
}

function checkLogits(logits: tf.Tensor, what: string): void {
  if (logits.rank !== 2)
    throw new LossInputError(`${what} must be a [batch, classes] matrix (got shape [${logits.shape}])`)
  if (logits.shape[0] === 0) throw new LossInputError(`${what} is an empty batch`)
}

function checkLabels(logits: tf.Tensor2D, labels: tf.Tensor1D): void {
  checkLogits(logits, 'logits')
  if (labels.rank !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new LossInputError(
      `labels must hold one class id per image (${logits.shape[0]} images, got shape [${labels.shape}])`,
    )
  }
}

function checkTemperature(T: number): void {
  if (!(T > 0) || !Number.isFinite(T))
    throw new LossInputError(`temperature T must be a positive number (got ${T})`)
}

/** Cross-entropy of each image, [B]: −log softmax(z)[y], via the stable log-softmax. */
export function perImageCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  checkLabels(logits, labels)
  return tf.tidy(() => {
    const picked = tf.oneHot(tf.cast(labels, 'int32'), logits.shape[1])
    return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), picked), 1))
  })
}

/** Batch-mean cross-entropy against the labels (int32 class ids). */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.mean(perImageCrossEntropy(logits, labels)))
}

/**
 * T² · KL(softmax(z_t/T) ‖ softmax(z_s/T)), averaged over the batch. T² keeps the gradient's size comparable
 * to the cross-entropy's as T changes (Hinton et al.); the teacher must already carry no gradient.
 */
export function distillation(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D, T: number): tf.Scalar {
  checkLogits(studentLogits, 'student logits')
  checkLogits(teacherLogits, 'teacher logits')
  checkTemperature(T)
  if (!tf.util.arraysEqual(studentLogits.shape, teacherLogits.shape)) {
    throw new LossInputError(
      `student and teacher logits must have the same shape (got [${studentLogits.shape}] and [${teacherLogits.shape}])`,
    )
  }
  return tf.tidy(() => {
    const logTeacher = tf.logSoftmax(tf.div(teacherLogits, T))
    const logStudent = tf.logSoftmax(tf.div(studentLogits, T))
    const kl = tf.sum(tf.mul(tf.exp(logTeacher), tf.sub(logTeacher, logStudent)), 1)
    return tf.mul(tf.mean(kl), T * T)
  })
}

export interface NetworkLoss {
  total: tf.Scalar
  crossEntropy: tf.Scalar
  /** null when there is no teacher or λ = 0 (independent training) */
  distillation: tf.Scalar | null
}

/**
 * One network's share of the group loss: CE_i + λ·KD_i. Networks share no parameters, so a worker that trains
 * network i alone with this loss gets exactly the gradients of the group loss.
 */
export function networkLoss(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  teacher: tf.Tensor2D | null,
  T: number,
  lambda: number,
): NetworkLoss {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) {
    throw new LossInputError(`λ (the weight of the distillation loss) must be 0 or more (got ${lambda})`)
  }
  const ce = crossEntropy(logits, labels)
  if (teacher === null || lambda === 0) return { total: ce, crossEntropy: ce, distillation: null }
  const kd = distillation(logits, teacher, T)
  return { total: tf.add(ce, tf.mul(kd, lambda)), crossEntropy: ce, distillation: kd }
}

export interface GroupLoss {
  /** Σ CE_i + λ Σ KD_i */
  total: tf.Scalar
  perNetwork: NetworkLoss[]
}

/** The loss of the whole group for one step (DESIGN.md §1 step 6). */
export function groupLoss(
  logits: tf.Tensor2D[],
  labels: tf.Tensor1D,
  teacher: tf.Tensor2D | null,
  T: number,
  lambda: number,
): GroupLoss {
  if (logits.length === 0) throw new LossInputError('the group has no networks')
  const perNetwork = logits.map((z) => networkLoss(z, labels, teacher, T, lambda))
  return { total: tf.addN(perNetwork.map((l) => l.total)), perNetwork }
}

/** 1 where the network's top class is wrong, 0 where right, [B]. Also the error vector of covarianceWeights. */
export function misclassified(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  checkLabels(logits, labels)
  return tf.tidy(() => tf.cast(tf.notEqual(tf.argMax(logits, 1), tf.cast(labels, 'int32')), 'float32'))
}

/** Number of images whose top class is the label. */
export function correctCount(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sub(labels.shape[0], tf.sum(misclassified(logits, labels))))
}

/** Fraction of images whose top class is the label, 0 … 1. */
export function accuracy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.sub(1, tf.mean(misclassified(logits, labels))))
}
