/**
 * Sum and Mean over leading or middle axes (bias and BatchNorm gradients, BatchNorm moments, global
 * average pooling) as one matMul [outer, reduced, inner]ᵀ × [reduced, 1] with a constant column: wasm's own
 * kernels transpose the whole tensor first when the reduced axes are not the innermost (several times slower).
 * The activation must be the transposed *left* operand: wasm packs (and caches by tensor) the right
 * operand, which is cheap for a constant but costly for a fresh activation every step (docs/BENCHMARKS.md).
 * Other cases go to wasm's kernels.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'
import { type Info, free, reshape, run } from './wasm-ops'

interface ReduceAttrs {
  axis: number | number[]
  keepDims: boolean
}

/** [outer, reduced, inner] sizes when the reduced axes are one contiguous run that is not innermost. */
function blockShape(shape: number[], axes: number[]): [number, number, number] | null {
  if (axes.length === 0) return null
  const first = axes[0]!
  const last = axes[axes.length - 1]!
  if (last - first + 1 !== axes.length || last === shape.length - 1) return null
  const size = (from: number, to: number) => shape.slice(from, to).reduce((p, q) => p * q, 1)
  return [size(0, first), size(first, last + 1), size(last + 1, shape.length)]
}

/**
 * [1,length,1] columns filled with one value, kept on the heap for the backend's lifetime: a training run
 * reduces over the same few lengths every step.
 */
const columns = new WeakMap<BackendWasm, Map<string, Info>>()

function constantColumn(b: BackendWasm, length: number, value: number): Info {
  let cache = columns.get(b)
  if (!cache) columns.set(b, (cache = new Map()))
  const key = `${length}:${value}`
  let column = cache.get(key)
  if (!column) {
    column = b.makeOutput([1, length, 1], 'float32')
    ;(b.typedArrayFromHeap(column) as Float32Array).fill(value)
    cache.set(key, column)
  }
  return column
}

function reduceKernel(kernelName: 'Sum' | 'Mean'): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as BackendWasm
    const { x } = inputs as { x: Info }
    const a = attrs as unknown as ReduceAttrs
    const axes = tf.util.parseAxisParam(a.axis, x.shape).sort((p, q) => p - q)
    const block = x.dtype === 'float32' ? blockShape(x.shape, axes) : null
    if (!block) return run(b, kernelName, { x }, { ...a })
    const [outer, reduced, inner] = block
    const outShape = a.keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i))
    const column = constantColumn(b, reduced, kernelName === 'Mean' ? 1 / reduced : 1)
    const x3 = reshape(b, x, [outer, reduced, inner])
    // [outer, inner, 1]: the same order of values as the output.
    const product = run(b, 'BatchMatMul', { a: x3, b: column }, { transposeA: true, transposeB: false })
    const out = reshape(b, product, outShape)
    free(b, x3, product)
    return out
  }
}

export const sumKernel = reduceKernel('Sum')
export const meanKernel = reduceKernel('Mean')
