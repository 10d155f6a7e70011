/**
 * The network zoo: every architecture a user can pick, built with tf.layers' functional API so each
 * network is a tf.LayersModel (exportable as a TF.js Layers model). Same spec + seed → same weights.
 */
import * as tf from '@tensorflow/tfjs'
import type { NetworkArch, NetworkSpec } from '../../shared/types'
import { BatchNormalization } from './batch-norm-layer'
import { Conv2D } from './conv-layer'

// Describing a network (parameters, FLOPs) may run before any backend is chosen; keep tfjs's console
// advice ("install tfjs-node") out of the user's terminal either way.
tf.env().set('PROD', true)

export type { NetworkArch, NetworkSpec }

export interface NetworkDescription {
  arch: NetworkArch
  /** trainable and non-trainable parameters */
  params: number
  /** multiply-adds of one forward pass of one image (convolutions and dense layers) */
  flops: number
}

export const ZOO: ReadonlyArray<{ name: NetworkArch; description: string; minInputSize: number }> = [
  {
    name: 'cnn',
    description: 'Small plain CNN: three 3×3 convolutions (32, 64, 128 channels), pooling, one dense layer',
    minInputSize: 4,
  },
  {
    name: 'resnet-8',
    description: 'CIFAR-style ResNet, 8 layers (1 residual block per stage)',
    minInputSize: 4,
  },
  {
    name: 'resnet-14',
    description: 'CIFAR-style ResNet, 14 layers (2 residual blocks per stage)',
    minInputSize: 4,
  },
  {
    name: 'resnet-20',
    description: 'CIFAR-style ResNet, 20 layers (3 residual blocks per stage)',
    minInputSize: 4,
  },
  {
    name: 'mobilenet',
    description: 'Small MobileNetV2-style network: inverted residual blocks with depthwise convolutions',
    minInputSize: 8,
  },
]

export class NetworkSpecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NetworkSpecError'
  }
}

function validate(spec: NetworkSpec): void {
  const entry = ZOO.find((z) => z.name === spec.arch)
  if (!entry) {
    throw new NetworkSpecError(
      `unknown network "${spec.arch}"; choose one of ${ZOO.map((z) => z.name).join(', ')}`,
    )
  }
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0
  if (!positiveInt(spec.inputSize) || spec.inputSize < entry.minInputSize) {
    throw new NetworkSpecError(
      `${spec.arch} needs an image size of at least ${entry.minInputSize} pixels, got ${spec.inputSize}`,
    )
  }
  if (!positiveInt(spec.channels))
    throw new NetworkSpecError(`image channels must be a positive integer, got ${spec.channels}`)
  if (!Number.isInteger(spec.classes) || spec.classes < 2) {
    throw new NetworkSpecError(`a classifier needs at least 2 classes, got ${spec.classes}`)
  }
  if (spec.width !== undefined && !(spec.width > 0 && spec.width <= 8)) {
    throw new NetworkSpecError(`width multiplier must be in (0, 8], got ${spec.width}`)
  }
  if (spec.seed !== undefined && !Number.isInteger(spec.seed)) {
    throw new NetworkSpecError(`seed must be an integer, got ${spec.seed}`)
  }
}

/** Layer construction helpers carrying the seed sequence, so every initialiser gets its own seed. */
class Builder {
  private nextSeed: number
  private count = 0
  constructor(
    seed: number,
    private readonly width: number,
  ) {
    this.nextSeed = seed * 1000
  }

  channels(base: number): number {
    return Math.max(1, Math.round(base * this.width))
  }

  private name(kind: string): string {
    this.count += 1
    return `${kind}${this.count}`
  }

  private he() {
    return tf.initializers.heNormal({ seed: this.nextSeed++ })
  }

  /** A convolution without bias: every one is followed by BatchNorm, whose shift is the bias. */
  conv(x: tf.SymbolicTensor, filters: number, kernel: number, stride = 1): tf.SymbolicTensor {
    return new Conv2D({
      name: this.name('conv'),
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: 'same',
      useBias: false,
      kernelInitializer: this.he(),
    }).apply(x) as tf.SymbolicTensor
  }

  depthwise(x: tf.SymbolicTensor, stride: number): tf.SymbolicTensor {
    return tf.layers
      .depthwiseConv2d({
        name: this.name('depthwise'),
        kernelSize: 3,
        strides: stride,
        padding: 'same',
        useBias: false,
        depthwiseInitializer: this.he(),
      })
      .apply(x) as tf.SymbolicTensor
  }

  bn(x: tf.SymbolicTensor): tf.SymbolicTensor {
    return new BatchNormalization({ name: this.name('bn'), momentum: 0.9, epsilon: 1e-5 }).apply(
      x,
    ) as tf.SymbolicTensor
  }

  relu(x: tf.SymbolicTensor, max?: number): tf.SymbolicTensor {
    return tf.layers.reLU({ name: this.name('relu'), maxValue: max }).apply(x) as tf.SymbolicTensor
  }

  add(a: tf.SymbolicTensor, b: tf.SymbolicTensor): tf.SymbolicTensor {
    return tf.layers.add({ name: this.name('add') }).apply([a, b]) as tf.SymbolicTensor
  }

  maxPool(x: tf.SymbolicTensor): tf.SymbolicTensor {
    return tf.layers
      .maxPooling2d({ name: this.name('pool'), poolSize: 2, strides: 2 })
      .apply(x) as tf.SymbolicTensor
  }

  head(x: tf.SymbolicTensor, classes: number): tf.SymbolicTensor {
    const pooled = tf.layers.globalAveragePooling2d({ name: this.name('gap') }).apply(x) as tf.SymbolicTensor
    // Logits, no softmax: the losses and the teachers work on logits.
    return tf.layers
      .dense({
        name: 'logits',
        units: classes,
        kernelInitializer: tf.initializers.glorotUniform({ seed: this.nextSeed++ }),
      })
      .apply(pooled) as tf.SymbolicTensor
  }
}

/**
 * The reference CNN (`CNN` of the PyTorch reference, docs/EXPERIMENTS.md): conv-BN-ReLU three times, pooling after the
 * first two. BatchNorm after every convolution is what keeps it stable at SGD lr 0.05 with distillation.
 */
function cnn(b: Builder, x: tf.SymbolicTensor, classes: number): tf.SymbolicTensor {
  let h = b.maxPool(b.relu(b.bn(b.conv(x, b.channels(32), 3))))
  h = b.maxPool(b.relu(b.bn(b.conv(h, b.channels(64), 3))))
  h = b.relu(b.bn(b.conv(h, b.channels(128), 3)))
  return b.head(h, classes)
}

/** CIFAR ResNet (He et al. 2016, §4.2): depth 6n+2, stages of 16/32/64 channels, projection shortcuts. */
function resnet(b: Builder, x: tf.SymbolicTensor, classes: number, depth: number): tf.SymbolicTensor {
  const blocks = (depth - 2) / 6
  let h = b.relu(b.bn(b.conv(x, b.channels(16), 3)))
  let inChannels = b.channels(16)
  for (const [stage, base] of [16, 32, 64].entries()) {
    const filters = b.channels(base)
    for (let i = 0; i < blocks; i++) {
      const stride = stage > 0 && i === 0 ? 2 : 1
      let r = b.relu(b.bn(b.conv(h, filters, 3, stride)))
      r = b.bn(b.conv(r, filters, 3))
      const shortcut = stride !== 1 || inChannels !== filters ? b.bn(b.conv(h, filters, 1, stride)) : h
      h = b.relu(b.add(r, shortcut))
      inChannels = filters
    }
  }
  return b.head(h, classes)
}

/** A small MobileNetV2 (Sandler et al. 2018) sized for small images: stride 1 stem, three stride-2 stages. */
function mobilenet(b: Builder, x: tf.SymbolicTensor, classes: number): tf.SymbolicTensor {
  // [expansion t, channels c, repeats n, first stride s]
  const stages: Array<[number, number, number, number]> = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 2, 2],
    [6, 64, 2, 2],
    [6, 96, 1, 1],
  ]
  let h = b.relu(b.bn(b.conv(x, b.channels(32), 3)), 6)
  let inChannels = b.channels(32)
  for (const [t, c, n, s] of stages) {
    const out = b.channels(c)
    for (let i = 0; i < n; i++) {
      const stride = i === 0 ? s : 1
      let r = t === 1 ? h : b.relu(b.bn(b.conv(h, inChannels * t, 1)), 6)
      r = b.relu(b.bn(b.depthwise(r, stride)), 6)
      r = b.bn(b.conv(r, out, 1))
      h = stride === 1 && inChannels === out ? b.add(h, r) : r
      inChannels = out
    }
  }
  h = b.relu(b.bn(b.conv(h, b.channels(256), 1)), 6)
  return b.head(h, classes)
}

export function createNetwork(spec: NetworkSpec): tf.LayersModel {
  validate(spec)
  const b = new Builder(spec.seed ?? 1, spec.width ?? 1)
  const input = tf.input({ name: 'image', shape: [spec.inputSize, spec.inputSize, spec.channels] })
  let logits: tf.SymbolicTensor
  if (spec.arch === 'cnn') logits = cnn(b, input, spec.classes)
  else if (spec.arch === 'mobilenet') logits = mobilenet(b, input, spec.classes)
  else logits = resnet(b, input, spec.classes, Number(spec.arch.slice('resnet-'.length)))
  return tf.model({ name: spec.arch, inputs: input, outputs: logits })
}

/** Multiply-adds of one layer for one image, from its input and output shapes. */
function layerFlops(layer: tf.layers.Layer): number {
  const kind = layer.getClassName()
  if (kind !== 'Conv2D' && kind !== 'DepthwiseConv2D' && kind !== 'Dense') return 0
  const out = layer.outputShape as number[]
  const inShape = (layer.input as tf.SymbolicTensor).shape
  const inChannels = inShape[inShape.length - 1] ?? 0
  if (kind === 'Dense') return (out[1] ?? 0) * inChannels
  const { kernelSize } = layer.getConfig() as { kernelSize: number[] }
  const [, h = 1, w = 1, c = 1] = out
  const taps = (kernelSize[0] ?? 1) * (kernelSize[1] ?? 1)
  return kind === 'Conv2D' ? h * w * c * taps * inChannels : h * w * c * taps
}

export function describeNetwork(spec: NetworkSpec): NetworkDescription {
  const model = createNetwork(spec)
  try {
    const flops = model.layers.reduce((sum, layer) => sum + layerFlops(layer), 0)
    return { arch: spec.arch, params: model.countParams(), flops }
  } finally {
    model.dispose()
  }
}
