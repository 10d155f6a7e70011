/**
 * Calls wasm kernels directly on TensorInfos, the way tfjs's own composite kernels do: no engine
 * bookkeeping, no tape, and every intermediate freed by the caller with `free`.
 */
import * as tf from '@tensorflow/tfjs'
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm'

export type Info = tf.TensorInfo

export class KernelError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KernelError'
  }
}

/** The kernel functions wasm itself registered, captured before Cohort replaces any of them. */
const originals = new Map<string, tf.KernelFunc>()

export function rememberOriginal(kernelName: string): void {
  if (originals.has(kernelName)) return
  const config = tf.getKernel(kernelName, 'wasm')
  if (config) originals.set(kernelName, config.kernelFunc)
}

function kernelFunc(kernelName: string): tf.KernelFunc {
  const own = originals.get(kernelName) ?? tf.getKernel(kernelName, 'wasm')?.kernelFunc
  if (!own) throw new KernelError(`the wasm backend has no ${kernelName} kernel`)
  return own
}

export function run(
  backend: BackendWasm,
  kernelName: string,
  inputs: Record<string, Info>,
  attrs: Record<string, unknown> = {},
): Info {
  const out = kernelFunc(kernelName)({ inputs, backend, attrs: attrs as tf.NamedAttrMap })
  if (Array.isArray(out))
    throw new KernelError(`${kernelName} returned several outputs where one was expected`)
  return out
}

export function free(backend: BackendWasm, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId)
}

export const reshape = (b: BackendWasm, x: Info, shape: number[]): Info => run(b, 'Reshape', { x }, { shape })
export const transpose = (b: BackendWasm, x: Info, perm: number[]): Info =>
  run(b, 'Transpose', { x }, { perm })
export const reverse = (b: BackendWasm, x: Info, dims: number[]): Info => run(b, 'Reverse', { x }, { dims })
export const sum = (b: BackendWasm, x: Info, axis: number[]): Info =>
  run(b, 'Sum', { x }, { axis, keepDims: false })
export const slice = (b: BackendWasm, x: Info, begin: number[], size: number[]): Info =>
  run(b, 'Slice', { x }, { begin, size })
export const pad = (b: BackendWasm, x: Info, paddings: Array<[number, number]>): Info =>
  run(b, 'PadV2', { x }, { paddings, constantValue: 0 })

/** Runs `f` and frees every TensorInfo it allocated through `keep` except the returned one. */
export function scoped(backend: BackendWasm, f: (keep: <T extends Info>(info: T) => T) => Info): Info {
  const made: Info[] = []
  let result: Info | undefined
  try {
    result = f((info) => {
      made.push(info)
      return info
    })
    return result
  } finally {
    for (const info of made) if (info !== result) backend.disposeData(info.dataId)
  }
}
