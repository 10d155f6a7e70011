/**
 * Cohort's native kernels (native/kernels/*.c, built into resources/kernels/cohort-kernels.wasm): loads the
 * module into one shared WebAssembly.Memory and runs its kernels on a thread pool. A call copies its inputs
 * into a per-call arena on that memory (reset by the next call, grown only when a bigger call comes: no
 * per-call allocation), runs, and the caller copies the outputs out.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ThreadPool } from './pool'

export const KERNEL_NAMES = [
  'cohort_gemm',
  'cohort_conv2d',
  'cohort_conv2d_input_grad',
  'cohort_conv2d_flip_filter',
  'cohort_conv2d_filter_columns',
  'cohort_winograd_filter',
  'cohort_conv2d_filter_grad',
  'cohort_sum_parts',
  'cohort_max_pool_grad',
  'cohort_batch_norm_stats',
  'cohort_batch_norm_apply',
  'cohort_batch_norm_grad_sums',
  'cohort_batch_norm_grad_apply',
  'cohort_channel_affine',
  'cohort_adam',
  'cohort_depthwise_input_grad',
  'cohort_depthwise_filter_grad',
  'cohort_clip_grad',
] as const
export type KernelName = (typeof KERNEL_NAMES)[number]

export const WASM_FILE = 'cohort-kernels.wasm'
const PAGE = 65536
/** Below this the module's own (unused) stack and data; the parameter block and arena follow. */
const ARENA_BASE = 1 << 20
const PARAM_WORDS = 64
const MAX_PAGES = 32768 // 2 GiB, as linked

export class NativeKernelError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NativeKernelError'
  }
}

/**
 * The committed binary: COHORT_NATIVE_WASM if set, else resources/kernels/ found by walking up from this
 * module (the same file serves the sources run by tsx and the bundles in out/).
 */
export function kernelsWasmPath(): string {
  const override = process.env.COHORT_NATIVE_WASM?.trim()
  if (override) return override
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let up = 0; up < 8; up++) {
    const candidate = path.join(dir, 'resources', 'kernels', WASM_FILE)
    if (existsSync(candidate)) return candidate
    dir = path.dirname(dir)
  }
  return path.join('resources', 'kernels', WASM_FILE)
}

/** One pointer-and-length region of the arena, in bytes. */
export interface Region {
  ptr: number
  length: number
}

export class NativeKernels {
  private readonly fns: Array<(params: number, task: number, thread: number) => void>
  private readonly pool: ThreadPool
  private top = ARENA_BASE + PARAM_WORDS * 4

  private constructor(
    private readonly memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    threads: number,
  ) {
    const instance = new WebAssembly.Instance(module, { env: { memory } })
    this.fns = KERNEL_NAMES.map((name) => {
      const fn = instance.exports[name]
      if (typeof fn !== 'function') throw new NativeKernelError(`${WASM_FILE} has no ${name} kernel`)
      return fn as (params: number, task: number, thread: number) => void
    })
    this.pool = new ThreadPool(threads, module, memory, KERNEL_NAMES, this.fns)
  }

  /** Loads the kernels with `threads` threads (the caller's included); throws NativeKernelError if it cannot. */
  static load(threads: number, file = kernelsWasmPath()): NativeKernels {
    let bytes: Buffer
    try {
      bytes = readFileSync(file)
    } catch (error) {
      throw new NativeKernelError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error})`)
    }
    try {
      const module = new WebAssembly.Module(new Uint8Array(bytes))
      const memory = new WebAssembly.Memory({
        initial: ARENA_BASE / PAGE + 16,
        maximum: MAX_PAGES,
        shared: true,
      })
      return new NativeKernels(memory, module, Math.max(1, Math.floor(threads)))
    } catch (error) {
      if (error instanceof NativeKernelError) throw error
      throw new NativeKernelError(`${file} does not load (${error instanceof Error ? error.message : error})`)
    }
  }

  get threads(): number {
    return this.pool.threads
  }

  /** Starts a call: everything allocated by the previous one is free again. */
  begin(): void {
    this.top = ARENA_BASE + PARAM_WORDS * 4
  }

  /** Allocates `floats` float32s (16-byte aligned) in the arena; returns the byte offset. */
  alloc(floats: number): number {
    const ptr = this.top
    this.top += Math.ceil((floats * 4) / 16) * 16
    const pages = Math.ceil(this.top / PAGE)
    const have = this.memory.buffer.byteLength / PAGE
    if (pages > have) {
      if (pages > MAX_PAGES) throw new NativeKernelError('a native kernel call needs more than 2 GiB')
      this.memory.grow(pages - have)
    }
    return ptr
  }

  /** Allocates and fills a region with `data`. */
  put(data: Float32Array): number {
    const ptr = this.alloc(data.length)
    this.f32(ptr, data.length).set(data)
    return ptr
  }

  /** A view of the arena (take it after the call's allocations: growing replaces the buffer). */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length)
  }

  /** Runs `tasks` tasks of a kernel with these int32 parameter words. */
  run(kernel: KernelName, params: readonly number[], tasks: number): void {
    if (params.length > PARAM_WORDS) throw new NativeKernelError(`${kernel}: too many parameters`)
    new Int32Array(this.memory.buffer, ARENA_BASE, params.length).set(params)
    this.pool.run(KERNEL_NAMES.indexOf(kernel), ARENA_BASE, tasks)
  }

  /** Scratch for every thread: [base, bytes per thread] parameter words. */
  scratch(floatsPerThread: number): [number, number] {
    const bytes = Math.ceil((floatsPerThread * 4) / 16) * 16
    return [this.alloc((bytes / 4) * this.threads), bytes]
  }

  close(): Promise<void> {
    return this.pool.close()
  }
}

/** A float parameter as the int32 word holding its bits. */
export function floatWord(value: number): number {
  const words = new Int32Array(new Float32Array([value]).buffer)
  return words[0]!
}
