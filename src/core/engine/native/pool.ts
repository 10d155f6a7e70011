/**
 * A pool of worker threads computing one native kernel's tasks together with the calling thread. Every
 * thread instantiates the same module on the same shared memory; a call hands out task numbers through one
 * shared word and blocks (Atomics.wait) until all are done. Tasks write disjoint outputs, so which thread
 * runs which task never changes a result.
 */
import { Worker } from 'node:worker_threads'

/** Control words (int32) shared by every thread of a pool. */
const GEN = 0 // bumped once per call; idle threads wait on it
const TASK = 1 // (call tag << 16) | next task number
const TASKS = 2
const KERNEL = 3
const PARAMS = 4
const DONE = 5
const FAILED = 6
const STOP = 7
const WORDS = 8

export const MAX_TASKS = 0xffff

type KernelFn = (params: number, task: number, thread: number) => void

/**
 * Runs this call's tasks until none is left; returns the first error a task threw (a trap, say), after
 * counting the task as done so the caller never waits forever. Serialised into the workers' source with
 * `toString`, so it must use nothing from outside but its arguments.
 */
function runTasks(ctl: Int32Array, fns: KernelFn[], gen: number, thread: number): unknown {
  const tag = (gen & 0x7fff) << 16
  let failure: unknown
  for (;;) {
    const word = Atomics.load(ctl, 1)
    if ((word & ~0xffff) !== tag) return failure
    const tasks = Atomics.load(ctl, 2)
    const task = word & 0xffff
    if (task >= tasks) return failure
    // A thread that woke late for an earlier call fails here: the tag in the word has moved on.
    if (Atomics.compareExchange(ctl, 1, word, word + 1) !== word) continue
    try {
      fns[Atomics.load(ctl, 3)]!(Atomics.load(ctl, 4), task, thread)
    } catch (error) {
      failure ??= error
      Atomics.store(ctl, 6, 1)
    }
    if (Atomics.add(ctl, 5, 1) + 1 === tasks) Atomics.notify(ctl, 5)
  }
}

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads')
const { module, memory, control, names, thread } = workerData
const instance = new WebAssembly.Instance(module, { env: { memory } })
const fns = names.map((name) => instance.exports[name])
const ctl = new Int32Array(control)
const runTasks = ${runTasks.toString()}
let seen = Atomics.load(ctl, ${GEN})
for (;;) {
  runTasks(ctl, fns, seen, thread)
  Atomics.wait(ctl, ${GEN}, seen)
  if (Atomics.load(ctl, ${STOP})) break
  seen = Atomics.load(ctl, ${GEN})
}
`

export class ThreadPool {
  private readonly ctl = new Int32Array(new SharedArrayBuffer(WORDS * 4))
  private readonly workers: Worker[] = []
  private gen = 0

  /** `threads` counts the calling thread: a pool of 2 starts one worker. */
  constructor(
    readonly threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    names: readonly string[],
    private readonly fns: KernelFn[],
  ) {
    for (let thread = 1; thread < threads; thread++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { module, memory, control: this.ctl.buffer, names, thread },
      })
      // Idle pool threads must never keep a process alive; close() ends them.
      worker.unref()
      worker.on('error', () => undefined)
      this.workers.push(worker)
    }
  }

  /** Runs tasks 0…tasks−1 of kernel `kernel` (an index into the pool's names) on every thread. */
  run(kernel: number, params: number, tasks: number): void {
    if (tasks > MAX_TASKS) throw new RangeError(`a native kernel call has at most ${MAX_TASKS} tasks`)
    if (this.workers.length === 0 || tasks === 1) {
      for (let task = 0; task < tasks; task++) this.fns[kernel]!(params, task, 0)
      return
    }
    const ctl = this.ctl
    const gen = ++this.gen
    // The new tag goes first: a thread still leaving the previous call may have read its last task word
    // and could read this call's task count next; with the tag changed, its claim (a compare-exchange on
    // the old word) fails. Storing the count first let such a thread claim a task past the previous
    // call's end, run it with this call's kernel and count it done: DONE passed `tasks` and run() waited
    // forever (seen in the test suite).
    Atomics.store(ctl, TASK, (gen & 0x7fff) << 16)
    Atomics.store(ctl, KERNEL, kernel)
    Atomics.store(ctl, PARAMS, params)
    Atomics.store(ctl, TASKS, tasks)
    Atomics.store(ctl, DONE, 0)
    Atomics.store(ctl, FAILED, 0)
    Atomics.store(ctl, GEN, gen)
    Atomics.notify(ctl, GEN)
    const failure = runTasks(ctl, this.fns, gen, 0)
    let done = Atomics.load(ctl, DONE)
    for (; done < tasks; done = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, done)
    if (done !== tasks) throw new Error(`a native kernel call counted ${done} of ${tasks} tasks done`)
    if (failure !== undefined) throw failure
    if (Atomics.load(ctl, FAILED)) throw new Error('a native kernel failed on a pool thread')
  }

  /** Ends the pool's threads; the pool must not be used afterwards. */
  async close(): Promise<void> {
    Atomics.store(this.ctl, STOP, 1)
    Atomics.add(this.ctl, GEN, 1)
    Atomics.notify(this.ctl, GEN)
    await Promise.all(this.workers.map((w) => w.terminate()))
    this.workers.length = 0
  }
}
