/**
 * Where a step's time goes, per tfjs kernel, in one process: a cnn inference batch (folded, batch 64,
 * 32×32×3), a cnn training step (same input) and a resnet-8 training step (batch 128, 28×28×1), each profiled
 * after warm-ups with tf.profile over `repeats` calls; prints each case's wall time and its kernels by total
 * time (name, calls a run, ms a run, share).
 *   npx tsx bench/kernel-profile.ts [repeats=5]
 */
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../src/core/engine/backend'
import { foldedPredict } from '../src/core/engine/folded-inference'
import { NetworkTrainer, stepNetworks } from '../src/core/engine/network-trainer'
import type { NetworkArch } from '../src/core/engine/zoo'

const repeats = Number(process.argv[2] ?? 5)
const CLASSES = 10
const round = (ms: number) => Math.round(ms * 10) / 10

const info = await initBackend('wasm')
console.log(`backend ${info.name}, ${info.threads ?? 1} thread(s)${info.note ? ` (${info.note})` : ''}`)

interface Case {
  name: string
  arch: NetworkArch
  size: number
  channels: 1 | 3
  batch: number
  train: boolean
}
const cases: Case[] = [
  {
    name: 'cnn inference (folded), batch 64, 32×32×3',
    arch: 'cnn',
    size: 32,
    channels: 3,
    batch: 64,
    train: false,
  },
  {
    name: 'cnn training step, batch 64, 32×32×3',
    arch: 'cnn',
    size: 32,
    channels: 3,
    batch: 64,
    train: true,
  },
  {
    name: 'resnet-8 training step, batch 128, 28×28×1',
    arch: 'resnet-8',
    size: 28,
    channels: 1,
    batch: 128,
    train: true,
  },
]

for (const c of cases) {
  const trainer = new NetworkTrainer({
    spec: { arch: c.arch, inputSize: c.size, channels: c.channels, classes: CLASSES, seed: 1 },
    optimizer: { kind: 'adam', lr: 1e-3 },
  })
  const x = Float32Array.from({ length: c.batch * c.size * c.size * c.channels }, (_, i) =>
    Math.sin(i * 0.731 + 1),
  )
  const labels = Int32Array.from({ length: c.batch }, (_, i) => (i * 7 + 1) % CLASSES)
  const step = () => void stepNetworks([trainer], [x], labels, ([z]) => z!, 0, 1)
  const predict = () => void tf.tidy(() => foldedPredict(trainer.model, trainer.images(x), 256).dataSync())
  const run = c.train ? step : predict
  for (let i = 0; i < 3; i++) step()
  for (let i = 0; i < 3; i++) run()
  const walls: number[] = []
  const byKernel = new Map<string, { calls: number; ms: number }>()
  for (let r = 0; r < repeats; r++) {
    const start = performance.now()
    const profile = await tf.profile(run)
    walls.push(performance.now() - start)
    for (const k of profile.kernels) {
      const entry = byKernel.get(k.name) ?? { calls: 0, ms: 0 }
      entry.calls++
      entry.ms += k.kernelTimeMs as number
      byKernel.set(k.name, entry)
    }
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0) / repeats
  const wall = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)]!
  console.log(`\n${c.name}: wall ${round(wall)} ms (median, profiled), kernels ${round(total)} ms`)
  for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 16)) {
    const ms = e.ms / repeats
    console.log(
      `  ${name.padEnd(32)} ${String(e.calls / repeats).padStart(4)} calls ${String(round(ms)).padStart(7)} ms ${String(Math.round((ms / total) * 100)).padStart(3)} %`,
    )
  }
  trainer.dispose()
}
process.exit(0)
