/**
 * Epoch benchmark: one Fashion-MNIST training epoch of cnn + resnet-8 trained together with the `min-logit`
 * teacher at the experiment's full-data settings (55,000 pictures, batch 128, 28×28×1, the reference recipe),
 * through the experiments' own code (`trainingConfigFor`, `loadExperimentData`, `experimentGroup`,
 * `trainGroup`), beside the PyTorch reference's epoch (bench/peer_epoch.py) in the same command.
 *
 * Both sides time the training loop only (the end-of-epoch validation is not part of it, as in the reference's
 * `train_s`). `--images N` trains on N pictures and scales both times to 55,000 by the same rule
 * (bench/epoch-scale.ts; labelled as such). The peer runs
 * after Cohort's workers have exited, in two processes; the ratio is withheld when they disagree by over 30 %.
 *
 *   node --import tsx bench/epoch.ts [--images N] [--quick] [--data DIR] [--json]
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { FASHION_MNIST_DIR } from '../src/core/dataset/idx'
import { trainGroup } from '../src/core/training/trainer'
import { loadExperimentData } from '../src/experiment/data'
import {
  experimentGroup,
  REFERENCE_NORMALISATION,
  trainingConfigFor,
  type RunSpec,
} from '../src/experiment/runs'
import { findPeerPython, lastLine } from './peer-python'
import { type EpochTiming, FULL_EPOCH_IMAGES, fullEpochSeconds, MIN_EPOCH_IMAGES } from './epoch-scale'
import { ratioOf, spreadOf, type Ratio } from './spread'

export const QUICK_EPOCH_IMAGES = 2048
export const PEER_EPOCH_PROCESSES = 2
const FULL_VAL_PER_CLASS = 500
const CLASSES = 10

/** What `--json` prints, exactly. */
export interface EpochBenchJson {
  cohort: { epochSeconds: number }
  peer: { epochSeconds: number } | null
}

export interface EpochBenchResult {
  images: number
  /** true when the times are scaled from `images` to 55,000 pictures */
  scaled: boolean
  cohort: { epochSeconds: number; measuredSeconds: number; backend: string; steps: number }
  peer: {
    epochSeconds: number
    processSeconds: number[]
    spreadPercent: number
    name: string
    python: string
  } | null
  peerSkipped?: string
  ratio: Ratio | null
}

export interface EpochBenchOptions {
  /** training pictures (default 55,000; quick 2,048) */
  images?: number
  quick?: boolean
  /** the Fashion-MNIST IDX folder (default Debian's) */
  dataDir?: string
  peerProcesses?: number
}

export class EpochBenchError extends Error {
  override name = 'EpochBenchError'
}

export function epochSpec(images: number): RunSpec {
  return {
    teacher: 'min-logit',
    seed: 0,
    epochs: 1,
    // all of the split for the full epoch; a shorter one draws enough per class and keeps the first `images`
    perClass: images >= FULL_EPOCH_IMAGES ? undefined : Math.ceil(images / CLASSES),
    // the validation pass is not timed: a small one keeps a short run short
    valPerClass: images >= FULL_EPOCH_IMAGES ? FULL_VAL_PER_CLASS : 1,
    nets: ['cnn', 'resnet-8'],
    tau: 0.01,
    T: 2,
    lambda: 1,
    validateEvery: 1,
  }
}

async function cohortEpoch(images: number, dataDir: string): Promise<EpochTiming & { backend: string }> {
  const spec = epochSpec(images)
  const config = trainingConfigFor(spec)
  const { data } = await loadExperimentData({
    valPerClass: spec.valPerClass,
    perClass: spec.perClass,
    dir: dataDir,
  })
  const frame = data.imageSize * data.imageSize * data.channels
  data.train = {
    pixels: data.train.pixels.subarray(0, images * frame),
    labels: data.train.labels.subarray(0, images),
  }
  const { group, backend } = await experimentGroup(config, data.classNames.length)
  try {
    await group.ready()
    let firstStepAt = 0
    let trainedAt = 0
    let steps = 0
    const started = performance.now()
    const result = await trainGroup({
      config,
      data,
      group,
      normalisation: REFERENCE_NORMALISATION,
      onProgress: (p) => {
        if (p.step === 1) firstStepAt = performance.now()
        if (p.step === p.steps) {
          trainedAt = performance.now()
          steps = p.steps
        }
      },
    })
    if (result.status !== 'completed' || trainedAt === 0)
      throw new EpochBenchError('the epoch did not complete')
    return {
      seconds: (trainedAt - started) / 1000,
      afterFirstStepSeconds: (trainedAt - firstStepAt) / 1000,
      steps,
      backend: backend.name,
    }
  } finally {
    await group.dispose()
  }
}

function peerEpochs(
  images: number,
  dataDir: string,
  processes: number,
): Pick<EpochBenchResult, 'peer' | 'peerSkipped'> & { measured?: number[] } {
  const found = findPeerPython()
  if (found.python === null) return { peer: null, peerSkipped: `PyTorch peer skipped: ${found.reason}` }
  const script = fileURLToPath(new URL('./peer_epoch.py', import.meta.url))
  const runs: Array<{ name: string; measuredSeconds: number; afterFirstStepSeconds: number; steps: number }> =
    []
  for (let i = 0; i < processes; i++) {
    const run = spawnSync(
      found.python,
      [script, '--images', String(images), '--threads', '2', '--data', dataDir],
      { encoding: 'utf8', timeout: 30 * 60 * 1000 },
    )
    if (run.status !== 0) {
      const why = run.error?.message ?? (lastLine(run.stderr) || `exit ${run.status}`)
      return { peer: null, peerSkipped: `PyTorch peer failed (${found.python}): ${why}` }
    }
    runs.push(JSON.parse(lastLine(run.stdout)) as (typeof runs)[number])
  }
  const processSeconds = runs.map((r) => fullEpochSeconds({ ...r, seconds: r.measuredSeconds }, images))
  const spread = spreadOf(processSeconds)
  return {
    peer: {
      epochSeconds: spread.fastest,
      processSeconds,
      spreadPercent: spread.spreadPercent,
      name: runs[0]!.name,
      python: found.python,
    },
  }
}

export async function runEpochBenchmark(options: EpochBenchOptions = {}): Promise<EpochBenchResult> {
  const images = options.images ?? (options.quick ? QUICK_EPOCH_IMAGES : FULL_EPOCH_IMAGES)
  if (!(Number.isInteger(images) && images >= MIN_EPOCH_IMAGES && images <= FULL_EPOCH_IMAGES)) {
    throw new EpochBenchError(
      `--images must be a whole number from ${MIN_EPOCH_IMAGES} (two steps) to ${FULL_EPOCH_IMAGES} (got ${images})`,
    )
  }
  const dataDir = options.dataDir ?? FASHION_MNIST_DIR
  const cohort = await cohortEpoch(images, dataDir)
  // after Cohort's workers have exited: the two would compete for the same cores
  const { peer, peerSkipped } = peerEpochs(images, dataDir, options.peerProcesses ?? PEER_EPOCH_PROCESSES)
  const epochSeconds = fullEpochSeconds(cohort, images)
  return {
    images,
    scaled: images !== FULL_EPOCH_IMAGES,
    cohort: { epochSeconds, measuredSeconds: cohort.seconds, backend: cohort.backend, steps: cohort.steps },
    peer,
    ...(peerSkipped ? { peerSkipped } : {}),
    ratio: peer ? ratioOf(epochSeconds, peer.processSeconds, undefined, 's') : null,
  }
}

/** The documented `--json` object, and nothing else. */
export function epochJson(r: EpochBenchResult): EpochBenchJson {
  return {
    cohort: { epochSeconds: r.cohort.epochSeconds },
    peer: r.peer ? { epochSeconds: r.peer.epochSeconds } : null,
  }
}

export function printEpochBenchmark(r: EpochBenchResult): void {
  const what = r.scaled
    ? `${r.images.toLocaleString('en')} pictures, times scaled to ${FULL_EPOCH_IMAGES.toLocaleString('en')}`
    : `${FULL_EPOCH_IMAGES.toLocaleString('en')} pictures`
  console.log(
    `Epoch: Fashion-MNIST, cnn + resnet-8, min-logit, batch 128, 28×28×1 (${what}; training loop only)`,
  )
  console.log(
    `Cohort ${r.cohort.backend}  ${r.cohort.epochSeconds.toFixed(1)} s an epoch` +
      (r.scaled
        ? ` (${r.cohort.steps} steps in ${r.cohort.measuredSeconds.toFixed(1)} s; steps 2–${r.cohort.steps} scaled to 430)`
        : ''),
  )
  if (r.peer) {
    console.log(
      `${r.peer.name}  ${r.peer.epochSeconds.toFixed(1)} s an epoch (fastest of ${r.peer.processSeconds.length} processes: ` +
        `${r.peer.processSeconds.map((s) => s.toFixed(1)).join(' / ')}; spread ${r.peer.spreadPercent.toFixed(0)} %; ${r.peer.python})`,
    )
  }
  if (r.ratio) {
    console.log(
      r.ratio.ratio === null
        ? `no ratio: ${r.ratio.reason}`
        : `Cohort / PyTorch = ${r.ratio.ratio.toFixed(2)}×`,
    )
  }
  if (r.peerSkipped) console.log(r.peerSkipped)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      images: { type: 'string' },
      quick: { type: 'boolean', default: false },
      data: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  })
  const result = await runEpochBenchmark({
    quick: values.quick,
    ...(values.images !== undefined ? { images: Number(values.images) } : {}),
    ...(values.data !== undefined ? { dataDir: values.data } : {}),
  })
  if (values.json) console.log(JSON.stringify(epochJson(result)))
  else printEpochBenchmark(result)
  process.exit(0)
}
