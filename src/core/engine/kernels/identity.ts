/**
 * Identity for wasm without a copy: the output shares the input's buffer (reference-counted), as on the
 * cpu backend. tfjs never writes into a buffer in place, so sharing is safe; wasm's own kernel copies the
 * whole tensor, and layers and gradients call Identity on every activation.
 */
import type * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import type { Info } from './wasm-ops'

export const identityKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const { x } = inputs as { x: Info }
  ;(backend as BackendWasm).incRef(x.dataId)
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
}
