/**
 * Chooses the TensorFlow.js backend once at start-up: native `tensorflow` (optional dependency) →
 * `wasm` with Cohort's training kernels (native SIMD + threads kernels where they load, JavaScript ones
 * otherwise) → pure-JS `cpu`. Every other engine module just uses `tf`.
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { BackendName } from '../../shared/types'
import { registerCohortKernels } from './kernels'
import { ThreadsSettingError, nativeThreads, setUpNativeKernels } from './native/setup'

export type { BackendName }
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu']

export interface BackendInfo {
  name: BackendName
  /** threads one network computes with (wasm: the native kernels' pool, the caller's thread included) */
  threads?: number
  /** Cohort kernels registered for this backend */
  kernels: string[]
  /** why the wasm backend runs without Cohort's native kernels, when it does */
  note?: string
}

export interface BackendOptions {
  /** networks training at the same time in this process's group: they share the cores */
  concurrentNetworks?: number
}

export class BackendError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BackendError'
  }
}

function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name)
}

/** The directory holding the wasm binaries; resolved as a file path so it works in Node and Electron. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url)
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')
}

async function loadTensorflow(): Promise<void> {
  // A variable specifier keeps tsc and bundlers from requiring the optional package at build time.
  const specifier = '@tensorflow/tfjs-node'
  try {
    await import(/* @vite-ignore */ specifier)
  } catch (error) {
    throw new BackendError(`@tensorflow/tfjs-node is not installed or failed to load (${reason(error)})`)
  }
}

async function loadWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  const dir = wasmBinaryDir()
  wasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': path.join(dir, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': path.join(dir, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': path.join(dir, 'tfjs-backend-wasm-threaded-simd.wasm'),
  })
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.split('\n')[0] ?? text
}

function threadsFor(options: BackendOptions): number {
  try {
    return nativeThreads(options.concurrentNetworks)
  } catch (error) {
    if (error instanceof ThreadsSettingError) throw new BackendError(error.message)
    throw error
  }
}

async function tryBackend(name: BackendName, threads: number): Promise<BackendInfo> {
  if (name === 'tensorflow') await loadTensorflow()
  if (name === 'wasm') await loadWasm()
  let ok: boolean
  try {
    ok = await tf.setBackend(name)
  } catch (error) {
    throw new BackendError(`the ${name} backend failed to initialise (${reason(error)})`)
  }
  if (!ok) throw new BackendError(`the ${name} backend failed to initialise`)
  await tf.ready()
  if (name !== 'wasm') return { name, threads: name === 'tensorflow' ? undefined : 1, kernels: [] }
  const kernels = registerCohortKernels()
  const native = setUpNativeKernels(threads)
  const all = [...new Set([...kernels, ...native.kernels])]
  const info: BackendInfo = { name, threads: native.threads, kernels: all }
  if (native.note) info.note = native.note
  return info
}

/**
 * Selects the backend: `preferred` (or the COHORT_BACKEND environment variable) forces one and throws a
 * BackendError naming it when it cannot load; otherwise the fastest that loads wins.
 */
export async function initBackend(
  preferred?: BackendName,
  options: BackendOptions = {},
): Promise<BackendInfo> {
  // Cohort reports its backend itself; tfjs's console advice ("install tfjs-node") would only confuse users.
  tf.env().set('PROD', true)
  // A bad COHORT_THREADS is an error of its own, not a reason to fall back to a slower backend.
  const threads = threadsFor(options)
  const forced = preferred ?? process.env.COHORT_BACKEND?.trim()
  if (forced) {
    if (!isBackendName(forced)) {
      throw new BackendError(
        `unknown backend "${forced}" (COHORT_BACKEND or --backend); choose one of ${BACKEND_NAMES.join(', ')}`,
      )
    }
    try {
      return await tryBackend(forced, threads)
    } catch (error) {
      if (error instanceof BackendError)
        throw new BackendError(`cannot use the requested backend: ${error.message}`)
      throw error
    }
  }
  const failures: string[] = []
  for (const name of BACKEND_NAMES) {
    try {
      return await tryBackend(name, threads)
    } catch (error) {
      failures.push(reason(error))
    }
  }
  throw new BackendError(`no TensorFlow.js backend could be loaded: ${failures.join('; ')}`)
}
