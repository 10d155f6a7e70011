/**
 * Whole networks on an earlier build of the native kernels ("stock") and on the current one ("new"), in one
 * process, interleaved call by call after warm-ups, medians of `repeats`: a cnn inference batch (folded, batch 64,
 * 32×32×3), a cnn training step (the same input) and a resnet-8 training step (batch 128, 28×28×1). `old` is a
 * directory beside src/core/engine/native holding that version's index.ts, kernels.ts and pool.ts, with its .wasm:
 *   mkdir src/core/engine/native-old && for f in index kernels pool; do
 *     git show main:src/core/engine/native/$f.ts > src/core/engine/native-old/$f.ts; done
 *   git show main:resources/kernels/cohort-kernels.wasm > /tmp/old.wasm
 *   npx tsx bench/native-ab.ts src/core/engine/native-old /tmp/old.wasm [repeats=15]
 * Also checks that both give the same predictions (logits within 1e-5 of their scale).
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../src/core/engine/backend'
import { foldedPredict } from '../src/core/engine/folded-inference'
import * as current from '../src/core/engine/native/index'
import { NativeKernels } from '../src/core/engine/native/kernels'
import { NetworkTrainer, stepNetworks } from '../src/core/engine/network-trainer'
import type { NetworkArch } from '../src/core/engine/zoo'

const [oldDir, oldWasm] = process.argv.slice(2)
if (!oldDir || !oldWasm) throw new Error('usage: npx tsx bench/native-ab.ts OLD_DIR OLD_WASM [repeats]')
const repeats = Number(process.argv[4] ?? 15)
const WARMUP = 3
const CLASSES = 10

const info = await initBackend('wasm')
const threads = info.threads ?? 1
type NativeModule = typeof current
const old = (await import(pathToFileURL(path.resolve(oldDir, 'index.ts')).href)) as NativeModule
const oldKernels = (await import(pathToFileURL(path.resolve(oldDir, 'kernels.ts')).href)) as {
  NativeKernels: typeof NativeKernels
}
current.unregisterNativeKernels()
const builds = {
  stock: { mod: old, kernels: oldKernels.NativeKernels.load(threads, oldWasm) },
  new: { mod: current, kernels: NativeKernels.load(threads) },
}
type Build = keyof typeof builds
let active: Build | undefined
function use(build: Build): void {
  if (active === build) return
  if (active) builds[active].mod.unregisterNativeKernels()
  builds[build].mod.registerNativeKernels(builds[build].kernels)
  active = build
}
// Give the pool threads time to start before timing.
await new Promise((resolve) => setTimeout(resolve, 1000))
console.log(
  `${threads} thread(s), ${repeats} repeats after ${WARMUP} warm-ups, interleaved; medians (fastest) ms`,
)

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!
const round = (ms: number) => Math.round(ms * 10) / 10

const cases: Array<{ name: string; arch: NetworkArch; size: number; channels: 1 | 3; batch: number }> = [
  { name: 'cnn inference, batch 64, 32×32×3', arch: 'cnn', size: 32, channels: 3, batch: 64 },
  { name: 'cnn training step, batch 64, 32×32×3', arch: 'cnn', size: 32, channels: 3, batch: 64 },
  { name: 'resnet-8 training step, batch 128, 28×28×1', arch: 'resnet-8', size: 28, channels: 1, batch: 128 },
]
for (const c of cases) {
  const train = c.name.includes('training')
  const x = Float32Array.from({ length: c.batch * c.size * c.size * c.channels }, (_, i) =>
    Math.sin(i * 0.731 + 1),
  )
  const labels = Int32Array.from({ length: c.batch }, (_, i) => (i * 7 + 1) % CLASSES)
  // One network per build, same seed: the same weights; training steps keep them in step.
  const trainers = Object.fromEntries(
    (Object.keys(builds) as Build[]).map((b) => [
      b,
      new NetworkTrainer({
        spec: { arch: c.arch, inputSize: c.size, channels: c.channels, classes: CLASSES, seed: 1 },
        optimizer: { kind: 'adam', lr: 1e-3 },
      }),
    ]),
  ) as Record<Build, NetworkTrainer>
  const step = (t: NetworkTrainer) => void stepNetworks([t], [x], labels, ([z]) => z!, 0, 1)
  const predict = (t: NetworkTrainer) => tf.tidy(() => foldedPredict(t.model, t.images(x), 256).dataSync())
  const ms: Record<Build, number[]> = { stock: [], new: [] }
  for (let i = 0; i < WARMUP + repeats; i++) {
    for (const b of Object.keys(builds) as Build[]) {
      use(b)
      const start = performance.now()
      if (train) step(trainers[b])
      else predict(trainers[b])
      if (i >= WARMUP) ms[b].push(performance.now() - start)
    }
  }
  // The same weights (the stock network's) predicted on both builds.
  const logits = Object.fromEntries(
    (Object.keys(builds) as Build[]).map((b) => (use(b), [b, predict(trainers.stock) as Float32Array])),
  ) as Record<Build, Float32Array>
  const scale = Math.max(...logits.stock.map(Math.abs))
  const diff = Math.max(...logits.stock.map((v, i) => Math.abs(v - logits.new[i]!)))
  const [a, b] = [median(ms.stock), median(ms.new)]
  console.log(
    `${c.name}: stock ${round(a)} (${round(Math.min(...ms.stock))}), new ${round(b)} (${round(Math.min(...ms.new))}): ` +
      `${Math.round((a / b) * 100) / 100}×; the same network's logits differ by ${(diff / scale).toExponential(1)} of their scale`,
  )
  for (const t of Object.values(trainers)) t.dispose()
}
process.exit(0)
