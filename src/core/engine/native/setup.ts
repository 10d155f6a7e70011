/**
 * Decides whether the wasm backend trains on Cohort's native kernels and with how many threads, and keeps
 * the one loaded instance per process (reloaded only when the thread count changes).
 */
import { availableParallelism } from 'node:os'
import { NativeKernelError, NativeKernels } from './kernels'
import { registerNativeKernels, unregisterNativeKernels } from './index'

export class ThreadsSettingError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ThreadsSettingError'
  }
}

const MAX_THREADS = 64

/**
 * Threads per network: COHORT_THREADS if set, else the cores shared evenly by the networks training at
 * once (a group of two on two cores: one each, which is what pays there).
 */
export function nativeThreads(concurrentNetworks = 1): number {
  const setting = process.env.COHORT_THREADS?.trim()
  if (setting) {
    const threads = Number(setting)
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      throw new ThreadsSettingError(
        `COHORT_THREADS must be a whole number from 1 to ${MAX_THREADS}, got "${setting}"`,
      )
    }
    return threads
  }
  return Math.max(1, Math.floor(availableParallelism() / Math.max(1, concurrentNetworks)))
}

export interface NativeSetup {
  /** threads the native kernels compute with (1 when they are off) */
  threads: number
  kernels: string[]
  /** set when the native kernels are not used, saying why */
  note?: string
}

let loaded: NativeKernels | undefined

function off(note: string): NativeSetup {
  unregisterNativeKernels()
  void loaded?.close()
  loaded = undefined
  return { threads: 1, kernels: [], note }
}

/** Registers the native kernels on the wasm backend with `threads` threads, or explains why not. */
export function setUpNativeKernels(threads: number): NativeSetup {
  if (process.env.COHORT_NATIVE?.trim() === '0') {
    return off('native kernels are off (COHORT_NATIVE=0): training uses the slower JavaScript kernels')
  }
  if (!loaded || loaded.threads !== threads) {
    const previous = loaded
    try {
      loaded = NativeKernels.load(threads)
    } catch (error) {
      if (!(error instanceof NativeKernelError)) throw error
      loaded = previous
      return off(
        `native kernels could not load: ${error.message}; training uses the slower JavaScript kernels`,
      )
    }
    void previous?.close()
  }
  return { threads: loaded.threads, kernels: registerNativeKernels(loaded) }
}

/** Ends the native kernels' pool threads (a network worker shutting down). */
export async function closeNativeKernels(): Promise<void> {
  unregisterNativeKernels()
  const closing = loaded
  loaded = undefined
  await closing?.close()
}
