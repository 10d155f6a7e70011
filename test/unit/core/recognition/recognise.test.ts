import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import sharp from 'sharp'
import { parse } from 'csv-parse/sync'
import {
  readModelBundle,
  disposeModelBundle,
  type ModelBundle,
} from '../../../../src/core/engine/model-metadata'
import { renderTrainingPixels } from '../../../../src/core/dataset/tensor-cache'
import { normaliseBatch } from '../../../../src/core/engine/input'
import {
  readInputPixels,
  recognitionCsv,
  RecognitionError,
  recogniseFiles,
  recogniseFolder,
  softmaxRows,
} from '../../../../src/core/recognition/recognise'
import { REJECT_MESSAGES } from '../../../../src/shared/types'
import { FolderScanError } from '../../../../src/core/dataset/scan'
import { CLASS_NAMES, makeTestBundle, writeColourImage } from '../../../helpers/model-bundle'
import { tempDir } from '../../../helpers/temp'

describe('recognising image files with a model bundle', () => {
  const tmp = tempDir()
  let bundle: ModelBundle
  /** real files of known colour: [path, label] */
  const images: [string, string][] = []

  beforeAll(async () => {
    await tf.setBackend('cpu')
    const made = await makeTestBundle(join(tmp.path, 'model'), { weights: [0.7, 0.3] })
    for (const m of made.models) m.dispose()
    bundle = await readModelBundle(join(tmp.path, 'model'))
    let seed = 100
    for (const label of CLASS_NAMES) {
      for (const ext of ['png', 'jpg']) {
        const file = join(tmp.path, 'photos', `${label}-${seed}.${ext}`)
        images.push([await writeColourImage(file, label, { seed: seed++, width: 23, height: 17 }), label])
      }
    }
  })
  afterAll(() => {
    disposeModelBundle(bundle)
    tmp.cleanup()
  })

  /** Each network's logits for one file, computed here from the training recipe, without recognise.ts. */
  async function referenceLogits(file: string): Promise<Float32Array[]> {
    const { imageSize: s, normalisation } = bundle.metadata
    const pixels = await renderTrainingPixels(sharp(readFileSync(file)).rotate(), s, 3)
    return tf.tidy(() => {
      const x = normaliseBatch({ pixels, shape: [1, s, s, 3] }, normalisation)
      return bundle.models.map((m) => Float32Array.from((m.predict(x) as tf.Tensor).dataSync()))
    })
  }

  it('recognises every real PNG and JPEG by its colour, most probable label first', async () => {
    const report = await recogniseFiles(
      bundle,
      images.map(([f]) => f),
      { topK: 2 },
    )
    expect(report.network).toBe('ensemble')
    expect(report.results.map((r) => r.path)).toEqual(images.map(([f]) => f))
    for (const [i, r] of report.results.entries()) {
      if (!('predictions' in r)) throw new Error(`unexpected error for ${r.path}: ${r.error}`)
      expect(r.predictions).toHaveLength(2)
      expect(r.predictions[0]!.label).toBe(images[i]![1])
      expect(r.predictions[0]!.probability).toBeGreaterThan(r.predictions[1]!.probability)
    }
  })

  it('uses exactly the training decode recipe for the input pixels', async () => {
    const [file] = images[1]!
    const pixels = await readInputPixels(file, bundle.metadata)
    const expected = await renderTrainingPixels(sharp(readFileSync(file)).rotate(), 8, 3)
    expect(Buffer.from(pixels as Uint8Array).equals(expected)).toBe(true)
  })

  it('ensembles by the metadata weights on logits, then softmax; one network is its own softmax', async () => {
    const [file] = images[0]!
    const [z0, z1] = await referenceLogits(file)
    const fused = z0!.map((v, j) => 0.7 * v + 0.3 * z1![j]!)
    const expected = softmaxRows(fused, 3)
    const byNetwork1 = softmaxRows(z1!, 3)
    const ensemble = await recogniseFiles(bundle, [file], { topK: 3, perNetwork: true })
    const single = await recogniseFiles(bundle, [file], { topK: 3, network: 1 })
    const asVector = (r: (typeof ensemble.results)[number]): number[] => {
      if (!('predictions' in r)) throw new Error(r.error)
      return CLASS_NAMES.map((c) => r.predictions.find((p) => p.label === c)!.probability)
    }
    asVector(ensemble.results[0]!).forEach((p, j) => expect(p).toBeCloseTo(expected[j]!, 5))
    asVector(single.results[0]!).forEach((p, j) => expect(p).toBeCloseTo(byNetwork1[j]!, 5))
    // the two networks disagree in detail, so the weighted ensemble differs from either
    expect(Math.abs(expected[0]! - byNetwork1[0]!)).toBeGreaterThan(1e-4)
    const r = ensemble.results[0]!
    expect('perNetwork' in r && r.perNetwork!.map((n) => [n.index, n.arch])).toEqual([
      [0, 'cnn'],
      [1, 'resnet-8'],
    ])
  })

  it('gives the same answers whatever the batch size', async () => {
    const files = images.map(([f]) => f)
    const big = await recogniseFiles(bundle, files, { topK: 3 })
    const progress: number[] = []
    const small = await recogniseFiles(bundle, files, {
      topK: 3,
      batchSize: 4,
      onProgress: (p) => progress.push(p.done),
    })
    expect(progress).toEqual([0, 4, 6])
    big.results.forEach((r, i) => {
      const s = small.results[i]!
      if (!('predictions' in r) || !('predictions' in s)) throw new Error('unexpected error')
      r.predictions.forEach((p, k) => {
        expect(s.predictions[k]!.label).toBe(p.label)
        expect(s.predictions[k]!.probability).toBeCloseTo(p.probability, 6)
      })
    })
  })

  it('reports unreadable files one by one with the same reasons import gives', async () => {
    const dir = join(tmp.path, 'bad')
    mkdirSync(dir)
    writeFileSync(join(dir, 'notes.png'), 'this is text, not a picture')
    writeFileSync(join(dir, 'empty.jpg'), '')
    const png = readFileSync(images[0]![0])
    writeFileSync(join(dir, 'torn.png'), png.subarray(0, Math.floor(png.length / 2)))
    const files = ['notes.png', 'empty.jpg', 'torn.png', 'gone.png'].map((f) => join(dir, f))
    const report = await recogniseFiles(bundle, [images[0]![0], ...files])
    const errors = report.results.slice(1).map((r) => ('error' in r ? r.error : 'recognised'))
    expect(errors[0]).toMatch(new RegExp(`^${REJECT_MESSAGES['not-an-image']}`))
    expect(errors[1]).toMatch(new RegExp(`^${REJECT_MESSAGES.empty}`))
    expect(errors[2]).toMatch(new RegExp(`^${REJECT_MESSAGES.corrupt}`))
    expect(errors[3]).toBe('the file does not exist')
    expect('predictions' in report.results[0]!).toBe(true)
  })

  it('refuses a named pipe and an oversized file at once, with a reason, never waiting or reading them', async () => {
    const fifo = join(tmp.path, 'pipe.png')
    execFileSync('mkfifo', [fifo])
    const huge = join(tmp.path, 'huge.png')
    writeFileSync(huge, '')
    truncateSync(huge, 300 * 1024 * 1024)
    const started = performance.now()
    const report = await recogniseFiles(bundle, [fifo, huge])
    expect(performance.now() - started).toBeLessThan(2000)
    expect(report.results.map((r) => ('error' in r ? r.error : 'recognised'))).toEqual([
      'not a regular file (a named pipe)',
      'the file is larger than the safety limit: 300 MiB, the limit is 256 MiB',
    ])
  })

  it('expands folders to their image files, leaving system files and sidecars out', async () => {
    const dir = join(tmp.path, 'holiday')
    await writeColourImage(join(dir, 'a.png'), 'red', { seed: 7 })
    await writeColourImage(join(dir, 'day2', 'b.jpg'), 'green', { seed: 8 })
    writeFileSync(join(dir, '.DS_Store'), 'x')
    writeFileSync(join(dir, 'a.xmp'), '<xmp/>')
    const report = await recogniseFiles(bundle, [dir], { topK: 1 })
    expect(report.skipped).toBe(2)
    expect(
      report.results.map((r) => [r.path, 'predictions' in r ? r.predictions[0]!.label : r.error]),
    ).toEqual([
      [join(dir, 'a.png'), 'red'],
      [join(dir, 'day2', 'b.jpg'), 'green'],
    ])
  })

  it('recognises one folder, and refuses a missing folder or a file in plain words (no system error)', async () => {
    const dir = join(tmp.path, 'holiday')
    const report = await recogniseFolder(bundle, dir, { topK: 1 })
    expect(report.results.map((r) => r.path)).toEqual([join(dir, 'a.png'), join(dir, 'day2', 'b.jpg')])
    const missing = join(tmp.path, 'no-such-folder')
    await expect(recogniseFolder(bundle, missing)).rejects.toThrow(
      new FolderScanError(`Folder not found: ${missing}`),
    )
    await expect(recogniseFolder(bundle, images[0]![0])).rejects.toThrow(
      new FolderScanError(`${images[0]![0]} is a file, not a folder.`),
    )
  })

  it('writes CSV with one row per file and top-k columns', async () => {
    const report = await recogniseFiles(bundle, [images[0]![0], join(tmp.path, 'missing.png')], { topK: 2 })
    const rows = parse(recognitionCsv(report)) as string[][]
    expect(rows[0]).toEqual(['path', 'label', 'probability', 'label_2', 'probability_2', 'error'])
    expect(rows[1]![0]).toBe(images[0]![0])
    expect(rows[1]![1]).toBe(images[0]![1])
    expect(Number(rows[1]![2])).toBeGreaterThan(Number(rows[1]![4]))
    expect(rows[2]!.slice(1)).toEqual(['', '', '', '', 'the file does not exist'])
  })

  it('refuses a network the model does not have, a bad top-k, and stops when cancelled', async () => {
    const file = images[0]![0]
    await expect(recogniseFiles(bundle, [file], { network: 2 })).rejects.toThrow(
      /networks 0 to 1 \(cnn, resnet-8\); there is no network 2/,
    )
    await expect(recogniseFiles(bundle, [file], { topK: 0 })).rejects.toThrow(RecognitionError)
    const clamped = await recogniseFiles(bundle, [file], { topK: 10 })
    expect('predictions' in clamped.results[0]! && clamped.results[0].predictions).toHaveLength(3)
    const controller = new AbortController()
    controller.abort()
    await expect(recogniseFiles(bundle, [file], { signal: controller.signal })).rejects.toThrow(/cancelled/)
  })
})
