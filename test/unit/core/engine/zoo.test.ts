import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src/core/engine/backend'
import {
  createNetwork,
  describeNetwork,
  NetworkSpecError,
  ZOO,
  type NetworkSpec,
} from '../../../../src/core/engine/zoo'
import { on, relativeError } from './helpers'

beforeAll(async () => {
  await initBackend('wasm')
})

const spec = (arch: NetworkSpec['arch']): NetworkSpec => ({
  arch,
  inputSize: 16,
  channels: 3,
  classes: 4,
  seed: 3,
})

/** Every trainable variable's gradient of the cross-entropy of one batch, in training mode (BatchNorm too). */
function gradients(s: NetworkSpec): Float32Array[] {
  const model = createNetwork(s)
  try {
    return tf.tidy(() => {
      const x = tf.randomNormal([3, s.inputSize, s.inputSize, s.channels], 0, 1, 'float32', 7)
      const y = tf.oneHot(tf.tensor1d([0, 1, 3], 'int32'), s.classes)
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
      const { grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        variables,
      )
      return variables.map((v) => Float32Array.from(grads[v.name]!.dataSync()))
    })
  } finally {
    model.dispose()
  }
}

describe('network zoo', () => {
  it.each(ZOO.map((z) => z.name))('%s: every variable gradient on wasm matches cpu', async (arch) => {
    // Small images and half width keep the cpu reference quick.
    const small = { ...spec(arch), inputSize: 8, width: 0.5 }
    await tf.setBackend('cpu')
    const reference = gradients(small)
    await tf.setBackend('wasm')
    const wasm = gradients(small)
    expect(wasm).toHaveLength(reference.length)
    // Gradients that are ~0 in exact arithmetic (a BatchNorm shift followed by another BatchNorm) are float
    // noise on both sides: compare against the network's overall gradient scale as well as the variable's.
    // Each kernel agrees to ~1e-7 (kernels/conv-grad.test.ts); through a whole network float32 differences
    // grow (BatchNorm over 3 images at 1×1 pixels amplifies them), hence 1e-3 here — a wrong kernel is O(1).
    const overall = Math.max(...reference.map((r) => Math.max(...r.map(Math.abs))))
    reference.forEach((r, i) => {
      const w = wasm[i]!
      const own = Math.max(...r.map(Math.abs))
      const worst = Math.max(...r.map((v, j) => Math.abs(v - w[j]!)))
      expect(worst, `variable ${i}`).toBeLessThanOrEqual(1e-3 * own + 1e-5 * overall)
    })
  })

  it.each(ZOO.map((z) => z.name))(
    '%s: predictions on wasm (native kernels: Winograd for the 3×3 layers) match cpu within 1e-5 of their scale',
    async (arch) => {
      // Full width, so the 3×3 layers have the channel counts the Winograd kernels take.
      const model = createNetwork(spec(arch))
      const predict = () => [model.predict(tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 5)) as tf.Tensor]
      const [reference] = await on('cpu', predict)
      const [wasm] = await on('wasm', predict)
      expect(relativeError(wasm!, reference!)).toBeLessThan(1e-5)
      model.dispose()
    },
  )

  it.each(ZOO.map((z) => z.name))(
    '%s: training steps leak no tensors and change the weights',
    async (arch) => {
      await tf.setBackend('wasm')
      const model = createNetwork(spec(arch))
      const optimizer = tf.train.adam(1e-2)
      const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 1)
      const y = tf.oneHot(tf.tensor1d([1, 2], 'int32'), 4)
      const step = () =>
        tf.tidy(() => {
          optimizer.minimize(
            () =>
              tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
          )
        })
      const before = model.getWeights()[0]!.dataSync().slice()
      step()
      const tensors = tf.memory().numTensors
      step()
      step()
      expect(tf.memory().numTensors).toBe(tensors)
      expect(model.getWeights()[0]!.dataSync()).not.toEqual(before)
      tf.dispose([x, y])
      optimizer.dispose()
      model.dispose()
    },
  )

  it('the same seed gives the same weights, another seed different ones', () => {
    const weights = (seed: number) => {
      const model = createNetwork({ ...spec('resnet-8'), seed })
      const values = model.getWeights().map((w) => Array.from(w.dataSync()))
      model.dispose()
      return values
    }
    expect(weights(5)).toEqual(weights(5))
    expect(weights(6)[0]).not.toEqual(weights(5)[0])
  })

  it('gives logits of shape [batch, classes] for grey and colour images', () => {
    for (const channels of [1, 3]) {
      const model = createNetwork({ arch: 'mobilenet', inputSize: 20, channels, classes: 7 })
      const shape = tf.tidy(() => (model.predict(tf.zeros([2, 20, 20, channels])) as tf.Tensor).shape)
      expect(shape).toEqual([2, 7])
      model.dispose()
    }
  })

  it('describes parameters and multiply-adds (reference CNN counted by hand)', () => {
    const d = describeNetwork({ arch: 'cnn', inputSize: 32, channels: 3, classes: 10 })
    const convs = 32 * 32 * 32 * 27 + 16 * 16 * 64 * 288 + 8 * 8 * 128 * 576
    expect(d.flops).toBe(convs + 128 * 10)
    // convolutions without bias, each followed by BatchNorm (γ, β and the two moving statistics per channel)
    const params = 27 * 32 + 4 * 32 + 288 * 64 + 4 * 64 + 576 * 128 + 4 * 128 + 128 * 10 + 10
    expect(d.params).toBe(params)
    // on Fashion-MNIST it is the PyTorch reference's CNN: 94,186 trainable parameters
    // and resnet-8 its ResNet8: 77,754
    const trainable = (arch: 'cnn' | 'resnet-8') => {
      const net = createNetwork({ arch, inputSize: 28, channels: 1, classes: 10 })
      const n =
        net.countParams() -
        net.nonTrainableWeights.reduce((sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1), 0)
      net.dispose()
      return n
    }
    expect(trainable('cnn')).toBe(94_186)
    expect(trainable('resnet-8')).toBe(77_754)
    const wide = describeNetwork({ arch: 'cnn', inputSize: 32, channels: 3, classes: 10, width: 2 })
    expect(wide.flops).toBeGreaterThan(3 * d.flops)
    const depths = ['resnet-8', 'resnet-14', 'resnet-20'] as const
    const sizes = depths.map((arch) => describeNetwork({ ...spec(arch), inputSize: 32 }).params)
    expect(sizes[0]!).toBeLessThan(sizes[1]!)
    expect(sizes[1]!).toBeLessThan(sizes[2]!)
  })

  it('rejects bad specs with a sentence naming the problem', () => {
    expect(() => createNetwork({ ...spec('cnn'), arch: 'vgg' as 'cnn' })).toThrow(NetworkSpecError)
    expect(() => createNetwork({ ...spec('cnn'), arch: 'vgg' as 'cnn' })).toThrow(/unknown network "vgg"/)
    expect(() => createNetwork({ ...spec('mobilenet'), inputSize: 4 })).toThrow(/at least 8 pixels/)
    expect(() => createNetwork({ ...spec('cnn'), classes: 1 })).toThrow(/at least 2 classes/)
    expect(() => createNetwork({ ...spec('cnn'), width: 0 })).toThrow(/width multiplier/)
  })
})
