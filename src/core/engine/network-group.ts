/**
 * A group of networks trained together (the coordinator side). With `parallel: true` each network lives
 * in its own worker thread and the group uses every core; with `parallel: false` everything runs in this
 * thread, with the same numerics. Either way one step is: every network's forward pass, one call of
 * `fuse` with all their logits, then every network's CE + λ·T²·KL update against that teacher.
 */
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { type BackendName, initBackend } from './backend'
import { NetworkTrainer, stepNetworks, TrainingInputError } from './network-trainer'
import {
  SIGNAL_OUTCOME,
  SIGNAL_STEP,
  TEACHER_ABORTED,
  TEACHER_READY,
  type NetworkConfig,
  type NetworkWeights,
  type OptimizerState,
  type StepLosses,
  type WorkerReply,
  type WorkerRequest,
} from './protocol'

export type Fuse = (logits: Float32Array[], labels: Int32Array) => Float32Array

export interface GroupOptions {
  backend?: BackendName
  parallel: boolean
}

export interface GroupStepResult {
  /** per network */
  losses: StepLosses[]
  /** per network, batch × classes */
  logits: Float32Array[]
  /** what `fuse` returned */
  teacher: Float32Array
}

export class NetworkGroupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NetworkGroupError'
  }
}

/**
 * Where the worker entry is: the sibling TypeScript file when running from source (started with tsx),
 * the sibling .js file in a bundle, or COHORT_NETWORK_WORKER when a bundler put it elsewhere.
 */
export function networkWorkerEntry(): URL {
  const override = process.env.COHORT_NETWORK_WORKER
  if (override) return pathToFileURL(override)
  const fromSource = import.meta.url.endsWith('.ts')
  return new URL(fromSource ? './network-worker-entry.ts' : './network-worker-entry.js', import.meta.url)
}

/**
 * Starts the worker. A TypeScript entry (running from source) needs tsx inside the worker, and Node 20
 * applies neither `--import tsx` in execArgv nor ESM hooks registered in the worker to the entry itself,
 * so a two-line CommonJS bootstrap registers tsx's require hook and then requires the entry.
 */
function startWorker(entry: URL): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry)
  const require = createRequire(import.meta.url)
  const tsx = require.resolve('tsx/cjs/api')
  const bootstrap = `require(${JSON.stringify(tsx)}).register()\nrequire(${JSON.stringify(fileURLToPath(entry))})`
  return new Worker(bootstrap, { eval: true })
}

type Reply<T extends WorkerReply['type']> = Extract<WorkerReply, { type: T }>

/** One worker thread and its pending requests. */
class NetworkWorker {
  private readonly worker: Worker
  private readonly pending = new Map<
    number,
    { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }
  >()
  private readonly logitsWaiters = new Map<number, (logits: Float32Array) => void>()
  private readonly signal = new SharedArrayBuffer(8)
  private teacher = new SharedArrayBuffer(4)
  private closing = false
  failure: Error | undefined

  constructor(
    readonly label: string,
    private readonly onFailure: (error: Error) => void,
  ) {
    this.worker = startWorker(networkWorkerEntry())
    this.worker.on('message', (reply: WorkerReply) => this.receive(reply))
    this.worker.on('error', (error) => this.fail(`${label} crashed: ${error.message}`))
    this.worker.on('messageerror', (error) =>
      this.fail(`${label} sent an unreadable message: ${error.message}`),
    )
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(`${label} stopped unexpectedly (exit code ${code})`)
    })
  }

  get signalBuffer(): SharedArrayBuffer {
    return this.signal
  }

  private receive(reply: WorkerReply): void {
    if (reply.type === 'logits') {
      this.logitsWaiters.get(reply.id)?.(reply.logits)
      return
    }
    const waiter = this.pending.get(reply.id)
    if (!waiter) return
    this.pending.delete(reply.id)
    if (reply.type === 'failed') waiter.reject(new NetworkGroupError(`${this.label}: ${reply.message}`))
    else waiter.resolve(reply)
  }

  private fail(message: string): void {
    if (this.failure) return
    this.failure = new NetworkGroupError(message)
    for (const { reject } of this.pending.values()) reject(this.failure)
    this.pending.clear()
    this.onFailure(this.failure)
  }

  request<T extends WorkerReply['type']>(message: WorkerRequest, _expect: T): Promise<Reply<T>> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise<Reply<T>>((resolve, reject) => {
      this.pending.set(message.id, { resolve: resolve as (r: WorkerReply) => void, reject })
      this.worker.postMessage(message)
    })
  }

  /** Resolves with the logits the worker posts mid-step. */
  logits(id: number): Promise<Float32Array> {
    return new Promise((resolve) => this.logitsWaiters.set(id, resolve))
  }

  forgetStep(id: number): void {
    this.logitsWaiters.delete(id)
  }

  /** The shared buffer the worker reads the teacher logits from, grown when a batch needs more. */
  teacherBuffer(floats: number): SharedArrayBuffer {
    if (this.teacher.byteLength < floats * 4) this.teacher = new SharedArrayBuffer(floats * 4)
    return this.teacher
  }

  release(step: number, teacher: Float32Array): void {
    new Float32Array(this.teacher, 0, teacher.length).set(teacher)
    this.wake(step, TEACHER_READY)
  }

  abort(step: number): void {
    this.wake(step, TEACHER_ABORTED)
  }

  private wake(step: number, outcome: number): void {
    const word = new Int32Array(this.signal)
    Atomics.store(word, SIGNAL_OUTCOME, outcome)
    Atomics.store(word, SIGNAL_STEP, step)
    Atomics.notify(word, SIGNAL_STEP)
  }

  async close(id: number): Promise<void> {
    this.closing = true
    if (!this.failure) {
      const bye = this.request({ type: 'dispose', id }, 'done').catch(() => undefined)
      await Promise.race([bye, new Promise((resolve) => setTimeout(resolve, 5000))])
    }
    await this.worker.terminate()
  }
}

export class NetworkGroup {
  private readonly configs: NetworkConfig[]
  private readonly trainers: NetworkTrainer[] = []
  private readonly workers: NetworkWorker[] = []
  private readonly started: Promise<{ backend: BackendName; kernels: string[] }>
  private nextId = 1
  /** the step the workers may be blocked in, so that a crash elsewhere can release them */
  private activeStep: number | undefined
  private broken: Error | undefined
  private disposed = false

  constructor(configs: NetworkConfig[], options: GroupOptions) {
    if (configs.length === 0) throw new NetworkGroupError('a group needs at least one network')
    const classes = configs[0]!.spec.classes
    if (configs.some((c) => c.spec.classes !== classes)) {
      throw new NetworkGroupError('every network of a group must predict the same classes')
    }
    this.configs = configs
    this.started = options.parallel
      ? this.startWorkers(options.backend)
      : this.startInProcess(options.backend)
    // Failures surface on the first call that awaits readiness; never as an unhandled rejection.
    this.started.catch(() => undefined)
  }

  get size(): number {
    return this.configs.length
  }

  private label(i: number): string {
    return `network ${i + 1} (${this.configs[i]!.spec.arch})`
  }

  private async startInProcess(backend?: BackendName) {
    const info = await initBackend(backend)
    for (const config of this.configs) this.trainers.push(new NetworkTrainer(config))
    return { backend: info.name, kernels: info.kernels }
  }

  private async startWorkers(backend?: BackendName) {
    const onFailure = (error: Error) => {
      this.broken ??= error
      const step = this.activeStep
      if (step !== undefined) for (const w of this.workers) w.abort(step)
    }
    this.configs.forEach((_, i) => this.workers.push(new NetworkWorker(this.label(i), onFailure)))
    const replies = await Promise.all(
      this.workers.map((w, i) =>
        w.request(
          {
            type: 'init',
            id: this.nextId++,
            config: this.configs[i]!,
            backend,
            signal: w.signalBuffer,
            concurrentNetworks: this.configs.length,
          },
          'ready',
        ),
      ),
    )
    return { backend: replies[0]!.backend, kernels: replies[0]!.kernels }
  }

  /** The backend the networks run on; rejects if a network could not be created. */
  async ready(): Promise<{ backend: BackendName; kernels: string[] }> {
    if (this.disposed) throw new NetworkGroupError('this network group has been disposed')
    const info = await this.started
    if (this.broken) throw this.broken
    return info
  }

  async step(
    views: Float32Array[],
    labels: Int32Array | number[],
    fuse: Fuse,
    lambda: number,
    temperature: number,
    /** per network, per-image loss weights (its data subset) or null for every image */
    masks: readonly (Float32Array | null)[] = [],
  ): Promise<GroupStepResult> {
    await this.ready()
    if (views.length !== this.size) {
      throw new TrainingInputError(`expected one view per network (${this.size}), got ${views.length}`)
    }
    const y = labels instanceof Int32Array ? labels : Int32Array.from(labels)
    let teacher: Float32Array = new Float32Array(0)
    const callFuse = (logits: Float32Array[]) => {
      teacher = fuse(logits, y)
      return teacher
    }
    if (this.workers.length === 0) {
      const { losses, logits } = stepNetworks(this.trainers, views, y, callFuse, lambda, temperature, masks)
      return { losses, logits, teacher }
    }
    const id = this.nextId++
    this.activeStep = id
    const classes = this.configs[0]!.spec.classes
    const logitsArrived = Promise.all(this.workers.map((w) => w.logits(id)))
    const stepped = Promise.all(
      this.workers.map((w, i) =>
        w.request(
          {
            type: 'step',
            id,
            x: views[i]!,
            labels: y,
            lambda,
            temperature,
            teacher: w.teacherBuffer(y.length * classes),
            ...(masks[i] ? { mask: masks[i] } : {}),
          },
          'stepped',
        ),
      ),
    )
    try {
      const logits = await Promise.race([
        logitsArrived,
        stepped.then(() => {
          throw new NetworkGroupError('a network finished its step without sending its logits')
        }),
      ])
      callFuse(logits)
      for (const w of this.workers) w.release(id, teacher)
      const replies = await stepped
      return { losses: replies.map((r) => r.losses), logits, teacher }
    } catch (error) {
      // Nobody may stay blocked waiting for a teacher that will not come.
      for (const w of this.workers) w.abort(id)
      await stepped.catch(() => undefined)
      throw error
    } finally {
      this.activeStep = undefined
      for (const w of this.workers) w.forgetStep(id)
    }
  }

  /** Logits of every network, inference mode; one image array for all, or one per network. */
  async predict(x: Float32Array | Float32Array[]): Promise<Float32Array[]> {
    await this.ready()
    const inputs = Array.isArray(x) ? x : this.configs.map(() => x)
    if (inputs.length !== this.size) throw new TrainingInputError(`expected images for ${this.size} networks`)
    if (this.workers.length === 0) return this.trainers.map((t, i) => t.predict(inputs[i]!))
    const replies = await Promise.all(
      this.workers.map((w, i) =>
        w.request({ type: 'predict', id: this.nextId++, x: inputs[i]! }, 'predicted'),
      ),
    )
    return replies.map((r) => r.logits)
  }

  async getWeights(): Promise<NetworkWeights[]> {
    await this.ready()
    if (this.workers.length === 0) return this.trainers.map((t) => t.getWeights())
    const replies = await Promise.all(
      this.workers.map((w) => w.request({ type: 'getWeights', id: this.nextId++ }, 'weights')),
    )
    return replies.map((r) => r.weights)
  }

  async setWeights(weights: NetworkWeights[]): Promise<void> {
    await this.ready()
    if (weights.length !== this.size)
      throw new TrainingInputError(`expected weights for ${this.size} networks`)
    if (this.workers.length === 0) {
      this.trainers.forEach((t, i) => t.setWeights(weights[i]!))
      return
    }
    await Promise.all(
      this.workers.map((w, i) =>
        w.request({ type: 'setWeights', id: this.nextId++, weights: weights[i]! }, 'done'),
      ),
    )
  }

  /** Every network's optimiser state (iteration count, momentum or Adam moments), for checkpoints. */
  async getOptimizerStates(): Promise<OptimizerState[]> {
    await this.ready()
    if (this.workers.length === 0) return Promise.all(this.trainers.map((t) => t.getOptimizerState()))
    const replies = await Promise.all(
      this.workers.map((w) => w.request({ type: 'getOptimizerState', id: this.nextId++ }, 'optimizerState')),
    )
    return replies.map((r) => r.state)
  }

  async setOptimizerStates(states: OptimizerState[]): Promise<void> {
    await this.ready()
    if (states.length !== this.size)
      throw new TrainingInputError(`expected optimiser states for ${this.size} networks`)
    if (this.workers.length === 0) {
      for (const [i, t] of this.trainers.entries()) await t.setOptimizerState(states[i]!)
      return
    }
    await Promise.all(
      this.workers.map((w, i) =>
        w.request({ type: 'setOptimizerState', id: this.nextId++, state: states[i]! }, 'done'),
      ),
    )
  }

  /** One rate for all networks or one per network. */
  async setLearningRate(lr: number | number[]): Promise<void> {
    await this.ready()
    const rates = Array.isArray(lr) ? lr : this.configs.map(() => lr)
    if (rates.length !== this.size) throw new TrainingInputError(`expected ${this.size} learning rates`)
    if (this.workers.length === 0) {
      this.trainers.forEach((t, i) => t.setLearningRate(rates[i]!))
      return
    }
    await Promise.all(
      this.workers.map((w, i) =>
        w.request({ type: 'setLearningRate', id: this.nextId++, lr: rates[i]! }, 'done'),
      ),
    )
  }

  /** Frees every network; worker threads are terminated. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    await this.started.catch(() => undefined)
    for (const t of this.trainers) t.dispose()
    this.trainers.length = 0
    await Promise.all(this.workers.map((w) => w.close(this.nextId++)))
  }
}
