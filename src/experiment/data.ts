/**
 * Fashion-MNIST straight from its IDX files into the trainer's arrays: a stratified train/validation split of
 * the 60k training file, an optional nested per-class training subset (the small-data regime), and the 10k
 * test set. Uses Cohort's own seeded PRNG, not numpy's stream, so the split has the reference's shape
 * (stratified, split seed 0) but not its exact images.
 */
import { readFashionMnist, FASHION_MNIST_SIZE } from '../core/dataset/idx'
import { Random } from '../core/training/random'
import type { LabelledImages, TrainingData } from '../core/training/trainer'

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
 * Indices of the training file for each split. Per class, one seeded permutation: validation takes its first
 * `valPerClass` entries, training its last `perClass` entries (counted from the end), or everything after the
 * validation part when `perClass` is absent. Since the permutation depends on neither size, a smaller subset
 * is always inside a larger one (nested), whatever the validation size, and the two never overlap.
 */
export function splitIndices(
  labels: ArrayLike<number>,
  classes: number,
  options: SplitOptions,
): SplitIndices {
  const { valPerClass, perClass } = options
  if (!Number.isInteger(valPerClass) || valPerClass < 1) {
    throw new ExperimentDataError(
      `the validation split needs a whole number of images per class (got ${valPerClass})`,
    )
  }
  if (perClass !== undefined && (!Number.isInteger(perClass) || perClass < 1)) {
    throw new ExperimentDataError(`--per-class must be a whole number of at least 1 (got ${perClass})`)
  }
  const byClass: number[][] = Array.from({ length: classes }, () => [])
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!
    if (!(y >= 0 && y < classes))
      throw new ExperimentDataError(`image ${i} has label ${y}, outside 0 … ${classes - 1}`)
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
    const order = Random.stream(options.splitSeed ?? 0, c).shuffle(members.slice())
    validation.push(...order.slice(0, valPerClass))
    train.push(...order.slice(perClass === undefined ? valPerClass : order.length - perClass))
  })
  // ascending file order: the trainer shuffles anyway, and sorted indices make nesting easy to check
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
