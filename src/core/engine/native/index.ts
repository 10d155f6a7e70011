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

/** An output of a native call: its shape and where the kernels write it in the arena. */
interface NativeOutput {
  shape: readonly number[]
  ptr: number
}

function fromNative(b: BackendWasm, { shape, ptr }: NativeOutput): Info {
  const out = b.makeOutput(shape.slice(), 'float32')
  const size = shape.reduce((a, d) => a * d, 1)
  ;(b.typedArrayFromHeap(out) as Float32Array).set(native!.f32(ptr, size))
  return out
}

/**
 * One native call: a fresh arena, `inputs` copied into it (an absent one as pointer 0), `body` allocating the
 * outputs and running the kernels on their pointers, then the outputs copied out into tfjs tensors (one
 * output as one tensor, a list as a list, as tfjs expects of a kernel).
 */
function nativeCall(
  b: BackendWasm,
  inputs: readonly (Info | undefined)[],
  body: (k: NativeKernels, ptrs: number[]) => NativeOutput,
): Info
function nativeCall(
  b: BackendWasm,
  inputs: readonly (Info | undefined)[],
  body: (k: NativeKernels, ptrs: number[]) => NativeOutput[],
): Info[]
function nativeCall(
  b: BackendWasm,
  inputs: readonly (Info | undefined)[],
  body: (k: NativeKernels, ptrs: number[]) => NativeOutput | NativeOutput[],
): Info | Info[] {
  const k = native!
  k.begin()
  const ptrs = inputs.map((t) => (t ? k.put(b.typedArrayFromHeap(t) as Float32Array) : 0))
  const out = body(k, ptrs)
  return Array.isArray(out) ? out.map((o) => fromNative(b, o)) : fromNative(b, out)
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

/**
 * Floats of V and M (16 × tiles × (ci + co)) a Winograd pass works on: 32 KB, a core's L1 data cache. Measured
 * (bench/conv-kernels.ts, one thread): 16–32 KB passes ran resnet-8's 16-channel layers 1.2–1.3× faster than 256 KB
 * ones (which were no faster than the direct kernel there), the wider layers the same.
 */
const WINOGRAD_PASS_FLOATS = 8192

/**
 * Winograd F(2×2, 3×3) for a convolution run as a forward from ci to co channels with an oh×ow output
 * (native/kernels/winograd.c): 3×3, stride 1, ci a multiple of 4 and co of 8. Returns the tiles a pass and the
 * scratch floats a thread needs (the input padded to whole 4×4 patches, then V and M), or undefined.
 */
function winogradPlan(
  kh: number,
  kw: number,
  stride: number,
  oh: number,
  ow: number,
  ci: number,
  co: number,
) {
  if (kh !== 3 || kw !== 3 || stride !== 1 || ci % 4 !== 0 || co % 8 !== 0) return undefined
  const [th, tw] = [Math.ceil(oh / 2), Math.ceil(ow / 2)]
  const perTile = 16 * (ci + co)
  const block = Math.max(
    4,
    Math.min(Math.ceil((th * tw) / 4), Math.floor(WINOGRAD_PASS_FLOATS / perTile / 4)) * 4,
  )
  const padded = Math.ceil(((2 * th + 2) * (2 * tw + 2) * ci) / 4) * 4
  return { block, scratch: padded + block * perTile }
}

/** U = the Winograd transform of a [3, 3, ci, co] filter at `filter` (16 × ci × co floats), in the arena. */
function winogradFilter(k: NativeKernels, filter: number, ci: number, co: number): number {
  const u = k.alloc(16 * ci * co)
  k.run('cohort_winograd_filter', [ci, co, filter, u], ci)
  return u
}

function fallback(kernelName: string, args: Parameters<tf.KernelFunc>[0]) {
  return replaced.get(kernelName)!(args)
}

type Geometry = NonNullable<ReturnType<typeof convGeometry>>
type GeometryOf = (a: ConvAttrs, xShape: Shape4, filterShape: Shape4) => Geometry | undefined

/**
 * A convolution gradient kernel: for `wrt` 'input', dy and the filter in and dx (the attributes' inputShape)
 * out, `run` writing dx; for 'filter', x and dy in and dw (filterShape) out, `run` writing PARTS partial sums
 * that are then added in a fixed order (dw never depends on the thread count). `run` returns where it wrote;
 * cases `geometryOf` leaves alone go to the replaced kernel.
 */
function convGradient(
  kernelName: string,
  wrt: 'input' | 'filter',
  geometryOf: GeometryOf,
  run: (k: NativeKernels, geometry: Geometry, ptrs: number[]) => number,
): tf.KernelFunc {
  return (args) => {
    const { x, dy, filter } = args.inputs as Record<string, Info>
    const a = args.attrs as unknown as ConvAttrs & { inputShape: Shape4; filterShape: Shape4 }
    const xShape = wrt === 'input' ? a.inputShape : (x!.shape as Shape4)
    const filterShape = wrt === 'filter' ? a.filterShape : (filter!.shape as Shape4)
    const geometry = geometryOf(a, xShape, filterShape)
    if (!geometry) return fallback(kernelName, args)
    const inputs = wrt === 'input' ? [dy, filter] : [x, dy]
    return nativeCall(args.backend as BackendWasm, inputs, (k, ptrs) => {
      const written = run(k, geometry, ptrs)
      if (wrt === 'input') return { shape: xShape, ptr: written }
      const size = filterShape.reduce((s, d) => s * d, 1)
      const ptr = k.alloc(size)
      k.run('cohort_sum_parts', [written, ptr, size, PARTS, PARTS], PARTS)
      return { shape: filterShape, ptr }
    })
  }
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
    const { info, rows, taps, cols, padded } = geometry
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inChannels: ci } = info
    const winograd = sh === sw ? winogradPlan(kh, kw, sh, info.outHeight, info.outWidth, ci, co) : undefined
    return nativeCall(b, [x, filter, bias], (k, [xp, fp, bp]) => {
      const u = winograd ? winogradFilter(k, fp!, ci, co) : 0
      const yp = k.alloc(info.batchSize * rows * co)
      const scratch = k.scratch(Math.max(padded, cols + gemmScratch(co, taps), winograd?.scratch ?? 0))
      const relu = activation === 'relu' ? 1 : 0
      k.run(
        'cohort_conv2d',
        [...geometry.words, xp!, fp!, yp, ...scratch, bp!, relu, u, winograd?.block ?? 0],
        info.batchSize,
      )
      return { shape: [info.batchSize, info.outHeight, info.outWidth, co], ptr: yp }
    })
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
const conv2DBackpropInput = convGradient(
  'Conv2DBackpropInput',
  'input',
  convGeometry,
  (k, geometry, [dyp, fp]) => {
    const { info, taps, padded } = geometry
    const co = info.outChannels
    const dxp = k.alloc(info.batchSize * info.inHeight * info.inWidth * info.inChannels)
    const wide = info.inChannels % 8 === 0
    let scratch: [number, number]
    let flipped = 0
    let columns = 0
    let u = 0
    let block = 0
    if (wide) {
      // input_grad_image at stride 1: a geometry and the padded gradient (or Winograd's scratch)
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inChannels: ci } = info
      const paddedDy = (info.inHeight - 1 + kh) * (info.inWidth - 1 + kw) * co
      const direct = sh === 1 && sw === 1 && info.padInfo.top <= kh - 1 && info.padInfo.left <= kw - 1
      // that forward runs from co to ci channels into the inHeight×inWidth dx
      const winograd = direct ? winogradPlan(kh, kw, 1, info.inHeight, info.inWidth, co, ci) : undefined
      scratch = k.scratch(16 + Math.max(paddedDy, winograd?.scratch ?? 0))
      flipped = k.alloc(taps * co)
      k.run('cohort_conv2d_flip_filter', [...geometry.words, fp!, flipped], kh * kw)
      if (winograd) {
        u = winogradFilter(k, flipped, co, ci)
        block = winograd.block
      }
    } else {
      // input_grad_columns: each column's offset and the padded dx
      const width = Math.ceil(taps / 8) * 8
      scratch = k.scratch(width + padded)
      columns = k.alloc(co * width)
      k.run('cohort_conv2d_filter_columns', [...geometry.words, fp!, columns], co)
    }
    k.run(
      'cohort_conv2d_input_grad',
      [...geometry.words, dyp!, fp!, dxp, ...scratch, flipped, columns, u, block],
      info.batchSize,
    )
    return dxp
  },
)

const conv2DBackpropFilter = convGradient(
  'Conv2DBackpropFilter',
  'filter',
  convGeometry,
  (k, geometry, [xp, dyp]) => {
    const { info, rows, taps, cols, padded } = geometry
    const partials = k.alloc(PARTS * taps * info.outChannels)
    const scratch = k.scratch(Math.max(padded, cols + gemmScratch(info.outChannels, rows)))
    k.run('cohort_conv2d_filter_grad', [...geometry.words, xp!, dyp!, partials, ...scratch, PARTS], PARTS)
    return partials
  },
)

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
  return nativeCall(b, [input, dy], (k, [xp, dyp]) => {
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
        xp!,
        dyp!,
        dxp,
      ],
      info.batchSize,
    )
    return { shape: input.shape, ptr: dxp }
  })
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
  return nativeCall(b, [x, gamma, beta], (k, [xp, gp, bp]) => {
    const [yp, meanp, varp] = [k.alloc(rows * C), k.alloc(C), k.alloc(C)]
    const partials = k.alloc(PARTS * 2 * C * 2) // doubles
    const scratch = k.scratch(2 * C)
    k.run('cohort_batch_norm_stats', [rows, C, xp!, partials, PARTS], PARTS)
    k.run(
      'cohort_batch_norm_apply',
      [rows, C, xp!, gp!, bp!, yp, meanp, varp, partials, PARTS, floatWord(epsilon), ...scratch, PARTS],
      PARTS,
    )
    return [
      { shape: x.shape, ptr: yp },
      { shape: [C], ptr: meanp },
      { shape: [C], ptr: varp },
    ]
  })
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
  return nativeCall(b, [dy, x, gamma, mean, variance], (k, [dyp, xp, gp, mp, vp]) => {
    const [dxp, dgp, dbp] = [k.alloc(rows * C), k.alloc(C), k.alloc(C)]
    const partials = k.alloc(PARTS * 2 * C * 2)
    const scratch = k.scratch(3 * C)
    k.run('cohort_batch_norm_grad_sums', [rows, C, dyp!, xp!, partials, PARTS], PARTS)
    const factors = [gp!, mp!, vp!, dxp, dgp, dbp, partials, PARTS, floatWord(epsilon), ...scratch, PARTS]
    k.run('cohort_batch_norm_grad_apply', [rows, C, dyp!, xp!, ...factors], PARTS)
    return [
      { shape: x.shape, ptr: dxp },
      { shape: [C], ptr: dgp },
      { shape: [C], ptr: dbp },
    ]
  })
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
  return nativeCall(b, [x], (k, [xp]) => {
    const [sp, op, yp] = [k.put(foldedScale), k.put(foldedOffset), k.alloc(rows * C)]
    k.run('cohort_channel_affine', [rows, C, xp!, sp, op, yp, PARTS], PARTS)
    return { shape: x!.shape, ptr: yp }
  })
}

/** Elements per task of an elementwise kernel below which waking another thread costs more than it saves. */
const MIN_ELEMENTS_PER_TASK = 16384
const elementwiseTasks = (n: number) => Math.max(1, Math.min(PARTS, Math.floor(n / MIN_ELEMENTS_PER_TASK)))

const adamUpdate: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { value, m, v, gradient } = args.inputs as Record<'value' | 'm' | 'v' | 'gradient', Info>
  const a = args.attrs as unknown as AdamAttrs
  const n = value.shape.reduce((s, d) => s * d, 1)
  const tasks = elementwiseTasks(n)
  const floats = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.epsilon, -a.learningRate]
  return nativeCall(b, [value, m, v, gradient], (k, [wp, mp, vp, gp]) => {
    const outputs = [k.alloc(n), k.alloc(n), k.alloc(n)]
    const words = [...floats, a.correction1, a.correction2].map(floatWord)
    k.run('cohort_adam', [n, wp!, mp!, vp!, gp!, ...outputs, ...words, tasks], tasks)
    return outputs.map((ptr) => ({ shape: value.shape, ptr }))
  })
}

/** A depthwise convolution the native kernels cover: channel multiplier 1, NHWC, no dilation. */
function depthwiseGeometry(a: ConvAttrs, xShape: Shape4, filterShape: Shape4) {
  return filterShape[3] === 1 ? convGeometry(a, xShape, filterShape, true) : undefined
}

const depthwiseInputGrad = convGradient(
  'DepthwiseConv2dNativeBackpropInput',
  'input',
  depthwiseGeometry,
  (k, { info, words }, [dyp, fp]) => {
    const dxp = k.alloc(info.batchSize * info.inHeight * info.inWidth * info.inChannels)
    k.run('cohort_depthwise_input_grad', [...words, dyp!, fp!, dxp], info.batchSize)
    return dxp
  },
)

const depthwiseFilterGrad = convGradient(
  'DepthwiseConv2dNativeBackpropFilter',
  'filter',
  depthwiseGeometry,
  (k, geometry, [xp, dyp]) => {
    const { filterHeight, filterWidth, inChannels } = geometry.info
    // channel multiplier 1: one filter value per tap and channel
    const partials = k.alloc(PARTS * filterHeight * filterWidth * inChannels)
    k.run('cohort_depthwise_filter_grad', [...geometry.words, xp!, dyp!, partials, PARTS], PARTS)
    return partials
  },
)

const clipGrad: tf.KernelFunc = (args) => {
  const b = args.backend as BackendWasm
  const { dy, x } = args.inputs as { dy: Info; x: Info }
  const { clipValueMin, clipValueMax } = args.attrs as unknown as ClipAttrs
  const n = x.shape.reduce((s, d) => s * d, 1)
  const tasks = elementwiseTasks(n)
  return nativeCall(b, [dy, x], (k, [dyp, xp]) => {
    const dxp = k.alloc(n)
    const bounds = [floatWord(clipValueMin), floatWord(clipValueMax)]
    k.run('cohort_clip_grad', [n, dyp!, xp!, dxp, ...bounds, tasks], tasks)
    return { shape: x.shape, ptr: dxp }
  })
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
 * 14–15 (cnn); stride-2 input gradient 6–6.5 ms vs 22 (resnet-8's 28→14 layer). Since then the 3×3 stride-1
 * forward and input gradient run as Winograd F(2×2, 3×3) (winogradPlan): about 1.3–2× faster again on those
 * shapes, whole networks 1.2–1.6× (docs/BENCHMARKS.md, 2026-12-06 04:30–05:00).
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
