/**
 * Milliseconds per inference batch of `cohort bench engine`'s case (the zoo's cnn, batch 64, 32×32×3, after a
 * few training steps) through the stock tfjs Layers model and through the folded path (BatchNorm folded into
 * the convolutions, folded-inference.ts), in one process, interleaved call by call, after warm-ups; prints
 * each one's median and fastest, and how many kernels a call runs. Other networks of the zoo with COHORT_BENCH_ARCHS=cnn,resnet-8,mobilenet.
 *   npx tsx bench/folded-inference.ts [repeats=21]
 */
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../src/core/engine/backend'
import { foldedPredict } from '../src/core/engine/folded-inference'
import { NetworkTrainer, stepNetworks } from '../src/core/engine/network-trainer'
import type { NetworkArch } from '../src/core/engine/zoo'

const BATCH = 64
const SIZE = 32
const CHANNELS = 3
const CLASSES = 10
const WARMUP = 5
const repeats = Number(process.argv[2] ?? 21)
const archs = (process.env.COHORT_BENCH_ARCHS ?? 'cnn').split(',') as NetworkArch[]

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!
const round = (ms: number) => Math.round(ms * 10) / 10

function time(f: () => void): number {
  const start = performance.now()
  f()
  return performance.now() - start
}

const info = await initBackend('wasm')
console.log(
  `backend ${info.name}, ${info.threads ?? 1} thread(s)${info.note ? ` (${info.note})` : ''}, ` +
    `${repeats} repeats after ${WARMUP} warm-ups`,
)
const x = Float32Array.from({ length: BATCH * SIZE * SIZE * CHANNELS }, (_, i) => Math.sin(i * 0.731 + 1))
const labels = Int32Array.from({ length: BATCH }, (_, i) => (i * 7 + 1) % CLASSES)
for (const arch of archs) {
  const trainer = new NetworkTrainer({
    spec: { arch, inputSize: SIZE, channels: CHANNELS, classes: CLASSES, seed: 1 },
    optimizer: { kind: 'adam', lr: 1e-3 },
  })
  for (let i = 0; i < 3; i++) stepNetworks([trainer], [x], labels, ([z]) => z!, 0, 1)
  const ways = {
    stock: () => tf.tidy(() => (trainer.model.predict(trainer.images(x)) as tf.Tensor).dataSync()),
    folded: () => tf.tidy(() => foldedPredict(trainer.model, trainer.images(x), 256).dataSync()),
  }
  const ms: Record<keyof typeof ways, number[]> = { stock: [], folded: [] }
  for (let i = 0; i < WARMUP + repeats; i++) {
    for (const way of Object.keys(ways) as (keyof typeof ways)[]) {
      const t = time(ways[way])
      if (i >= WARMUP) ms[way].push(t)
    }
  }
  // kernels a call runs: independent of the machine's load, unlike the times
  const kernels = async (f: () => unknown) => (await tf.profile(() => void f())).kernels.length
  const [stockKernels, foldedKernels] = [await kernels(ways.stock), await kernels(ways.folded)]
  const [stock, folded] = [median(ms.stock), median(ms.folded)]
  console.log(
    `${arch}: stock ${round(stock)} ms (fastest ${round(Math.min(...ms.stock))}), ` +
      `folded ${round(folded)} ms (fastest ${round(Math.min(...ms.folded))}): ${Math.round((stock / folded) * 100) / 100}×; ` +
      `${stockKernels} → ${foldedKernels} kernels a call`,
  )
  trainer.dispose()
}
await tf.engine().backend.dispose?.()
process.exit(0)
