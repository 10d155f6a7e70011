/**
 * ClipByValue's gradient (tfjs-layers' ReLU with a maximum: MobileNet's ReLU6) as one kernel where the
 * backend has it (CLIP_GRAD, native on wasm): tfjs composes it from five full-size ops (≥, ≤, and, select,
 * zeros), ~40 % of a MobileNet step on wasm. Elsewhere it is tfjs's own gradient, unchanged.
 */
import * as tf from '@tensorflow/tfjs'

export const CLIP_GRAD = 'CohortClipGrad'

let original: tf.GradConfig | undefined

/** Installs the gradient once per process (it checks the backend at every use). */
export function installClipGradient(): void {
  if (original) return
  original = tf.getGradient('ClipByValue')
  const stock = original.gradFunc
  tf.registerGradient({
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      if (!tf.getKernel(CLIP_GRAD, tf.getBackend())) return stock(dy, saved, attrs)
      const x = saved[0]!
      return { x: () => tf.engine().runKernel(CLIP_GRAD, { dy: dy as tf.Tensor, x }, attrs) as tf.Tensor }
    },
  })
}
