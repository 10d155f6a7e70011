/**
 * tfjs-layers' Conv2D with one change for the zoo's bias-free, linear convolutions: they run as a plain
 * `tf.conv2d` instead of tfjs's fused convolution. The fused op's gradient computes the input gradient eagerly
 * even where nothing needs it (the first layer, whose input is the image): 5–10 ms of a 130–190 ms cnn step.
 * A plain convolution's gradient is lazy per input, so the tape skips it. Same class name, weights and config:
 * saved models stay plain TF.js Layers models.
 */
import * as tf from '@tensorflow/tfjs'
import type { LayerVariable } from '@tensorflow/tfjs-layers'
import type { Conv2D as StockConv2D } from '@tensorflow/tfjs-layers/dist/layers/convolutional'
import type { Kwargs } from '@tensorflow/tfjs-layers/dist/types'

/** tfjs-layers keeps these protected; the plain path reads them exactly as the stock `call` does. */
interface ConvState {
  kernel: LayerVariable
  bias: LayerVariable | null
  strides: number[]
  padding: string
  dataFormat: string
  dilationRate: number[]
  activation: { getClassName(): string }
}

// Taken from the registry (before ours replaces it below) rather than a deep import of tfjs-layers' ES module.
const [Stock] = tf.serialization.SerializationMap.getMap().classNameMap['Conv2D'] as unknown as [
  typeof StockConv2D,
]

export class Conv2D extends Stock {
  static override className = 'Conv2D'

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs
    const s = this as unknown as ConvState
    const plain =
      s.bias == null &&
      s.activation.getClassName() === 'linear' &&
      s.dataFormat === 'channelsLast' &&
      (s.padding === 'same' || s.padding === 'valid') &&
      s.dilationRate.every((d) => d === 1) &&
      x.rank === 4
    if (!plain) return super.call(inputs, kwargs)
    const [sh, sw] = s.strides as [number, number]
    return tf.tidy(() =>
      tf.conv2d(x as tf.Tensor4D, s.kernel.read() as tf.Tensor4D, [sh, sw], s.padding as 'same'),
    )
  }
}

// Models built or loaded after this point get this layer; the JSON they save is unchanged.
tf.serialization.registerClass(Conv2D)
