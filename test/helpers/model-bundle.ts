/**
 * Model bundles for tests, made the way a run makes them: zoo networks briefly trained on a tiny learnable
 * synthetic set (the label is the picture's dominant colour), saved with writeModelBundle. Real image
 * files of the same colours (PNG, JPEG) are what recognition and evaluation are tested on.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { createNetwork, describeNetwork } from '../../src/core/engine/zoo'
import { writeModelBundle, type ModelMetadata } from '../../src/core/engine/model-metadata'
import { normaliseBatch } from '../../src/core/engine/input'
import { datasetStatistics } from '../../src/core/dataset/tensor-cache'
import { Random } from '../../src/core/training/random'
import type { NetworkArch } from '../../src/shared/types'

/** Class names in class-index order, and the colour each class's pictures are made of. */
export const COLOURS: Record<string, [number, number, number]> = {
  blue: [40, 60, 210],
  green: [40, 190, 60],
  red: [210, 40, 40],
}
export const CLASS_NAMES = Object.keys(COLOURS)

/** A `width`×`height` RGB picture of `label`'s colour with per-pixel noise of ±`noise`. */
export function colourPixels(label: string, width: number, height: number, random: Random, noise = 50) {
  const [r, g, b] = COLOURS[label]!
  const out = new Uint8Array(width * height * 3)
  for (let i = 0; i < out.length; i += 3) {
    out[i] = clamp(r + random.uniform(-noise, noise))
    out[i + 1] = clamp(g + random.uniform(-noise, noise))
    out[i + 2] = clamp(b + random.uniform(-noise, noise))
  }
  return out
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)))
}

/** Writes a real image file of `label`'s colour (format from the extension: .png or .jpg). */
export async function writeColourImage(
  file: string,
  label: string,
  options: { width?: number; height?: number; seed?: number } = {},
): Promise<string> {
  const { width = 20, height = 14, seed = 1 } = options
  mkdirSync(dirname(file), { recursive: true })
  const image = sharp(Buffer.from(colourPixels(label, width, height, Random.fromSeed(seed))), {
    raw: { width, height, channels: 3 },
  })
  await (file.endsWith('.png') ? image.png() : image.jpeg({ quality: 90 })).toFile(file)
  return file
}

/** Writes a plain grey PNG: no colour at all, so the colour networks answer it unsure. */
export async function writeGreyImage(file: string, width = 20, height = 14): Promise<string> {
  mkdirSync(dirname(file), { recursive: true })
  await sharp(Buffer.alloc(width * height * 3, 128), { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file)
  return file
}

export interface TestBundleOptions {
  archs?: NetworkArch[]
  imageSize?: number
  /** 0 leaves the networks untrained (enough where only plumbing is tested) */
  epochs?: number
  /** ensemble weights; default equal */
  weights?: number[]
  runId?: number
}

/**
 * Trains one network per arch (small width, cpu-friendly) and writes the bundle to `dir`. Returns the
 * metadata and the trained models (the caller disposes them).
 */
export async function makeTestBundle(
  dir: string,
  options: TestBundleOptions = {},
): Promise<{ metadata: ModelMetadata; models: tf.LayersModel[] }> {
  const { archs = ['cnn', 'resnet-8'], imageSize = 8, epochs = 3 } = options
  const classes = CLASS_NAMES.length
  const random = Random.fromSeed(42)
  const perClass = 16
  const n = perClass * classes
  const pixels = new Uint8Array(n * imageSize * imageSize * 3)
  const labels: number[] = []
  for (let i = 0; i < n; i++) {
    const label = i % classes
    pixels.set(colourPixels(CLASS_NAMES[label]!, imageSize, imageSize, random), i * imageSize ** 2 * 3)
    labels.push(label)
  }
  const shape: [number, number, number, number] = [n, imageSize, imageSize, 3]
  const normalisation = datasetStatistics(pixels, 3)
  const x = normaliseBatch({ pixels, shape }, normalisation)
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), classes)
  const models: tf.LayersModel[] = []
  for (const [i, arch] of archs.entries()) {
    const spec = { arch, inputSize: imageSize, channels: 3, classes, width: 0.25, seed: i + 1 }
    const model = createNetwork(spec)
    if (epochs > 0) {
      model.compile({
        optimizer: tf.train.adam(0.01),
        loss: (yTrue: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, logits),
      })
      // no shuffling: the classes are interleaved already, and the same bundle comes out every time
      await model.fit(x, y, { epochs, batchSize: 16, shuffle: false, verbose: 0 })
    }
    models.push(model)
  }
  tf.dispose([x, y])
  const weights = options.weights ?? archs.map(() => 1 / archs.length)
  const metadata: ModelMetadata = {
    format: 'cohort-model',
    version: 1,
    classNames: CLASS_NAMES,
    imageSize,
    channels: 3,
    normalisation,
    networks: archs.map((arch, index) => {
      const d = describeNetwork({ arch, inputSize: imageSize, channels: 3, classes, width: 0.25 })
      return { index, arch, params: d.params, flops: d.flops, valAcc: null, dir: '' }
    }),
    ensemble: { weights, valAcc: null },
    ...(options.runId === undefined ? {} : { runId: options.runId }),
    createdAt: new Date().toISOString(),
  }
  return { metadata: await writeModelBundle(dir, { models, metadata }), models }
}
