/**
 * Registers Cohort's native kernels under tfjs kernel names on the wasm backend, in place of the ones
 * they beat (measured; see docs/ARCHITECTURE.md). Each one copies its tfjs inputs into the native arena,
 * runs on every pool thread and copies the result into a tfjs output. A case a native kernel does not
 * cover (NCHW, dilation, an activation other than ReLU) goes to the kernel it replaced.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { ADAM_UPDATE, type AdamAttrs } from '../adam'
import { CLIP_GRAD, installClipGradient } from '../clip-gradient'
import { BATCH_NORM_TRAIN, BATCH_NORM_TRAIN_GRAD, type BatchNormAttrs } from '../kernels/batch-norm'
import { type NativeKernels, floatWord } from './kernels'

type Info = tf.TensorInfo
type Shape4 = [number, number, number, number]

/** Filter-gradient and BatchNorm sums are split into this many fixed parts, whatever the thread count. */
const PARTS = 8

let native: NativeKernels | undefined
/** The kernel each native one replaced, for the cases it leaves to it and for unregistering. */
const replaced = new Map<string, tf.KernelFunc>()

function toNative(b: BackendWasm, info: Info): number {
  return native!.put(b.typedArrayFromHeap(info) as Float32Array)
}

function fromNative(b: BackendWasm, shape: number[], ptr: number): Info {
  const out = b.makeOutput(shape, 'float32')
  const size = shape.reduce((a, d) => a * d, 1)
  ;(b.typedArrayFromHeap(out) as Float32Array).set(native!.f32(ptr, size))
  return out
}

/** gemm_scratch_floats in native/kernels/gemm.c: B packed in 8-column panels, one A panel, an edge tile. */
const gemmScratch = (n: number, k: number) => Math.ceil(n / 8) * 8 * k + 4 * k + 32

interface ConvAttrs {
  strides: number | [number, number]
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding
  dilations?: number | [number, number]
  dataFormat?: 'NHWC' | 'NCHW'
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

/** The conv geometry words of native/kernels/common.h, or undefined for a case the kernels leave alone. */
function convGeometry(a: ConvAttrs, xShape: Shape4, filterShape: Shape4, depthwise = false) {
  if (a.dataFormat === 'NCHW') return undefined
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    a.strides,
    a.dilations ?? 1,
    a.pad,
    a.dimRoundingMode,
    depthwise,
    'channelsLast',
  )
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined
  const words = [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ]
  const pointwise =
    info.filterHeight === 1 &&
    info.filterWidth === 1 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.padInfo.top === 0 &&
    info.padInfo.left === 0 &&
    info.outHeight === info.inHeight &&
    info.outWidth === info.inWidth
  const rows = info.outHeight * info.outWidth
  const taps = info.filterHeight * info.filterWidth * info.inChannels
  // The direct kernels' padded image (every tap of every output pixel inside it).
  const padded =
    ((info.outHeight - 1) * info.strideHeight + info.filterHeight) *
    ((info.outWidth - 1) * info.strideWidth + info.filterWidth) *
    info.inChannels
  return { info, words, rows, taps, cols: pointwise ? 0 : rows * taps, padded }
}

function fallback(kernelName: string, args: Parameters<tf.KernelFunc>[0]) {
  return replaced.get(kernelName)!(args)
}

interface FusedAttrs extends ConvAttrs {
  activation?: string
}

/** The forward's taps per output below which XNNPACK is faster (bench/conv-kernels.ts, one thread). */
const MIN_FORWARD_TAPS = 64

export function conv2dForward(kernelName: string): tf.KernelFunc {
  return (args) => {
    const b = args.backend as BackendWasm
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, Info | undefined>
    const a = args.attrs as unknown as FusedAttrs
    const activation = a.activation ?? 'linear'
    const geometry = convGeometry(a, x!.shape as Shape4, filter!.shape as Shape4)
    const co = filter!.shape[3]!
    const plainBias = !bias || (bias.shape.length === 1 && bias.shape[0] === co)
    // Only the direct kernel (8-wide output channels) is measured faster than XNNPACK, and only with enough
    // taps per output (kh·kw·Ci): stems (9, 27) and thin 1×1 layers (16, 24) are faster on XNNPACK.
    if (
      !geometry ||
      co % 8 !== 0 ||
      geometry.taps < MIN_FORWARD_TAPS ||
      preluActivationWeights ||
      !plainBias ||
      (activation !== 'linear' && activation !== 'relu')
    )
      return fallback(kernelName, args)
    const k = native!
    k.begin()
    const xp = toNative(b, x!)
    const fp = toNative(b, filter!)
    const bp = bias ? toNative(b, bias) : 0
    const { info, rows, taps, cols, padded } = geometry
    const yp = k.alloc(info.batchSize * rows * co)
    const scratch = k.scratch(Math.max(padded, cols + gemmScratch(co, taps)))
    k.run(
      'cohort_conv2d',
      [...geometry.words, xp, fp, yp, ...scratch, bp, activation === 'relu' ? 1 : 0],
      info.batchSize,
    )
    return fromNative(b, [info.batchSize, info.outHeight, info.outWidth, co], yp)
  }
}

/**
 * The input gradient natively, direct in every case (conv.c). 8-wide input channels: at stride 1 the forward of
 * dy with the filter turned half a circle, strided a scatter of dy · Wᵀ into dx (the JS kernel convolves the
 * zero-dilated gradient: stride² the work); both read the turned filter (cohort_conv2d_flip_filter). Other
 * channel counts (the stems): 8 (ky, kx, c) columns at a time into a padded dx (cohort_conv2d_filter_columns).
 * Native at every stride keeps a result independent of the thread count (a group's workers and one process
 * train identically).
 */
const conv2DBackpropInput: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { dy, filter } = args.inputs as { dy: Info; filter: Info }
  const a = args.attrs as unknown as ConvAttrs & { inputShape: Shape4 }
  const geometry = convGeometry(a, a.inputShape, filter.shape as Shape4)
  if (!geometry) return fallback('Conv2DBackpropInput', args)
  const k = native!
  k.begin()
  const dyp = toNative(b, dy)
  const fp = toNative(b, filter)
  const { info, taps, padded } = geometry
  const co = info.outChannels
  const dxp = k.alloc(info.batchSize * info.inHeight * info.inWidth * info.inChannels)
  const wide = info.inChannels % 8 === 0
  let scratch: [number, number]
  let flipped = 0
  let columns = 0
  if (wide) {
    // input_grad_image at stride 1: a geometry and the padded gradient
    const paddedDy = (info.inHeight - 1 + info.filterHeight) * (info.inWidth - 1 + info.filterWidth) * co
    scratch = k.scratch(16 + paddedDy)
    flipped = k.alloc(taps * co)
    k.run('cohort_conv2d_flip_filter', [...geometry.words, fp, flipped], info.filterHeight * info.filterWidth)
  } else {
    // input_grad_columns: each column's offset and the padded dx
    const width = Math.ceil(taps / 8) * 8
    scratch = k.scratch(width + padded)
    columns = k.alloc(co * width)
    k.run('cohort_conv2d_filter_columns', [...geometry.words, fp, columns], co)
  }
  k.run(
    'cohort_conv2d_input_grad',
    [...geometry.words, dyp, fp, dxp, ...scratch, flipped, columns],
    info.batchSize,
  )
  return fromNative(b, a.inputShape, dxp)
}

const conv2DBackpropFilter: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { x, dy } = args.inputs as { x: Info; dy: Info }
  const a = args.attrs as unknown as ConvAttrs & { filterShape: Shape4 }
  const geometry = convGeometry(a, x.shape as Shape4, a.filterShape)
  if (!geometry) return fallback('Conv2DBackpropFilter', args)
  const k = native!
  k.begin()
  const xp = toNative(b, x)
  const dyp = toNative(b, dy)
  const { info, rows, taps, cols, padded } = geometry
  const size = taps * info.outChannels
  const partials = k.alloc(PARTS * size)
  const dwp = k.alloc(size)
  const scratch = k.scratch(Math.max(padded, cols + gemmScratch(info.outChannels, rows)))
  k.run('cohort_conv2d_filter_grad', [...geometry.words, xp, dyp, partials, ...scratch, PARTS], PARTS)
  k.run('cohort_sum_parts', [partials, dwp, size, PARTS, PARTS], PARTS)
  return fromNative(b, a.filterShape, dwp)
}

interface PoolAttrs {
  filterSize: number | [number, number]
  strides: number | [number, number]
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

const maxPoolGrad: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { dy, input } = args.inputs as { dy: Info; input: Info }
  const a = args.attrs as unknown as PoolAttrs
  if (input.shape.length !== 4) return fallback('MaxPoolGrad', args)
  const info = tf.backend_util.computePool2DInfo(
    input.shape as Shape4,
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  )
  const k = native!
  k.begin()
  const xp = toNative(b, input)
  const dyp = toNative(b, dy)
  const dxp = k.alloc(input.shape.reduce((s, d) => s * d, 1))
  k.run(
    'cohort_max_pool_grad',
    [
      info.batchSize,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
      xp,
      dyp,
      dxp,
    ],
    info.batchSize,
  )
  return fromNative(b, input.shape, dxp)
}

/** [rows, channels] of channels-last float data, or undefined for anything else. */
function rowsAndChannels(x: Info): [number, number] | undefined {
  const channels = x.shape[x.shape.length - 1]
  if (x.dtype !== 'float32' || !channels) return undefined
  return [x.shape.reduce((s, d) => s * d, 1) / channels, channels]
}

const batchNormTrain: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { x, gamma, beta } = args.inputs as { x: Info; gamma: Info; beta: Info }
  const { epsilon } = args.attrs as unknown as BatchNormAttrs
  const shape = rowsAndChannels(x)
  if (!shape) return fallback(BATCH_NORM_TRAIN, args)
  const [rows, C] = shape
  const k = native!
  k.begin()
  const xp = toNative(b, x)
  const gp = toNative(b, gamma)
  const bp = toNative(b, beta)
  const yp = k.alloc(rows * C)
  const meanp = k.alloc(C)
  const varp = k.alloc(C)
  const partials = k.alloc(PARTS * 2 * C * 2) // doubles
  const scratch = k.scratch(2 * C)
  k.run('cohort_batch_norm_stats', [rows, C, xp, partials, PARTS], PARTS)
  k.run(
    'cohort_batch_norm_apply',
    [rows, C, xp, gp, bp, yp, meanp, varp, partials, PARTS, floatWord(epsilon), ...scratch, PARTS],
    PARTS,
  )
  return [fromNative(b, x.shape, yp), fromNative(b, [C], meanp), fromNative(b, [C], varp)]
}

const batchNormTrainGrad: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { dy, x, gamma, mean, variance } = args.inputs as Record<
    'dy' | 'x' | 'gamma' | 'mean' | 'variance',
    Info
  >
  const { epsilon } = args.attrs as unknown as BatchNormAttrs
  const shape = rowsAndChannels(x)
  if (!shape) return fallback(BATCH_NORM_TRAIN_GRAD, args)
  const [rows, C] = shape
  const k = native!
  k.begin()
  const dyp = toNative(b, dy)
  const xp = toNative(b, x)
  const gp = toNative(b, gamma)
  const mp = toNative(b, mean)
  const vp = toNative(b, variance)
  const dxp = k.alloc(rows * C)
  const dgp = k.alloc(C)
  const dbp = k.alloc(C)
  const partials = k.alloc(PARTS * 2 * C * 2)
  const scratch = k.scratch(3 * C)
  k.run('cohort_batch_norm_grad_sums', [rows, C, dyp, xp, partials, PARTS], PARTS)
  k.run(
    'cohort_batch_norm_grad_apply',
    [rows, C, dyp, xp, gp, mp, vp, dxp, dgp, dbp, partials, PARTS, floatWord(epsilon), ...scratch, PARTS],
    PARTS,
  )
  return [fromNative(b, x.shape, dxp), fromNative(b, [C], dgp), fromNative(b, [C], dbp)]
}

interface InferenceBatchNormAttrs {
  varianceEpsilon: number
}

/**
 * BatchNorm in inference mode (moving statistics): folded into one scale and offset per channel here, so the
 * kernel is a SIMD multiply-add instead of tfjs-wasm's per-element square root and division.
 */
const batchNormInference: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { x, mean, variance, offset, scale } = args.inputs as Record<string, Info | undefined>
  const shape = rowsAndChannels(x!)
  const perChannel = (t: Info | undefined) => !t || (t.shape.length === 1 && t.shape[0] === shape?.[1])
  if (!shape || ![mean, variance, offset, scale].every(perChannel) || !mean || !variance) {
    return fallback('FusedBatchNorm', args)
  }
  const [rows, C] = shape
  const { varianceEpsilon } = args.attrs as unknown as InferenceBatchNormAttrs
  const read = (t: Info | undefined) => (t ? (b.typedArrayFromHeap(t) as Float32Array) : undefined)
  const [m, v, o, g] = [read(mean)!, read(variance)!, read(offset), read(scale)]
  const foldedScale = new Float32Array(C)
  const foldedOffset = new Float32Array(C)
  for (let c = 0; c < C; c++) {
    const s = (g ? g[c]! : 1) / Math.sqrt(v[c]! + varianceEpsilon)
    foldedScale[c] = s
    foldedOffset[c] = (o ? o[c]! : 0) - m[c]! * s
  }
  const k = native!
  k.begin()
  const xp = toNative(b, x!)
  const sp = k.put(foldedScale)
  const op = k.put(foldedOffset)
  const yp = k.alloc(rows * C)
  k.run('cohort_channel_affine', [rows, C, xp, sp, op, yp, PARTS], PARTS)
  return fromNative(b, x!.shape, yp)
}

/** Elements per task of an elementwise kernel below which waking another thread costs more than it saves. */
const MIN_ELEMENTS_PER_TASK = 16384

const adamUpdate: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { value, m, v, gradient } = args.inputs as Record<'value' | 'm' | 'v' | 'gradient', Info>
  const a = args.attrs as unknown as AdamAttrs
  const n = value.shape.reduce((s, d) => s * d, 1)
  const k = native!
  k.begin()
  const [wp, mp, vp, gp] = [value, m, v, gradient].map((t) => toNative(b, t))
  const [w1, m1, v1] = [k.alloc(n), k.alloc(n), k.alloc(n)]
  const tasks = Math.max(1, Math.min(PARTS, Math.floor(n / MIN_ELEMENTS_PER_TASK)))
  const floats = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.epsilon, -a.learningRate]
  k.run(
    'cohort_adam',
    [n, wp!, mp!, vp!, gp!, w1, m1, v1, ...[...floats, a.correction1, a.correction2].map(floatWord), tasks],
    tasks,
  )
  return [w1, m1, v1].map((ptr) => fromNative(b, value.shape, ptr))
}

/** A depthwise convolution the native kernels cover: channel multiplier 1, NHWC, no dilation. */
function depthwiseGeometry(a: ConvAttrs, xShape: Shape4, filterShape: Shape4) {
  return filterShape[3] === 1 ? convGeometry(a, xShape, filterShape, true) : undefined
}

const depthwiseInputGrad: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { dy, filter } = args.inputs as { dy: Info; filter: Info }
  const a = args.attrs as unknown as ConvAttrs & { inputShape: Shape4 }
  const geometry = depthwiseGeometry(a, a.inputShape, filter.shape as Shape4)
  if (!geometry) return fallback('DepthwiseConv2dNativeBackpropInput', args)
  const k = native!
  k.begin()
  const dyp = toNative(b, dy)
  const fp = toNative(b, filter)
  const dxp = k.alloc(a.inputShape.reduce((s, d) => s * d, 1))
  k.run('cohort_depthwise_input_grad', [...geometry.words, dyp, fp, dxp], geometry.info.batchSize)
  return fromNative(b, a.inputShape, dxp)
}

const depthwiseFilterGrad: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { x, dy } = args.inputs as { x: Info; dy: Info }
  const a = args.attrs as unknown as ConvAttrs & { filterShape: Shape4 }
  const geometry = depthwiseGeometry(a, x.shape as Shape4, a.filterShape)
  if (!geometry) return fallback('DepthwiseConv2dNativeBackpropFilter', args)
  const k = native!
  k.begin()
  const xp = toNative(b, x)
  const dyp = toNative(b, dy)
  const size = a.filterShape.reduce((s, d) => s * d, 1)
  const partials = k.alloc(PARTS * size)
  const dwp = k.alloc(size)
  k.run('cohort_depthwise_filter_grad', [...geometry.words, xp, dyp, partials, PARTS], PARTS)
  k.run('cohort_sum_parts', [partials, dwp, size, PARTS, PARTS], PARTS)
  return fromNative(b, a.filterShape, dwp)
}

const clipGrad: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { dy, x } = args.inputs as { dy: Info; x: Info }
  const { clipValueMin, clipValueMax } = args.attrs as unknown as ClipAttrs
  const n = x.shape.reduce((s, d) => s * d, 1)
  const k = native!
  k.begin()
  const dyp = toNative(b, dy)
  const xp = toNative(b, x)
  const dxp = k.alloc(n)
  const tasks = Math.max(1, Math.min(PARTS, Math.floor(n / MIN_ELEMENTS_PER_TASK)))
  k.run('cohort_clip_grad', [n, dyp, xp, dxp, floatWord(clipValueMin), floatWord(clipValueMax), tasks], tasks)
  return fromNative(b, x.shape, dxp)
}

interface ClipAttrs {
  clipValueMin: number
  clipValueMax: number
}

/**
 * Registered only where measured faster (`npx tsx bench/conv-kernels.ts`: one thread, 2-core EPYC, medians of 9,
 * new filter each call; resnet-8 at batch 128, cnn at batch 64, 3×3 stride 1 unless said): forward 9.9–11.1 ms
 * vs XNNPACK's 12.8–13.5 on resnet-8's three shapes, 12.6–13.2 vs 16.5–16.8 on cnn's (stems and thin 1×1
 * layers stay on XNNPACK: MIN_FORWARD_TAPS); filter gradient 9.4–10.7 ms vs 17–19 for the JS kernel (resnet-8),
 * 12.3–13.2 vs 25–26 (cnn); stride-1 input gradient 10–11 vs the JS kernel's 10.5–12 (resnet-8), 13–14 vs
 * 14–15 (cnn); stride-2 input gradient 6–6.5 ms vs 22 (resnet-8's 28→14 layer).
 */
export const NATIVE_KERNELS: ReadonlyArray<{ kernelName: string; kernelFunc: tf.KernelFunc }> = [
  { kernelName: 'Conv2D', kernelFunc: conv2dForward('Conv2D') },
  { kernelName: 'FusedConv2D', kernelFunc: conv2dForward('FusedConv2D') },
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilter },
  { kernelName: 'Conv2DBackpropInput', kernelFunc: conv2DBackpropInput },
  { kernelName: 'MaxPoolGrad', kernelFunc: maxPoolGrad },
  { kernelName: BATCH_NORM_TRAIN, kernelFunc: batchNormTrain },
  { kernelName: 'FusedBatchNorm', kernelFunc: batchNormInference },
  { kernelName: ADAM_UPDATE, kernelFunc: adamUpdate },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', kernelFunc: depthwiseInputGrad },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', kernelFunc: depthwiseFilterGrad },
  { kernelName: CLIP_GRAD, kernelFunc: clipGrad },
  { kernelName: BATCH_NORM_TRAIN_GRAD, kernelFunc: batchNormTrainGrad },
]

function swap(kernelName: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm')
  tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc })
}

/**
 * Puts the native kernels in place on the wasm backend, running on `kernels` (registered over whatever is
 * there: Cohort's JS kernels or wasm's own). Returns the names registered.
 */
export function registerNativeKernels(kernels: NativeKernels): string[] {
  native = kernels
  installClipGradient()
  for (const { kernelName, kernelFunc } of NATIVE_KERNELS) {
    const existing = tf.getKernel(kernelName, 'wasm')
    if (existing?.kernelFunc === kernelFunc) continue
    if (existing) replaced.set(kernelName, existing.kernelFunc)
    swap(kernelName, kernelFunc)
  }
  return NATIVE_KERNELS.map((k) => k.kernelName)
}

/** Puts back the kernels the native ones replaced. */
export function unregisterNativeKernels(): void {
  for (const { kernelName, kernelFunc } of NATIVE_KERNELS) {
    if (tf.getKernel(kernelName, 'wasm')?.kernelFunc !== kernelFunc) continue
    const previous = replaced.get(kernelName)
    if (previous) swap(kernelName, previous)
    else tf.unregisterKernel(kernelName, 'wasm')
  }
  native = undefined
}
