/**
 * Convolution gradients for the wasm backend, each written as one forward convolution so that it runs on
 * wasm's fast path (XNNPACK) instead of a loop of skinny matMuls:
 * - input gradient = the output gradient, zero-dilated by the stride, convolved with the flipped filter
 *   (input and output channels swapped);
 * - filter gradient = the input convolved with the output gradient, with batch and channels swapped and
 *   the stride turned into a filter dilation.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { type Info, KernelError, pad, reshape, reverse, run, scoped, slice, sum, transpose } from './wasm-ops'

type Shape4 = [number, number, number, number]
type PadAttr = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding
type Rounding = 'floor' | 'round' | 'ceil' | undefined

interface ConvAttrs {
  strides: number | [number, number]
  pad: PadAttr
  dilations?: number | [number, number]
  dataFormat?: 'NHWC' | 'NCHW'
  dimRoundingMode?: Rounding
}

function geometry(kernel: string, attrs: ConvAttrs, xShape: Shape4, filterShape: Shape4, depthwise: boolean) {
  if (attrs.dataFormat === 'NCHW') throw new KernelError(`Cohort's wasm ${kernel} supports only NHWC data`)
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  )
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new KernelError(`Cohort's wasm ${kernel} supports only dilation 1 (tfjs has no gradient for more)`)
  }
  return info
}

/** Explicit NHWC padding; a negative side is returned separately as rows/columns to crop first. */
function split(
  before: number,
  after: number,
): { pad: [number, number]; cropBefore: number; cropAfter: number } {
  return {
    pad: [Math.max(0, before), Math.max(0, after)],
    cropBefore: Math.max(0, -before),
    cropAfter: Math.max(0, -after),
  }
}

/**
 * Prepares the output gradient for an input-gradient convolution: zero-dilated by the stride and cropped
 * where the forward convolution never reached; returns it with the explicit padding still needed.
 */
function dilateForInputGrad(
  b: BackendWasm,
  keep: <T extends Info>(i: T) => T,
  dy: Info,
  info: tf.backend_util.Conv2DInfo,
): { dy: Info; padding: tf.backend_util.ExplicitPadding } {
  const [n, ho, wo, c] = dy.shape as Shape4
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inHeight, inWidth } = info
  let out = dy
  if (sh > 1 || sw > 1) {
    // [N,Ho,1,Wo,1,C] padded to [N,Ho,sh,Wo,sw,C]: every value followed by stride−1 zeros.
    const r = keep(reshape(b, dy, [n, ho, 1, wo, 1, c]))
    const p = keep(
      pad(b, r, [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]),
    )
    out = keep(reshape(b, p, [n, ho * sh, wo * sw, c]))
  }
  // Rows: (kh−1−top) zeros, the dilated gradient (its trailing stride−1 zeros included), then the rest.
  const rows = split(kh - 1 - info.padInfo.top, inHeight + info.padInfo.top - ho * sh)
  const cols = split(kw - 1 - info.padInfo.left, inWidth + info.padInfo.left - wo * sw)
  if (rows.cropBefore + rows.cropAfter + cols.cropBefore + cols.cropAfter > 0) {
    const [, h, w] = out.shape as Shape4
    out = keep(
      slice(
        b,
        out,
        [0, rows.cropBefore, cols.cropBefore, 0],
        [n, h - rows.cropBefore - rows.cropAfter, w - cols.cropBefore - cols.cropAfter, c],
      ),
    )
  }
  return { dy: out, padding: [[0, 0], rows.pad, cols.pad, [0, 0]] }
}

interface InputGradAttrs extends ConvAttrs {
  inputShape: Shape4
}

export const conv2DBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as BackendWasm
  const { dy, filter } = inputs as { dy: Info; filter: Info }
  const a = attrs as unknown as InputGradAttrs
  const info = geometry('Conv2DBackpropInput', a, a.inputShape, filter.shape as Shape4, false)
  return scoped(b, (keep) => {
    const prepared = dilateForInputGrad(b, keep, dy, info)
    // [kh,kw,Ci,Co] → flipped in space, channels swapped: [kh,kw,Co,Ci].
    const flipped = keep(reverse(b, filter, [0, 1]))
    const swapped = keep(transpose(b, flipped, [0, 1, 3, 2]))
    return run(b, 'Conv2D', { x: prepared.dy, filter: swapped }, convAttrs(prepared.padding))
  })
}

export const depthwiseConv2dNativeBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as BackendWasm
  const { dy, filter } = inputs as { dy: Info; filter: Info }
  const a = attrs as unknown as InputGradAttrs
  const [kh, kw, c, m] = filter.shape as Shape4
  const info = geometry('DepthwiseConv2dNativeBackpropInput', a, a.inputShape, [kh, kw, c, m], true)
  return scoped(b, (keep) => {
    const prepared = dilateForInputGrad(b, keep, dy, info)
    // Each of the C·m gradient channels gets its own flipped tap; the m of one input channel are summed.
    const flipped = keep(reverse(b, filter, [0, 1]))
    const perChannel = keep(reshape(b, flipped, [kh, kw, c * m, 1]))
    const dx = run(
      b,
      'DepthwiseConv2dNative',
      { x: prepared.dy, filter: perChannel },
      convAttrs(prepared.padding),
    )
    if (m === 1) return dx
    keep(dx)
    const [n, h, w] = dx.shape as Shape4
    return sum(b, keep(reshape(b, dx, [n, h, w, c, m])), [4])
  })
}

interface FilterGradAttrs extends ConvAttrs {
  filterShape: Shape4
}

/**
 * The input, moved to [X, H, W, Y] layout by `perm`, cropped or padded so that a stride-1 convolution
 * dilated by the forward stride ends exactly at the filter size.
 */
function filterGradGeometry(info: tf.backend_util.Conv2DInfo) {
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, outHeight, outWidth } = info
  const rows = split(info.padInfo.top, kh + (outHeight - 1) * sh - info.inHeight - info.padInfo.top)
  const cols = split(info.padInfo.left, kw + (outWidth - 1) * sw - info.inWidth - info.padInfo.left)
  return { rows, cols, dilations: [sh, sw] as [number, number] }
}

function cropSpatial(
  b: BackendWasm,
  keep: <T extends Info>(i: T) => T,
  x: Info,
  g: ReturnType<typeof filterGradGeometry>,
): Info {
  const { rows, cols } = g
  if (rows.cropBefore + rows.cropAfter + cols.cropBefore + cols.cropAfter === 0) return x
  const [d0, h, w, d3] = x.shape as Shape4
  return keep(
    slice(
      b,
      x,
      [0, rows.cropBefore, cols.cropBefore, 0],
      [d0, h - rows.cropBefore - rows.cropAfter, w - cols.cropBefore - cols.cropAfter, d3],
    ),
  )
}

export const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as BackendWasm
  const { x, dy } = inputs as { x: Info; dy: Info }
  const a = attrs as unknown as FilterGradAttrs
  const info = geometry('Conv2DBackpropFilter', a, x.shape as Shape4, a.filterShape, false)
  const g = filterGradGeometry(info)
  return scoped(b, (keep) => {
    // Batch ↔ channels: [Ci,H,W,N] convolved with the gradient as a [Ho,Wo,N,Co] filter → [Ci,kh,kw,Co].
    const xt = cropSpatial(b, keep, keep(transpose(b, x, [3, 1, 2, 0])), g)
    const dyt = keep(transpose(b, dy, [1, 2, 0, 3]))
    const dw = keep(
      run(
        b,
        'Conv2D',
        { x: xt, filter: dyt },
        convAttrs([[0, 0], g.rows.pad, g.cols.pad, [0, 0]], g.dilations),
      ),
    )
    return transpose(b, dw, [1, 2, 0, 3])
  })
}

/**
 * The depthwise filter gradient is only kh·kw·C·m values, each a sum over the whole batch: one pass over the
 * wasm heap. (As a depthwise convolution of the N·C-channel image with a Ho×Wo "filter" it was several times
 * slower: XNNPACK's depthwise kernels are built for 3×3 and 5×5 filters, not image-sized ones.)
 */
export const depthwiseConv2dNativeBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as BackendWasm
  const { x, dy } = inputs as { x: Info; dy: Info }
  const a = attrs as unknown as FilterGradAttrs
  const [kh, kw, c, m] = a.filterShape
  const info = geometry('DepthwiseConv2dNativeBackpropFilter', a, x.shape as Shape4, a.filterShape, true)
  const {
    batchSize,
    inHeight: H,
    inWidth: W,
    outHeight: Ho,
    outWidth: Wo,
    strideHeight: sh,
    strideWidth: sw,
  } = info
  const top = info.padInfo.top
  const left = info.padInfo.left
  const cm = c * m
  // Float64 sums: each filter value adds up N·Ho·Wo products.
  const acc = new Float64Array(kh * kw * cm)
  const out = b.makeOutput([kh, kw, c, m], 'float32')
  const xs = b.typedArrayFromHeap(x) as Float32Array
  const gs = b.typedArrayFromHeap(dy) as Float32Array
  for (let n = 0; n < batchSize; n++) {
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        const gBase = ((n * Ho + i) * Wo + j) * cm
        for (let fa = 0; fa < kh; fa++) {
          const r = i * sh + fa - top
          if (r < 0 || r >= H) continue
          for (let fb = 0; fb < kw; fb++) {
            const q = j * sw + fb - left
            if (q < 0 || q >= W) continue
            const xBase = ((n * H + r) * W + q) * c
            const wBase = (fa * kw + fb) * cm
            if (m === 1) {
              for (let k = 0; k < c; k++) acc[wBase + k]! += xs[xBase + k]! * gs[gBase + k]!
            } else {
              for (let k = 0; k < c; k++) {
                const v = xs[xBase + k]!
                for (let d = 0; d < m; d++) acc[wBase + k * m + d]! += v * gs[gBase + k * m + d]!
              }
            }
          }
        }
      }
    }
  }
  ;(b.typedArrayFromHeap(out) as Float32Array).set(acc)
  return out
}

function convAttrs(padding: tf.backend_util.ExplicitPadding, dilations: [number, number] = [1, 1]) {
  return { strides: [1, 1], pad: padding, dilations, dataFormat: 'NHWC', dimRoundingMode: undefined }
}
