/**
 * Seconds per optimiser step of a group on this machine, for the predicted duration of automatic settings
 * (src/shared/automatic-settings.ts). The product's loop (trainGroup, one worker per network) on random
 * pictures: the step cost does not depend on what the pictures show. Prints one JSON line per case.
 *   npx tsx bench/step-cost.ts [nets=cnn,resnet-8] [epochs=3]
 */
import { availableParallelism } from 'node:os'
import { initBackend } from '../src/core/engine/backend'
import { describeNetwork } from '../src/core/engine/zoo'
import { NetworkGroup } from '../src/core/engine/network-group'
import { groupNetworks, parseTrainingConfig } from '../src/core/training/config'
import { trainGroup } from '../src/core/training/trainer'

const nets = (process.argv[2] ?? 'cnn,resnet-8').split(',')
const epochs = Number(process.argv[3] ?? 3)
const cases: [number, 1 | 3, number][] = [
  [28, 1, 32],
  [32, 3, 32],
  [32, 3, 64],
]
const train = 640
const validation = 160
const backend = await initBackend()
for (const [size, channels, batchSize] of cases) {
  const config = parseTrainingConfig({
    dataset: 'probe',
    imageSize: size,
    channels,
    networks: nets.map((arch) => ({ arch })),
    teacher: 'min-logit',
    epochs,
    batchSize,
  })
  const frame = size * size * channels
  const random = (n: number) => Uint8Array.from({ length: n * frame }, (_, i) => (i * 2654435761) >>> 24)
  const labels = (n: number) => Int32Array.from({ length: n }, (_, i) => i % 10)
  const data = {
    classNames: [...'0123456789'],
    imageSize: size,
    channels,
    train: { pixels: random(train), labels: labels(train) },
    validation: { pixels: random(validation), labels: labels(validation) },
  }
  const parallel = availableParallelism() > 1 && backend.name !== 'tensorflow'
  const specs = groupNetworks(config, 10)
  const group = new NetworkGroup(specs, { parallel, backend: backend.name })
  await group.ready()
  const seconds: number[] = []
  await trainGroup({
    config,
    data,
    group,
    normalisation: { mean: new Array(channels).fill(0.5), std: new Array(channels).fill(0.25) },
    onEpoch: async (r) => void seconds.push(r.metrics.seconds),
  })
  await group.dispose()
  const steps = Math.ceil(train / batchSize)
  // the first epoch warms up kernels and workers: the later ones are the steady cost
  const steady = seconds.slice(1).reduce((s, x) => s + x, 0) / (seconds.length - 1)
  const flops = specs.map((n) => describeNetwork(n.spec).flops)
  console.log(
    JSON.stringify({
      nets,
      size,
      channels,
      batchSize,
      steps,
      epochSeconds: steady,
      stepSeconds: steady / steps,
      flops,
      backend: backend.name,
    }),
  )
}
process.exit(0)
