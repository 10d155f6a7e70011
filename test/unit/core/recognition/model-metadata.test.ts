import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import {
  disposeModelBundle,
  ModelBundleError,
  readModelBundle,
  readModelMetadata,
  writeModelBundle,
  type ModelMetadata,
} from '../../../../src/core/engine/model-metadata'
import { createNetwork } from '../../../../src/core/engine/zoo'
import { makeTestBundle } from '../../../helpers/model-bundle'
import { tempDir } from '../../../helpers/temp'

describe('model bundles (metadata.json + one TF.js Layers model per network)', () => {
  const tmp = tempDir()
  let metadata: ModelMetadata
  const good = join(tmp.path, 'good')
  beforeAll(async () => {
    await tf.setBackend('cpu')
    const made = await makeTestBundle(good, { epochs: 0 })
    metadata = made.metadata
    for (const m of made.models) m.dispose()
  })
  afterAll(() => tmp.cleanup())

  /** A copy of the good bundle's metadata with `change` applied, written to a new folder. */
  function withMetadata(name: string, change: (m: Record<string, unknown>) => void): string {
    const dir = join(tmp.path, name)
    mkdirSync(dir, { recursive: true })
    const m = JSON.parse(readFileSync(join(good, 'metadata.json'), 'utf8')) as Record<string, unknown>
    change(m)
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify(m))
    return dir
  }

  it('writes networks into network-<i> and reads them back with the same predictions', async () => {
    expect(metadata.networks.map((n) => n.dir)).toEqual(['network-0', 'network-1'])
    expect(JSON.parse(readFileSync(join(good, 'metadata.json'), 'utf8'))).toEqual(metadata)
    const bundle = await readModelBundle(good)
    expect(bundle.metadata).toEqual(metadata)
    const again = await readModelBundle(good)
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3)
    for (const i of [0, 1]) {
      const a = (bundle.models[i]!.predict(x) as tf.Tensor).dataSync()
      const b = (again.models[i]!.predict(x) as tf.Tensor).dataSync()
      expect(Array.from(a)).toEqual(Array.from(b))
    }
    disposeModelBundle(bundle)
    disposeModelBundle(again)
    x.dispose()
  })

  it('refuses a folder that is not a Cohort model', async () => {
    await expect(readModelBundle(join(tmp.path, 'nowhere'))).rejects.toThrow(/not a Cohort model folder/)
    const foreign = withMetadata('foreign', (m) => (m.format = 'keras'))
    await expect(readModelMetadata(foreign)).rejects.toThrow(/is not a Cohort model \(format "keras"\)/)
    const newer = withMetadata('newer', (m) => (m.version = 7))
    await expect(readModelMetadata(newer)).rejects.toThrow(/newer Cohort/)
    const garbage = join(tmp.path, 'garbage')
    mkdirSync(garbage)
    writeFileSync(join(garbage, 'metadata.json'), '{"format": "cohort-model", ')
    await expect(readModelMetadata(garbage)).rejects.toThrow(/not valid JSON/)
  })

  it('names what is wrong in damaged or inconsistent metadata', async () => {
    const cases: [string, (m: Record<string, unknown>) => void, RegExp][] = [
      ['no-classes', (m) => delete m.classNames, /classNames/],
      ['weights', (m) => (m.ensemble = { weights: [1], valAcc: null }), /1 ensemble weights for 2 networks/],
      ['sum', (m) => (m.ensemble = { weights: [0.2, 0.2], valAcc: null }), /sum to 0.4/],
      ['norm', (m) => (m.normalisation = { mean: [0.5], std: [1] }), /one mean and one std per channel/],
      [
        'escape',
        (m) => ((m.networks as { dir: string }[])[1]!.dir = '../../etc'),
        /not a sub-folder of the bundle/,
      ],
      ['twins', (m) => (m.classNames = ['a', 'a', 'b']), /same name/],
    ]
    for (const [name, change, message] of cases) {
      const dir = withMetadata(name, change)
      const error = await readModelMetadata(dir).catch((e: unknown) => e)
      expect(error, name).toBeInstanceOf(ModelBundleError)
      expect((error as Error).message, name).toMatch(message)
    }
  })

  it('refuses missing or damaged network files, and networks that do not fit the metadata', async () => {
    const missing = withMetadata('missing-network', () => {})
    await expect(readModelBundle(missing)).rejects.toThrow(
      /Network 0 .* cannot be loaded: Cannot read a model/,
    )

    const damaged = join(tmp.path, 'damaged')
    const made = await makeTestBundle(damaged, { epochs: 0 })
    for (const m of made.models) m.dispose()
    truncateSync(join(damaged, 'network-1', 'weights.bin'), 64)
    await expect(readModelBundle(damaged)).rejects.toThrow(/Network 1 .* damaged or mismatched/)

    const wrongClasses = withMetadata('wrong-classes', (m) => (m.classNames = ['a', 'b', 'c', 'd']))
    const fourClassNet = createNetwork({ arch: 'cnn', inputSize: 8, channels: 3, classes: 4, width: 0.25 })
    // the metadata says 4 classes; the good bundle's networks give 3
    mkdirSync(join(wrongClasses, 'network-0'), { recursive: true })
    for (const i of [0, 1]) {
      for (const f of ['model.json', 'weights.bin']) {
        mkdirSync(join(wrongClasses, `network-${i}`), { recursive: true })
        writeFileSync(join(wrongClasses, `network-${i}`, f), readFileSync(join(good, `network-${i}`, f)))
      }
    }
    await expect(readModelBundle(wrongClasses)).rejects.toThrow(/gives 3 outputs.*4 classes/)
    await expect(
      writeModelBundle(join(tmp.path, 'mixed'), {
        models: [fourClassNet, fourClassNet],
        metadata,
      }),
    ).rejects.toThrow(/mixes different models/)
    await expect(
      writeModelBundle(join(tmp.path, 'short'), { models: [fourClassNet], metadata }),
    ).rejects.toThrow(/1 networks were given but the metadata lists 2/)
    fourClassNet.dispose()
  })
})
