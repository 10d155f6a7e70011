/**
 * tfjs's Adam with each variable's update as one kernel (`CohortAdam`, native on wasm) instead of ten small
 * ops: on the zoo's networks the optimiser step was ~8 ms of preparation for ~0.1 M parameters. Same state
 * variables, names and order as tf.AdamOptimizer, so checkpoints and `getWeights` are unchanged; on a backend
 * without the kernel, or before its moments exist, it is tfjs's own update.
 */
import * as tf from '@tensorflow/tfjs'

export const ADAM_UPDATE = 'CohortAdam'

/** Attributes of one CohortAdam call; inputs {value, m, v, gradient} → [value′, m′, v′]. */
export interface AdamAttrs {
  beta1: number
  beta2: number
  epsilon: number
  learningRate: number
  /** 1 − β1ᵗ and 1 − β2ᵗ for this step, as tfjs's float32 variables hold them */
  correction1: number
  correction2: number
}

interface AdamState {
  accumulatedFirstMoment: Array<{ variable: tf.Variable } | undefined>
  accumulatedSecondMoment: Array<{ variable: tf.Variable } | undefined>
  accBeta1: tf.Variable
  accBeta2: tf.Variable
  beta1: number
  beta2: number
  epsilon: number
  learningRate: number
}

type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0]

export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(gradients: Gradients): void {
    const names = Array.isArray(gradients) ? gradients.map((g) => g.name) : Object.keys(gradients)
    const state = this as unknown as AdamState
    const ready = names.every((_, i) => state.accumulatedFirstMoment[i] && state.accumulatedSecondMoment[i])
    if (!ready || !tf.getKernel(ADAM_UPDATE, tf.getBackend())) {
      super.applyGradients(gradients)
      return
    }
    const [acc1, acc2] = [state.accBeta1.dataSync()[0]!, state.accBeta2.dataSync()[0]!]
    const attrs: AdamAttrs = {
      beta1: state.beta1,
      beta2: state.beta2,
      epsilon: state.epsilon,
      learningRate: state.learningRate,
      correction1: Math.fround(1 - acc1),
      correction2: Math.fround(1 - acc2),
    }
    tf.tidy(() => {
      names.forEach((name, i) => {
        const gradient = Array.isArray(gradients) ? gradients[i]!.tensor : gradients[name]
        if (!gradient) return
        const value = tf.engine().registeredVariables[name]!
        const m = state.accumulatedFirstMoment[i]!.variable
        const v = state.accumulatedSecondMoment[i]!.variable
        const [value1, m1, v1] = tf
          .engine()
          .runKernel(ADAM_UPDATE, { value, m, v, gradient }, attrs as never) as tf.Tensor[]
        value.assign(value1!)
        m.assign(m1!)
        v.assign(v1!)
      })
      // float32 products, as tfjs's own mul of the two scalars
      state.accBeta1.assign(tf.scalar(Math.fround(acc1 * state.beta1)))
      state.accBeta2.assign(tf.scalar(Math.fround(acc2 * state.beta2)))
    })
    ;(this as unknown as { incrementIterations(): void }).incrementIterations()
  }
}
