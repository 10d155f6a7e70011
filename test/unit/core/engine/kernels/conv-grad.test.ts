import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../../src/core/engine/backend'
import { on, relativeError } from '../helpers'

type Pad = 'same' | 'valid'
interface Case {
  batch: number
  size: [number, number]
  inChannels: number
  outChannels: number
  kernel: number
  stride: number
  pad: Pad
}

// Small shapes covering stride 1/2, same/valid, kernel 1/3/5, odd sizes, 1…64 channels, batch 1 and > 1.
const CASES: Case[] = []
for (const stride of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    for (const kernel of [1, 3, 5]) {
      CASES.push({ batch: 1, size: [7, 7], inChannels: 1, outChannels: 3, kernel, stride, pad })
      CASES.push({ batch: 3, size: [9, 6], inChannels: 5, outChannels: 8, kernel, stride, pad })
    }
    CASES.push({ batch: 2, size: [8, 8], inChannels: 64, outChannels: 16, kernel: 3, stride, pad })
    CASES.push({ batch: 2, size: [6, 5], inChannels: 16, outChannels: 64, kernel: 3, stride, pad })
    // 8 input channels, 5 output: the direct stride-1 input gradient over an odd channel count
    CASES.push({ batch: 2, size: [7, 6], inChannels: 8, outChannels: 5, kernel: 3, stride, pad })
    // Winograd F(2×2, 3×3) at stride 1 (3×3, input channels a multiple of 4, output of 8): odd sizes (part
    // tiles), batch 1, and 30×30 (more tiles than one pass) for the forward; the input gradient runs it from
    // the output's channels to the input's (here 4 → 8)
    CASES.push({ batch: 1, size: [5, 9], inChannels: 16, outChannels: 8, kernel: 3, stride, pad })
    CASES.push({ batch: 1, size: [30, 30], inChannels: 8, outChannels: 16, kernel: 3, stride, pad })
    CASES.push({ batch: 2, size: [3, 4], inChannels: 8, outChannels: 4, kernel: 3, stride, pad })
    // 17 channels, depthwise multiplier 1 (MobileNet's): whole 4-wide vectors and a remainder
    CASES.push({ batch: 2, size: [9, 8], inChannels: 17, outChannels: 8, kernel: 3, stride, pad })
  }
}

const name = (c: Case) =>
  `x [${c.batch},${c.size},${c.inChannels}] k${c.kernel} s${c.stride} ${c.pad} → ${c.outChannels}`

/** Gradients of a weighted sum of the output, so every output position carries a different weight. */
function convGrads(c: Case, depthwise: boolean): tf.Tensor[] {
  const x = tf.randomNormal([c.batch, ...c.size, c.inChannels], 0, 1, 'float32', 11) as tf.Tensor4D
  // Depthwise channel multiplier 1 (MobileNet) and 2, alternating between cases.
  const multiplier = (c.kernel + c.inChannels) % 2 === 0 ? 1 : 2
  const filterShape: number[] = depthwise
    ? [c.kernel, c.kernel, c.inChannels, multiplier]
    : [c.kernel, c.kernel, c.inChannels, c.outChannels]
  const filter = tf.randomNormal(filterShape, 0, 1, 'float32', 12) as unknown as tf.Tensor4D
  const forward = (input: tf.Tensor4D, f: tf.Tensor4D) =>
    depthwise ? tf.depthwiseConv2d(input, f, c.stride, c.pad) : tf.conv2d(input, f, c.stride, c.pad)
  const outShape = forward(x, filter).shape
  const weights = tf.randomNormal(outShape, 0, 1, 'float32', 13)
  const grads = tf.grads((input: tf.Tensor, f: tf.Tensor) =>
    tf.sum(tf.mul(forward(input as tf.Tensor4D, f as tf.Tensor4D), weights)),
  )
  return grads([x, filter])
}

describe('Cohort wasm convolution gradients agree with the cpu backend', () => {
  beforeAll(async () => {
    const info = await initBackend('wasm')
    expect(info.kernels).toEqual(
      expect.arrayContaining([
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNativeBackpropFilter',
        'DepthwiseConv2dNativeBackpropInput',
      ]),
    )
  })

  for (const depthwise of [false, true]) {
    it.each(CASES.map((c) => [name(c), c] as const))(
      `${depthwise ? 'depthwise' : 'conv2d'} %s`,
      async (_, c) => {
        const reference = await on('cpu', () => convGrads(c, depthwise))
        const wasm = await on('wasm', () => convGrads(c, depthwise))
        expect(relativeError(wasm[0]!, reference[0]!), 'input gradient').toBeLessThan(1e-4)
        expect(relativeError(wasm[1]!, reference[1]!), 'filter gradient').toBeLessThan(1e-4)
      },
    )
  }

  /** The forward with bias and ReLU fused (FusedConv2D) and plain (Conv2D). */
  function convForward(c: Case): tf.Tensor[] {
    const x = tf.randomNormal([c.batch, ...c.size, c.inChannels], 0, 1, 'float32', 21) as tf.Tensor4D
    const filter = tf.randomNormal(
      [c.kernel, c.kernel, c.inChannels, c.outChannels],
      0,
      1,
      'float32',
      22,
    ) as tf.Tensor4D
    const bias = tf.randomNormal([c.outChannels], 0, 1, 'float32', 23)
    return [
      tf.conv2d(x, filter, c.stride, c.pad),
      tf.fused.conv2d({ x, filter, strides: c.stride, pad: c.pad, bias, activation: 'relu' }),
      tf.fused.conv2d({ x, filter, strides: c.stride, pad: c.pad, bias }),
    ]
  }

  it.each(CASES.map((c) => [name(c), c] as const))('conv2d forward %s', async (_, c) => {
    const reference = await on('cpu', () => convForward(c))
    const wasm = await on('wasm', () => convForward(c))
    for (let i = 0; i < reference.length; i++)
      expect(relativeError(wasm[i]!, reference[i]!), `output ${i}`).toBeLessThan(1e-4)
  })

  it('frees every intermediate', async () => {
    await tf.setBackend('wasm')
    const c: Case = {
      batch: 2,
      size: [7, 7],
      inChannels: 3,
      outChannels: 4,
      kernel: 3,
      stride: 2,
      pad: 'same',
    }
    const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }
    tf.dispose(tf.tidy(() => convGrads(c, false).concat(convGrads(c, true))))
    const tensors = tf.memory().numTensors
    const buffers = backend.dataIdMap.numDataIds()
    for (let i = 0; i < 3; i++) tf.dispose(tf.tidy(() => convGrads(c, false).concat(convGrads(c, true))))
    expect(tf.memory().numTensors).toBe(tensors)
    expect(backend.dataIdMap.numDataIds()).toBe(buffers)
  })
})
