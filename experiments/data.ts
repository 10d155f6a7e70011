/**
 * Fashion-MNIST straight from its IDX files into the trainer's arrays: a stratified train/validation split of
 * the 60k training file, an optional nested per-class training subset (the small-data regime), and the 10k
 * test set. Uses Cohort's own seeded PRNG, not numpy's stream, so the split has the reference's shape
 * (stratified, split seed 0) but not its exact images.
 */
import { readFashionMnist, FASHION_MNIST_SIZE } from '../src/core/dataset/idx'
import { Random } from '../src/core/training/random'
import type { LabelledImages, TrainingData } from '../src/core/training/trainer'

export class ExperimentDataError extends Error {
  override name = 'ExperimentDataError'
}

export interface SplitOptions {
  /** validation images per class; the reference holds back 500 */
  valPerClass: number
  /** training images per class (small-data regime); all the rest when absent */
  perClass?: number | undefined
  /** the split's seed; fixed across runs so every teacher and seed sees the same split */
  splitSeed?: number
}

export interface SplitIndices {
  train: number[]
  validation: number[]
}

/**
 * Indices of the training file for each split. Per class, one seeded permutation: its first `valPerClass`
 * entries are validation; a second permutation of the remainder, drawn right after, orders the training
 * pool, whose first `perClass` entries are the subset. Neither permutation depends on `perClass` or on the
 * sizes, so a smaller subset is always inside a larger one (nested) and so is a smaller validation split.
 */
export function splitIndices(labels: ArrayLike<number>, classes: number, options: SplitOptions): SplitIndices {
  const { valPerClass, perClass } = options
  const byClass: number[][] = Array.from({ length: classes }, () => [])
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!
    if (!(y >= 0 && y < classes)) throw new ExperimentDataError(`image ${i} has label ${y}, outside 0 … ${classes - 1}`)
    byClass[y]!.push(i)
  }
  const train: number[] = []
  const validation: number[] = []
  byClass.forEach((members, c) => {
    const want = valPerClass + (perClass ?? 1)
    if (members.length < want) {
      throw new ExperimentDataError(
        `class ${c} has ${members.length} images, too few for ${valPerClass} validation` +
          (perClass === undefined ? ' and at least one training image' : ` and ${perClass} training images`),
      )
    }
    // one stream per class: a class's split does not shift when another class has more images
    const random = Random.stream(options.splitSeed ?? 0, c)
    const order = random.shuffle(members.slice())
    validation.push(...order.slice(0, valPerClass))
    // the pool's order is drawn from the largest possible validation split (the reference's 500), so that
    // shrinking the validation split adds images at the end of the pool instead of reshuffling it
    const pool = random.shuffle(order.slice(valPerClass))
    train.push(...(perClass === undefined ? pool : pool.slice(0, perClass)))
  })
  // ascending file order: the trainer shuffles anyway, and sorted indices make equality easy to test
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) }
}

/** Validation images per class when a fraction of all labelled images is held back (small regime). */
export function validationPerClass(perClass: number, fraction: number): number {
  if (!(fraction > 0 && fraction < 1)) {
    throw new ExperimentDataError(`the validation fraction must be between 0 and 1 (got ${fraction})`)
  }
  // v / (n + v) = f  ⇒  v = n f / (1 − f)
  return Math.max(1, Math.round((perClass * fraction) / (1 - fraction)))
}

function pick(pixels: Uint8Array, labels: Uint8Array, indices: readonly number[]): LabelledImages {
  const frame = FASHION_MNIST_SIZE * FASHION_MNIST_SIZE
  const out = new Uint8Array(indices.length * frame)
  indices.forEach((i, k) => out.set(pixels.subarray(i * frame, (i + 1) * frame), k * frame))
  return { pixels: out, labels: Int32Array.from(indices, (i) => labels[i]!) }
}

export interface ExperimentData {
  data: TrainingData
  test: LabelledImages
}

/** The trainer's data and the untouched test set, from the IDX files in `dir` (Debian's folder by default). */
export async function loadExperimentData(options: SplitOptions & { dir?: string }): Promise<ExperimentData> {
  const fmnist = await readFashionMnist(options.dir)
  const classes = fmnist.classNames.length
  const split = splitIndices(fmnist.train.labels, classes, options)
  return {
    data: {
      classNames: fmnist.classNames,
      imageSize: FASHION_MNIST_SIZE,
      channels: 1,
      train: pick(fmnist.train.images, fmnist.train.labels, split.train),
      validation: pick(fmnist.train.images, fmnist.train.labels, split.validation),
    },
    test: pick(
      fmnist.test.images,
      fmnist.test.labels,
      Array.from(fmnist.test.labels, (_, i) => i),
    ),
  }
}
