import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import {
  disposeModelBundle,
  ModelBundleError,
  readModelBundle,
} from '../../../../src/core/engine/model-metadata'
import { exportBundle, importBundle, ModelExportError } from '../../../../src/core/recognition/export'
import { makeTestBundle } from '../../../helpers/model-bundle'
import { tempDir } from '../../../helpers/temp'

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
}

describe('exporting and importing model bundles', () => {
  const tmp = tempDir()
  const source = join(tmp.path, 'runs', '1', 'final')
  const bundleFiles = [
    'metadata.json',
    'network-0/model.json',
    'network-0/weights.bin',
    'network-1/model.json',
    'network-1/weights.bin',
  ]

  beforeAll(async () => {
    await tf.setBackend('cpu')
    const made = await makeTestBundle(source, { epochs: 0, runId: 1 })
    for (const m of made.models) m.dispose()
    // a leftover of the trainer that is not part of the model
    writeFileSync(join(source, 'network-0', 'model.json.tmp'), 'half-written')
  })
  afterAll(() => tmp.cleanup())

  it('copies exactly the bundle to a new folder, loadable with the same predictions', async () => {
    const out = join(tmp.path, 'export', 'colours-model')
    const report = await exportBundle(source, out)
    expect(listFiles(out)).toEqual(bundleFiles)
    expect(report.dir).toBe(out)
    expect(report.files).toBe(5)
    const sizes = bundleFiles.map((f) => readFileSync(join(out, f)).length)
    expect(report.bytes).toBe(sizes.reduce((a, b) => a + b, 0))
    expect(report.metadata.runId).toBe(1)
    const a = await readModelBundle(source)
    const b = await readModelBundle(out)
    const x = tf.randomNormal([3, 8, 8, 3], 0, 1, 'float32', 5)
    for (const i of [0, 1]) {
      expect(Array.from((b.models[i]!.predict(x) as tf.Tensor).dataSync())).toEqual(
        Array.from((a.models[i]!.predict(x) as tf.Tensor).dataSync()),
      )
    }
    disposeModelBundle(a)
    disposeModelBundle(b)
    x.dispose()
  })

  it('exports into an existing empty folder but never over anything', async () => {
    const empty = join(tmp.path, 'empty')
    mkdirSync(empty)
    await exportBundle(source, empty)
    expect(listFiles(empty)).toEqual(bundleFiles)
    await expect(exportBundle(source, empty)).rejects.toThrow(
      /is not empty; export the model to a new or empty/,
    )
    const file = join(tmp.path, 'a-file')
    writeFileSync(file, 'x')
    await expect(exportBundle(source, file)).rejects.toThrow(ModelExportError)
    expect(readFileSync(file, 'utf8')).toBe('x')
  })

  it('refuses to export a damaged bundle and leaves no files behind', async () => {
    const damaged = join(tmp.path, 'damaged')
    await exportBundle(source, damaged)
    truncateSync(join(damaged, 'network-1', 'weights.bin'), 10)
    const out = join(tmp.path, 'from-damaged')
    await expect(exportBundle(damaged, out)).rejects.toThrow(/Network 1 .*damaged or mismatched/)
    expect(existsSync(out)).toBe(false)
  })

  it('imports a validated copy into the library models folder', async () => {
    const models = join(tmp.path, 'home', 'models')
    const report = await importBundle(source, models)
    expect(report.dir.startsWith(join(models, 'imported-'))).toBe(true)
    expect(listFiles(report.dir)).toEqual(bundleFiles)
    const second = await importBundle(source, models)
    expect(second.dir).not.toBe(report.dir)
    const bundle = await readModelBundle(report.dir)
    expect(bundle.metadata).toEqual(report.metadata)
    disposeModelBundle(bundle)
  })

  it('imports nothing from a foreign, damaged or missing folder', async () => {
    const models = join(tmp.path, 'home2', 'models')
    const foreign = join(tmp.path, 'foreign')
    mkdirSync(foreign)
    writeFileSync(join(foreign, 'model.json'), '{}')
    await expect(importBundle(foreign, models)).rejects.toThrow(
      /not a Cohort model folder: it has no metadata.json/,
    )
    await expect(importBundle(join(tmp.path, 'damaged'), models)).rejects.toThrow(ModelBundleError)
    await expect(importBundle(join(tmp.path, 'nowhere'), models)).rejects.toThrow(/There is no folder/)
    expect(existsSync(models)).toBe(false)
  })
})
