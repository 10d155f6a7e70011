/**
 * Engine benchmark: the reference CNN (the zoo's `cnn`), batch 64, 32×32×3, 10 classes, Adam 1e-3 — one training
 * step, one inference batch and one collaborative step of two networks — beside the same in PyTorch.
 *
 * Every measurement runs in its own process (bench/engine-child.ts), so no worker of one is alive during
 * another; the peer (bench/peer_torch.py) runs after all of Cohort's, in several independent processes with
 * the same warm-up and repeats. Cohort's figure is its process's median; the peer's is its fastest process's
 * median, and no ratio is printed when the peer's processes disagree by more than 30 % (bench/spread.ts).
 * Also: the memory peak of the training processes and the step's scaling from 1 to 2 cores (COHORT_THREADS).
 *
 *   node --import tsx bench/engine.ts [--quick] [--json]
 */
import { spawnSync } from 'node:child_process'
import { dirname } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { ChildMode, ChildResult } from './engine-child'
import { findPeerPython, lastLine } from './peer-python'
import { median, ratioOf, spreadOf, type Ratio } from './spread'

export const PEER_PROCESSES = 3

/** Cohort: the median of one process's repeats, with their fastest and spread. */
export interface CohortFigure {
  ms: number
  fastestMs: number
  spreadPercent: number
}

/** The peer: the fastest of its processes' medians, every process's median, and their spread. */
export interface PeerFigure {
  ms: number
  processMs: number[]
  spreadPercent: number
}

export interface EngineBenchResult {
  backend: string
  warmup: number
  repeats: number
  /** the headline figures (ms), as before the per-side detail below */
  single: { trainStepMs: number; inferBatchMs: number }
  group2: { trainStepMs: number }
  cohort: { trainStep: CohortFigure; inferBatch: CohortFigure; group2: CohortFigure }
  /** peak resident memory of the process that trained (its worker threads included), MB */
  memory: { singleMaxRssMB: number; groupMaxRssMB: number }
  /** one training step with COHORT_THREADS=1 and =2 */
  scaling: { oneCoreMs: number; twoCoresMs: number; speedup: number }
  peer: {
    name: string
    python: string
    trainStep: PeerFigure
    inferBatch: PeerFigure
    /** per process the faster of its two ways; `ways` says which way each process's figure came from */
    group2: PeerFigure & { ways: Array<'sequential' | 'parallel'> }
    maxRssMB: number
  } | null
  peerSkipped?: string
  /** Cohort ÷ peer, or null with the reason it is withheld */
  ratios: { trainStep: Ratio; inferBatch: Ratio; group2: Ratio } | null
  notes: string[]
}

export interface EngineBenchOptions {
  quick?: boolean
  /** PyTorch processes (default 3) */
  peerProcesses?: number
}

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const TIMEOUT_MS = 10 * 60 * 1000

function runChild(
  mode: ChildMode,
  warmup: number,
  repeats: number,
  env: NodeJS.ProcessEnv = {},
): ChildResult {
  const child = fileURLToPath(new URL('./engine-child.ts', import.meta.url))
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', child, '--mode', mode, '--warmup', String(warmup), '--repeats', String(repeats)],
    { cwd: root, encoding: 'utf8', timeout: TIMEOUT_MS, env: { ...process.env, ...env } },
  )
  if (run.status !== 0) {
    const why = run.error?.message ?? (lastLine(run.stderr) || `exit ${run.status}`)
    throw new Error(`the engine's ${mode} measurement failed: ${why}`)
  }
  return JSON.parse(lastLine(run.stdout)) as ChildResult
}

function cohortFigure(times: number[]): CohortFigure {
  const s = spreadOf(times)
  return { ms: median(times), fastestMs: s.fastest, spreadPercent: s.spreadPercent }
}

function peerFigure(processMs: number[]): PeerFigure {
  const s = spreadOf(processMs)
  return { ms: s.fastest, processMs, spreadPercent: s.spreadPercent }
}

interface PeerProcess {
  name: string
  python: string
  trainStepMs: number[]
  inferBatchMs: number[]
  group: { sequentialMs: number[]; parallelMs: number[]; faster: 'sequential' | 'parallel' }
  maxRssMB: number
}

function runPeer(
  warmup: number,
  repeats: number,
  processes: number,
): { peer: EngineBenchResult['peer']; skipped?: string } {
  const found = findPeerPython()
  if (found.python === null) return { peer: null, skipped: `PyTorch peer skipped: ${found.reason}` }
  const script = fileURLToPath(new URL('./peer_torch.py', import.meta.url))
  const runs: PeerProcess[] = []
  for (let i = 0; i < processes; i++) {
    const run = spawnSync(
      found.python,
      [script, '--warmup', String(warmup), '--repeats', String(repeats), '--threads', '2'],
      { encoding: 'utf8', timeout: TIMEOUT_MS },
    )
    if (run.status !== 0) {
      const why = run.error?.message ?? (lastLine(run.stderr) || `exit ${run.status}`)
      return { peer: null, skipped: `PyTorch peer failed (${found.python}): ${why}` }
    }
    runs.push(JSON.parse(lastLine(run.stdout)) as PeerProcess)
  }
  const groupOf = (r: PeerProcess) => Math.min(median(r.group.sequentialMs), median(r.group.parallelMs))
  return {
    peer: {
      name: runs[0]!.name,
      python: found.python,
      trainStep: peerFigure(runs.map((r) => median(r.trainStepMs))),
      inferBatch: peerFigure(runs.map((r) => median(r.inferBatchMs))),
      group2: { ...peerFigure(runs.map(groupOf)), ways: runs.map((r) => r.group.faster) },
      maxRssMB: Math.max(...runs.map((r) => r.maxRssMB)),
    },
  }
}

export async function runEngineBenchmark(options: EngineBenchOptions = {}): Promise<EngineBenchResult> {
  const quick = options.quick ?? false
  const [warmup, repeats] = quick ? [3, 7] : [5, 20]
  const notes = [
    "Cohort's figures come from one process each, the peer's from the fastest of its processes: any bias favours the peer",
  ]
  const single = runChild('single', warmup, repeats)
  const group = runChild('group', warmup, repeats)
  const one = runChild('single', warmup, repeats, { COHORT_THREADS: '1' })
  const two = runChild('single', warmup, repeats, { COHORT_THREADS: '2' })
  // The peer runs after Cohort's processes have exited, never beside them: both would compete for the cores.
  const { peer, skipped } = runPeer(warmup, repeats, options.peerProcesses ?? PEER_PROCESSES)
  const cohort = {
    trainStep: cohortFigure(single.trainStepMs),
    inferBatch: cohortFigure(single.inferBatchMs!),
    group2: cohortFigure(group.trainStepMs),
  }
  const oneCoreMs = median(one.trainStepMs)
  const twoCoresMs = median(two.trainStepMs)
  return {
    backend: single.backend,
    warmup,
    repeats,
    single: { trainStepMs: cohort.trainStep.ms, inferBatchMs: cohort.inferBatch.ms },
    group2: { trainStepMs: cohort.group2.ms },
    cohort,
    memory: { singleMaxRssMB: single.maxRssMB, groupMaxRssMB: group.maxRssMB },
    scaling: { oneCoreMs, twoCoresMs, speedup: oneCoreMs / twoCoresMs },
    peer,
    ...(skipped ? { peerSkipped: skipped } : {}),
    ratios: peer
      ? {
          trainStep: ratioOf(cohort.trainStep.ms, peer.trainStep.processMs),
          inferBatch: ratioOf(cohort.inferBatch.ms, peer.inferBatch.processMs),
          group2: ratioOf(cohort.group2.ms, peer.group2.processMs),
        }
      : null,
    notes,
  }
}

const fixed = (v: number) => v.toFixed(1)

export function printEngineBenchmark(r: EngineBenchResult): void {
  console.log(
    `Engine: the zoo's cnn, batch 64, 32×32×3, Adam 1e-3; ${r.warmup} warm-ups, ${r.repeats} repeats per process`,
  )
  const rows: Array<[string, keyof EngineBenchResult['cohort']]> = [
    ['train step', 'trainStep'],
    ['inference batch', 'inferBatch'],
    ['group of 2, one step', 'group2'],
  ]
  for (const [label, key] of rows) {
    const c = r.cohort[key]
    let line = `${label.padEnd(22)} Cohort ${r.backend} ${fixed(c.ms).padStart(7)} ms (median of one process; fastest ${fixed(c.fastestMs)}, spread ${c.spreadPercent.toFixed(0)} %)`
    if (r.peer) {
      const p = r.peer[key]
      const way = key === 'group2' ? `, ${r.peer.group2.ways.join('/')}` : ''
      line += `\n${''.padEnd(22)} ${r.peer.name} ${fixed(p.ms).padStart(7)} ms (fastest of ${p.processMs.length} processes: ${p.processMs.map(fixed).join(' / ')}${way}; spread ${p.spreadPercent.toFixed(0)} %)`
      const ratio = r.ratios![key]
      line += `\n${''.padEnd(22)} ${ratio.ratio === null ? `no ratio: ${ratio.reason}` : `Cohort / PyTorch = ${ratio.ratio.toFixed(2)}×`}`
    }
    console.log(line)
  }
  console.log(
    `memory peak            Cohort training process ${r.memory.singleMaxRssMB} MB, group process ${r.memory.groupMaxRssMB} MB` +
      (r.peer ? `; PyTorch process ${r.peer.maxRssMB} MB` : ''),
  )
  console.log(
    `scaling 1 → 2 cores    train step ${fixed(r.scaling.oneCoreMs)} → ${fixed(r.scaling.twoCoresMs)} ms (COHORT_THREADS=1 / 2): ${r.scaling.speedup.toFixed(2)}×`,
  )
  if (r.peer) console.log(`peer Python: ${r.peer.python}`)
  if (r.peerSkipped) console.log(r.peerSkipped)
  for (const note of r.notes) console.log(`note: ${note}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runEngineBenchmark({ quick: process.argv.includes('--quick') })
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2))
  else printEngineBenchmark(result)
}
