import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/core/engine/backend'
import { Conv2D } from '../../../../src/core/engine/conv-layer'
import { relativeError } from './helpers'

beforeAll(async () => {
  await initBackend('wasm')
})

/** A one-convolution model: the image goes straight into the layer, as in the zoo's first layer. */
function model(layer: tf.layers.Layer): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 3] })
  const y = tf.layers.globalAveragePooling2d({}).apply(layer.apply(input)) as tf.SymbolicTensor
  return tf.model({ inputs: input, outputs: y })
}

const CONFIG = { filters: 4, kernelSize: 3, strides: 2, padding: 'same' as const, useBias: false }

describe('the zoo’s Conv2D layer', () => {
  it('gives the stock layer’s outputs and filter gradient without computing the image’s gradient', async () => {
    const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1)
    const ours = model(new Conv2D({ ...CONFIG, kernelInitializer: tf.initializers.heNormal({ seed: 2 }) }))
    const stock = model(
      tf.layers.conv2d({ ...CONFIG, kernelInitializer: tf.initializers.heNormal({ seed: 2 }) }),
    )
    const step = (m: tf.LayersModel) => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      )
      const out = { value: value.dataSync()[0]!, grad: Object.values(grads)[0]!.dataSync() as Float32Array }
      tf.dispose([value, ...Object.values(grads)])
      return out
    }
    const profile = async (m: tf.LayersModel) =>
      (await tf.profile(() => void step(m))).kernels.map((k) => k.name)
    expect(step(ours).value).toBeCloseTo(step(stock).value, 4)
    expect(relativeError(step(ours).grad, step(stock).grad)).toBeLessThan(1e-5)
    expect(await profile(stock)).toContain('Conv2DBackpropInput')
    const kernels = await profile(ours)
    expect(kernels).toContain('Conv2DBackpropFilter')
    expect(kernels).not.toContain('Conv2DBackpropInput')
  })

  it('saves as a stock Conv2D and keeps the fused path for a bias or an activation', () => {
    const plain = new Conv2D(CONFIG)
    expect(plain.getClassName()).toBe('Conv2D')
    expect(tf.serialization.SerializationMap.getMap().classNameMap['Conv2D']![0]).toBe(Conv2D)
    const withBias = model(new Conv2D({ ...CONFIG, useBias: true, activation: 'relu' }))
    const y = withBias.predict(tf.ones([1, 9, 9, 3])) as tf.Tensor
    expect(y.shape).toEqual([1, 4])
    expect(JSON.parse(JSON.stringify(withBias.toJSON(null, false))).config.layers[1].class_name).toBe(
      'Conv2D',
    )
  })
})
