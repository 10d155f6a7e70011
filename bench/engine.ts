/**
 * Engine benchmark: the reference CNN (the zoo's `cnn`), batch 64, 32×32×3, 10 classes, Adam 1e-3 — one training
 * step and one inference batch (medians after warm-up) on every available backend, a group of two trained
 * in parallel, and the same in PyTorch (bench/peer_torch.py) in the same run.
 *
 *   node --import tsx bench/engine.ts [--quick] [--json]
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BACKEND_NAMES, type BackendName, initBackend } from '../src/core/engine/backend'
import { NetworkGroup } from '../src/core/engine/network-group'
import { NetworkTrainer, stepNetworks } from '../src/core/engine/network-trainer'
import type { NetworkConfig } from '../src/core/engine/protocol'

export interface EngineFigures {
  single: { trainStepMs: number; inferBatchMs: number }
  group2: { trainStepMs: number }
}

export interface EngineBenchResult extends EngineFigures {
  /** the backend Cohort would pick; its figures are the top-level ones */
  backend: BackendName
  /** PyTorch on the CPU, or null when it could not run (see peerSkipped) */
  peer: ({ name: string } & EngineFigures) | null
  peerSkipped?: string
  /** every backend measured, the chosen one first */
  backends: Array<{ backend: BackendName } & EngineFigures>
  notes: string[]
}

export interface EngineBenchOptions {
  quick?: boolean
  json?: boolean
  /** backends to measure (default: every one that loads; cpu only in the full run) */
  backends?: BackendName[]
}

const BATCH = 64
const SIZE = 32
const CHANNELS = 3
const CLASSES = 10
const CONFIG: NetworkConfig = {
  spec: { arch: 'cnn', inputSize: SIZE, channels: CHANNELS, classes: CLASSES, seed: 1 },
  optimizer: { kind: 'adam', lr: 1e-3 },
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function medianMs(f: () => unknown, warmup: number, repeats: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await f()
  const times: number[] = []
  for (let i = 0; i < repeats; i++) {
    const start = performance.now()
    await f()
    times.push(performance.now() - start)
  }
  return Math.round(median(times) * 100) / 100
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

async function measure(backend: BackendName, warmup: number, repeats: number): Promise<EngineFigures> {
  await initBackend(backend)
  const trainer = new NetworkTrainer(CONFIG)
  const { x, labels } = batch(1)
  const trainStepMs = await medianMs(
    () => stepNetworks([trainer], [x], labels, ([z]) => z!, 0, 1),
    warmup,
    repeats,
  )
  const inferBatchMs = await medianMs(() => trainer.predict(x), warmup, Math.max(repeats, 3))
  trainer.dispose()

  const group = new NetworkGroup([CONFIG, { ...CONFIG, spec: { ...CONFIG.spec, seed: 2 } }], {
    backend,
    parallel: true,
  })
  try {
    await group.ready()
    const views = [batch(2).x, batch(3).x]
    const group2 = await medianMs(() => group.step(views, labels, meanTeacher, 1, 2), warmup, repeats)
    return { single: { trainStepMs, inferBatchMs }, group2: { trainStepMs: group2 } }
  } finally {
    await group.dispose()
  }
}

async function loads(backend: BackendName): Promise<boolean> {
  try {
    await initBackend(backend)
    return true
  } catch {
    return false
  }
}

function runPeer(quick: boolean): { peer: EngineBenchResult['peer']; skipped?: string } {
  const script = fileURLToPath(new URL('./peer_torch.py', import.meta.url))
  const run = spawnSync('/usr/bin/python3', [script, ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  })
  if (run.error) return { peer: null, skipped: `PyTorch peer not run: ${run.error.message}` }
  if (run.status !== 0) {
    const last = run.stderr.trim().split('\n').pop() ?? ''
    const reason = /No module named 'torch'|import torch|libblas|ImportError/.test(run.stderr)
      ? `/usr/bin/python3 cannot import torch (${last})`
      : `the peer script failed (${last})`
    return { peer: null, skipped: `PyTorch peer skipped: ${reason}` }
  }
  return { peer: JSON.parse(run.stdout.trim().split('\n').pop()!) as EngineBenchResult['peer'] }
}

export async function runEngineBenchmark(options: EngineBenchOptions = {}): Promise<EngineBenchResult> {
  const quick = options.quick ?? false
  const notes: string[] = []
  let chosen = options.backends
  if (!chosen) {
    chosen = []
    for (const name of BACKEND_NAMES) {
      if (name === 'cpu' && quick) {
        notes.push('cpu skipped in the quick run (pure JavaScript: one to two minutes per training step)')
        continue
      }
      if (await loads(name)) chosen.push(name)
      else if (name === 'tensorflow') notes.push('tensorflow (tfjs-node) is not installed')
    }
  }
  if (chosen.length === 0) throw new Error('no backend to measure')
  const backends: EngineBenchResult['backends'] = []
  for (const name of chosen) {
    // pure-JS cpu is ~400× slower: one timed step, no warm-up, keeps the full run bounded.
    const [warmup, repeats] = name === 'cpu' ? [0, 1] : quick ? [2, 5] : [3, 15]
    backends.push({ backend: name, ...(await measure(name, warmup, repeats)) })
  }
  // The peer runs after Cohort's measurements, never beside them: both would compete for the 2 cores.
  const { peer, skipped } = runPeer(quick)
  const first = backends[0]!
  return {
    backend: first.backend,
    single: first.single,
    group2: first.group2,
    peer,
    ...(skipped ? { peerSkipped: skipped } : {}),
    backends,
    notes,
  }
}

export function printEngineBenchmark(result: EngineBenchResult): void {
  const rows: Array<[string, EngineFigures]> = result.backends.map((b) => [`Cohort ${b.backend}`, b])
  if (result.peer) rows.push([result.peer.name, result.peer])
  const width = Math.max(...rows.map(([name]) => name.length), 10)
  const ms = (v: number) => v.toFixed(1).padStart(12)
  console.log(`Engine: reference CNN, batch ${BATCH}, ${SIZE}×${SIZE}×${CHANNELS}, Adam 1e-3 (median ms)`)
  console.log(
    `${''.padEnd(width)}  ${'train step'.padStart(12)}  ${'inference'.padStart(12)}  ${'2 in parallel'.padStart(14)}`,
  )
  for (const [name, f] of rows) {
    console.log(
      `${name.padEnd(width)}  ${ms(f.single.trainStepMs)}  ${ms(f.single.inferBatchMs)}  ${ms(f.group2.trainStepMs).padStart(14)}`,
    )
  }
  if (result.peerSkipped) console.log(result.peerSkipped)
  for (const note of result.notes) console.log(`note: ${note}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  const json = process.argv.includes('--json')
  const result = await runEngineBenchmark({ quick, json })
  if (json) console.log(JSON.stringify(result, null, 2))
  else printEngineBenchmark(result)
}
