/**
 * One engine measurement in its own process, so that no worker, heap or JIT state of another measurement
 * (or of the peer) shares it: the zoo's `cnn`, batch 64, 32×32×3, 10 classes, Adam 1e-3.
 *
 *   node --import tsx bench/engine-child.ts --mode single|group --backend wasm --warmup 3 --repeats 7
 *
 * Prints one JSON line: every repeat's time in ms and the process's peak resident memory. `single` times one
 * training step and one inference batch; `group` one collaborative step of two such networks, each in its own
 * worker as the app trains them. Threads follow the engine's own settings (COHORT_THREADS in the environment).
 * Import it for its types only: loading it runs the measurement.
 */
import { parseArgs } from 'node:util'
import { type BackendName, initBackend } from '../src/core/engine/backend'
import { NetworkGroup } from '../src/core/engine/network-group'
import { NetworkTrainer, stepNetworks } from '../src/core/engine/network-trainer'
import type { NetworkConfig } from '../src/core/engine/protocol'

const BATCH = 64
const SIZE = 32
const CHANNELS = 3
const CLASSES = 10

const CONFIG: NetworkConfig = {
  spec: { arch: 'cnn', inputSize: SIZE, channels: CHANNELS, classes: CLASSES, seed: 1 },
  optimizer: { kind: 'adam', lr: 1e-3 },
}

export type ChildMode = 'single' | 'group'

export interface ChildResult {
  mode: ChildMode
  backend: BackendName
  /** one entry per repeat, after the warm-ups */
  trainStepMs: number[]
  /** single only */
  inferBatchMs?: number[]
  /** peak resident set of this process (all its worker threads included), MB */
  maxRssMB: number
}

async function times(f: () => unknown, warmup: number, repeats: number): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await f()
  const out: number[] = []
  for (let i = 0; i < repeats; i++) {
    const start = performance.now()
    await f()
    out.push(Math.round((performance.now() - start) * 100) / 100)
  }
  return out
}

/** Deterministic stand-in images and labels: timing does not depend on the values. */
function batch(seed: number): { x: Float32Array; labels: Int32Array } {
  const x = Float32Array.from({ length: BATCH * SIZE * SIZE * CHANNELS }, (_, i) =>
    Math.sin(i * 0.731 + seed),
  )
  const labels = Int32Array.from({ length: BATCH }, (_, i) => (i * 7 + seed) % CLASSES)
  return { x, labels }
}

const meanTeacher = (logits: Float32Array[]) =>
  logits[0]!.map((_, i) => logits.reduce((sum, z) => sum + z[i]!, 0) / logits.length)

async function measure(
  mode: ChildMode,
  backend: BackendName,
  warmup: number,
  repeats: number,
): Promise<ChildResult> {
  await initBackend(backend)
  const { x, labels } = batch(1)
  if (mode === 'single') {
    const trainer = new NetworkTrainer(CONFIG)
    try {
      const trainStepMs = await times(
        () => stepNetworks([trainer], [x], labels, ([z]) => z!, 0, 1),
        warmup,
        repeats,
      )
      const inferBatchMs = await times(() => trainer.predict(x), warmup, repeats)
      return { mode, backend, trainStepMs, inferBatchMs, maxRssMB: maxRssMB() }
    } finally {
      trainer.dispose()
    }
  }
  const group = new NetworkGroup([CONFIG, { ...CONFIG, spec: { ...CONFIG.spec, seed: 2 } }], {
    backend,
    parallel: true,
  })
  try {
    await group.ready()
    const views = [batch(2).x, batch(3).x]
    const trainStepMs = await times(() => group.step(views, labels, meanTeacher, 1, 2), warmup, repeats)
    return { mode, backend, trainStepMs, maxRssMB: maxRssMB() }
  } finally {
    await group.dispose()
  }
}

/** resourceUsage().maxRSS is in kilobytes. */
function maxRssMB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024)
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
      warmup: { type: 'string', default: '3' },
      repeats: { type: 'string', default: '7' },
    },
  })
  const mode = values.mode
  if (mode !== 'single' && mode !== 'group') throw new Error(`--mode must be single or group (got ${mode})`)
  const warmup = Number(values.warmup)
  const repeats = Number(values.repeats)
  if (!(Number.isInteger(warmup) && warmup >= 0 && Number.isInteger(repeats) && repeats >= 1)) {
    throw new Error(
      `--warmup must be 0 or more and --repeats 1 or more (got ${values.warmup}, ${values.repeats})`,
    )
  }
  const result = await measure(mode, values.backend as BackendName, warmup, repeats)
  process.stdout.write(JSON.stringify(result) + '\n')
}

main().then(
  // the engine's worker pools can keep the loop alive; the measurement is complete
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  },
)
