/**
 * The pictures `cohort experiment defaults` trains on, from Debian's Fashion-MNIST or from a folder with one
 * sub-folder per label (as `cohort import` reads it), split the same way for both: a fixed stratified test
 * share, then per size a nested training subset with 20 % of the labelled pictures held back for validation.
 * Folder pictures go through the product's own decoder at the size and colour the automatic settings choose.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { PictureFacts } from '../shared/automatic-settings'
import { decodeImage, ImageRejectedError, inspectImage } from '../core/dataset/decode'
import { FASHION_MNIST_SIZE, readFashionMnist } from '../core/dataset/idx'
import { factsOfPictures } from '../core/dataset/picture-facts'
import { renderTrainingPixels } from '../core/dataset/tensor-cache'
import type { LabelledImages, TrainingData } from '../core/training/trainer'
import { ExperimentDataError, splitIndices } from './data'

/** A labelled set of pictures that can be rendered at any size and colour. */
export interface PictureSource {
  /** 'fashion-mnist' or the folder's absolute path */
  name: string
  classNames: string[]
  /** the pool training and validation pictures are drawn from */
  pool: Int32Array
  /** the fixed test pictures (never trained on, never chooses anything) */
  test: Int32Array
  facts: () => Promise<PictureFacts>
  /** the pool pictures at `indices` (or the whole test set), rendered as S×S×C bytes one after the other */
  render(which: { pool: readonly number[] } | 'test', size: number, channels: 1 | 3): Promise<Uint8Array>
}

const IMAGE_FILE = /\.(png|jpe?g|gif|webp|bmp|tiff?|avif)$/i

/** Indices of `labels` keeping `perClass` of each class (the stratified test subset), split seed 1. */
function stratifiedSubset(labels: ArrayLike<number>, classes: number, perClass: number): number[] {
  return splitIndices(labels, classes, { valPerClass: perClass, splitSeed: 1 }).validation
}

/** Debian's Fashion-MNIST: the 60k training file as the pool, its 10k test set (or `testPerClass` of each). */
export async function fashionMnistSource(testPerClass?: number, dir?: string): Promise<PictureSource> {
  const fm = await readFashionMnist(dir)
  const classes = fm.classNames.length
  const testIdx =
    testPerClass === undefined
      ? Array.from(fm.test.labels, (_, i) => i)
      : stratifiedSubset(fm.test.labels, classes, testPerClass)
  const frame = FASHION_MNIST_SIZE * FASHION_MNIST_SIZE
  const pick = (pixels: Uint8Array, indices: ArrayLike<number>) => {
    const out = new Uint8Array(indices.length * frame)
    for (let k = 0; k < indices.length; k++)
      out.set(pixels.subarray(indices[k]! * frame, (indices[k]! + 1) * frame), k * frame)
    return out
  }
  return {
    name: 'fashion-mnist',
    classNames: [...fm.classNames],
    pool: Int32Array.from(fm.train.labels),
    test: Int32Array.from(testIdx, (i) => fm.test.labels[i]!),
    // the IDX files hold 28 px grey pictures: what decoding a sample of them as files would find
    facts: async () => ({
      pictures: fm.train.labels.length,
      medianSide: FASHION_MNIST_SIZE,
      greyscale: true,
      sampled: fm.train.labels.length,
    }),
    render: async (which, size, channels) => {
      if (size !== FASHION_MNIST_SIZE || channels !== 1) {
        throw new ExperimentDataError(
          `Fashion-MNIST is 28 px grey; the automatic settings chose ${size} px with ${channels} channel(s), which this experiment does not render`,
        )
      }
      return which === 'test' ? pick(fm.test.images, testIdx) : pick(fm.train.images, which.pool)
    },
  }
}

/** A folder with one sub-folder per label; `testPerClass` pictures of each label are the fixed test set. */
export async function folderSource(dir: string, testPerClass: number): Promise<PictureSource> {
  const root = resolve(dir)
  const entries = await readdir(root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new ExperimentDataError(`cannot read the dataset folder ${root}: ${error.code ?? error.message}`)
  })
  const classNames = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
  const files: { path: string; label: number }[] = []
  for (const [label, name] of classNames.entries()) {
    const names = (await readdir(join(root, name))).filter((f) => IMAGE_FILE.test(f)).sort()
    for (const f of names) files.push({ path: join(root, name, f), label })
  }
  if (classNames.length < 2 || files.length === 0) {
    throw new ExperimentDataError(
      `${root} needs one sub-folder of pictures per label (at least 2 labels); found ${classNames.length} sub-folder(s) with ${files.length} picture(s)`,
    )
  }
  const labels = Int32Array.from(files, (f) => f.label)
  classNames.forEach((name, c) => {
    const count = files.filter((f) => f.label === c).length
    if (count <= testPerClass)
      throw new ExperimentDataError(
        `label "${name}" has ${count} pictures: the test set alone takes ${testPerClass} of each (--test-per-class)`,
      )
  })
  const split = splitIndices(labels, classNames.length, { valPerClass: testPerClass, splitSeed: 1 })
  const pool = split.train
  const test = split.validation
  // decoded once per picture and size: the grid's runs share a size's pictures
  const rendered = new Map<string, Uint8Array>()
  const renderFile = async (i: number, size: number, channels: 1 | 3): Promise<Uint8Array> => {
    const key = `${i} ${size}x${channels}`
    const cached = rendered.get(key)
    if (cached) return cached
    const path = files[i]!.path
    try {
      const { output } = await decodeImage(await readFile(path), (img) =>
        renderTrainingPixels(img, size, channels),
      )
      rendered.set(key, output)
      return output
    } catch (error) {
      if (error instanceof ImageRejectedError)
        throw new ExperimentDataError(`${path} is not a readable picture: ${error.message}`)
      throw error
    }
  }
  let facts: Promise<PictureFacts> | undefined
  const measureFacts = async (): Promise<PictureFacts> => {
    const sized = []
    for (const f of files) {
      if (!(await stat(f.path)).isFile()) continue
      const { width, height } = await inspectImage(await readFile(f.path))
      sized.push({ path: f.path, width, height })
    }
    return factsOfPictures(sized)
  }
  return {
    name: root,
    classNames,
    pool: Int32Array.from(pool, (i) => labels[i]!),
    test: Int32Array.from(test, (i) => labels[i]!),
    facts: () => (facts ??= measureFacts()),
    render: async (which, size, channels) => {
      const indices = which === 'test' ? test : which.pool.map((k) => pool[k]!)
      const frame = size * size * channels
      const out = new Uint8Array(indices.length * frame)
      for (const [k, i] of indices.entries()) out.set(await renderFile(i, size, channels), k * frame)
      return out
    },
  }
}

/** The trainer's data at one size: `perClass` training and `valPerClass` validation pictures per label. */
export async function subsetData(
  source: PictureSource,
  options: { perClass: number; valPerClass: number; imageSize: number; channels: 1 | 3 },
): Promise<{ data: TrainingData; test: LabelledImages }> {
  const { imageSize, channels } = options
  const split = splitIndices(source.pool, source.classNames.length, {
    valPerClass: options.valPerClass,
    perClass: options.perClass,
  })
  const pick = async (indices: number[]): Promise<LabelledImages> => ({
    pixels: await source.render({ pool: indices }, imageSize, channels),
    labels: Int32Array.from(indices, (i) => source.pool[i]!),
  })
  return {
    data: {
      classNames: source.classNames,
      imageSize,
      channels,
      train: await pick(split.train),
      validation: await pick(split.validation),
    },
    test: { pixels: await source.render('test', imageSize, channels), labels: source.test },
  }
}
