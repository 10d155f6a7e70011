/**
 * The loss every network trains with (`stepNetworks` in network-trainer.ts), and its parts: cross-entropy
 * against the labels, distillation towards the teacher, their sum per network and over the group. All are
 * batch means, so they do not change with batch size. With a mask (a network's data subset: 1 learn, 0 skip)
 * they are means over the images the network may learn from.
 *
 * It lives in the engine because the one-network workers run it inside their gradient tape; the method
 * (core/training) uses the same functions, e.g. the min-loss teacher's per-image cross-entropy.
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
  if (labels.dtype !== 'int32')
    throw new LossInputError(`labels must be int32 class ids (got ${labels.dtype})`)
}

function checkMask(mask: tf.Tensor1D | undefined, batch: number): void {
  if (mask && (mask.rank !== 1 || mask.shape[0] !== batch)) {
    throw new LossInputError(`a mask needs one weight per image (${batch} images, got shape [${mask.shape}])`)
  }
}

function checkTemperature(T: number): void {
  if (!(T > 0) || !Number.isFinite(T))
    throw new LossInputError(`temperature T must be a positive number (got ${T})`)
}

/**
 * The mean of a per-image loss over the images the mask keeps; a batch may hold none of them, so divide by
 * at least 1, never 0/0.
 */
function maskedMean(perImage: tf.Tensor1D, mask: tf.Tensor1D): tf.Scalar {
  return tf.div(tf.sum(tf.mul(perImage, mask)), tf.maximum(tf.sum(mask), 1))
}

/** Cross-entropy of each image, [B]: −log softmax(z)[y] (tfjs's fused, stable softmax cross-entropy). */
export function perImageCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor1D {
  checkLabels(logits, labels)
  const oneHot = tf.oneHot(labels, logits.shape[1])
  return tf.losses.softmaxCrossEntropy(oneHot, logits, undefined, 0, tf.Reduction.NONE) as tf.Tensor1D
}

/** Batch-mean cross-entropy against the labels (int32 class ids), over the masked images when a mask is given. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, mask?: tf.Tensor1D): tf.Scalar {
  checkLabels(logits, labels)
  checkMask(mask, logits.shape[0])
  if (mask) return maskedMean(perImageCrossEntropy(logits, labels), mask)
  return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, logits.shape[1]), logits) as tf.Scalar
}

/**
 * T² · KL(softmax(z_t/T) ‖ softmax(z_s/T)), averaged over the batch (or the masked images). T² keeps the
 * gradient's size comparable to the cross-entropy's as T changes (Hinton et al.); the teacher must already
 * carry no gradient.
 */
export function distillation(
  studentLogits: tf.Tensor2D,
  teacherLogits: tf.Tensor2D,
  T: number,
  mask?: tf.Tensor1D,
): tf.Scalar {
  checkLogits(studentLogits, 'student logits')
  checkLogits(teacherLogits, 'teacher logits')
  checkTemperature(T)
  if (!tf.util.arraysEqual(studentLogits.shape, teacherLogits.shape)) {
    throw new LossInputError(
      `student and teacher logits must have the same shape (got [${studentLogits.shape}] and [${teacherLogits.shape}])`,
    )
  }
  checkMask(mask, studentLogits.shape[0])
  const t = tf.scalar(T)
  const target = tf.softmax(tf.div(teacherLogits, t))
  const kl = tf.sum(
    tf.mul(target, tf.sub(tf.logSoftmax(tf.div(teacherLogits, t)), tf.logSoftmax(tf.div(studentLogits, t)))),
    1,
  ) as tf.Tensor1D
  return tf.mul(mask ? maskedMean(kl, mask) : tf.mean(kl), T * T)
}

export interface NetworkLoss {
  /** CE + λ·KD, or CE alone when there is no teacher or λ = 0 */
  total: tf.Scalar
  crossEntropy: tf.Scalar
  /**
   * null when there is no teacher; measured even at λ = 0 (a distillation warm-up reports it), though then
   * it is not part of the total and gives no gradient
   */
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
  mask?: tf.Tensor1D,
): NetworkLoss {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) {
    throw new LossInputError(`λ (the weight of the distillation loss) must be 0 or more (got ${lambda})`)
  }
  const ce = crossEntropy(logits, labels, mask)
  if (teacher === null) return { total: ce, crossEntropy: ce, distillation: null }
  const kd = distillation(logits, teacher, T, mask)
  const total = lambda === 0 ? ce : tf.add<tf.Scalar>(ce, tf.mul(kd, lambda))
  return { total, crossEntropy: ce, distillation: kd }
}

export interface GroupLoss {
  /** Σ CE_i + λ Σ KD_i */
  total: tf.Scalar
  perNetwork: NetworkLoss[]
}

/** The loss of the whole group for one step; `masks[i]`, when given, is network i's data subset. */
export function groupLoss(
  logits: tf.Tensor2D[],
  labels: tf.Tensor1D,
  teacher: tf.Tensor2D | null,
  T: number,
  lambda: number,
  masks: readonly (tf.Tensor1D | undefined)[] = [],
): GroupLoss {
  if (logits.length === 0) throw new LossInputError('the group has no networks')
  const perNetwork = logits.map((z, i) => networkLoss(z, labels, teacher, T, lambda, masks[i]))
  return { total: tf.addN(perNetwork.map((l) => l.total)) as tf.Scalar, perNetwork }
}
