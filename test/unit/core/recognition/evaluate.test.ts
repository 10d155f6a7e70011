import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import {
  disposeModelBundle,
  readModelBundle,
  type ModelBundle,
} from '../../../../src/core/engine/model-metadata'
import { evaluateFolder } from '../../../../src/core/recognition/evaluate'
import { CLASS_NAMES, makeTestBundle, writeColourImage } from '../../../helpers/model-bundle'
import { tempDir } from '../../../helpers/temp'

describe('evaluating a model bundle on labelled images', () => {
  const tmp = tempDir()
  let bundle: ModelBundle
  const folder = join(tmp.path, 'labelled')

  beforeAll(async () => {
    await tf.setBackend('cpu')
    const made = await makeTestBundle(join(tmp.path, 'model'), { weights: [0.6, 0.4] })
    for (const m of made.models) m.dispose()
    bundle = await readModelBundle(join(tmp.path, 'model'))
    // 3 blue, 2 green, 0 red; green's second picture is really blue (a labelling mistake the model exposes)
    await writeColourImage(join(folder, 'blue', 'b1.png'), 'blue', { seed: 1 })
    await writeColourImage(join(folder, 'blue', 'b2.jpg'), 'blue', { seed: 2 })
    await writeColourImage(join(folder, 'blue', 'deeper', 'b3.png'), 'blue', { seed: 3 })
    await writeColourImage(join(folder, 'green', 'g1.png'), 'green', { seed: 4 })
    await writeColourImage(join(folder, 'green', 'g2-actually-blue.png'), 'blue', { seed: 5 })
    // a label the model never learnt, a loose file, an unreadable file and a system file
    await writeColourImage(join(folder, 'purple', 'p1.png'), 'red', { seed: 6 })
    await writeColourImage(join(folder, 'purple', 'p2.png'), 'red', { seed: 7 })
    await writeColourImage(join(folder, 'loose.png'), 'red', { seed: 8 })
    writeFileSync(join(folder, 'green', 'broken.png'), 'not a png')
    writeFileSync(join(folder, 'blue', 'Thumbs.db'), 'x')
  })
  afterAll(() => {
    disposeModelBundle(bundle)
    tmp.cleanup()
  })

  it('measures each network, the ensemble, each class and the confusion matrix on a folder', async () => {
    const r = await evaluateFolder(bundle, folder, { batchSize: 2 })
    const [blue, green, red] = [0, 1, 2]
    expect(CLASS_NAMES).toEqual(['blue', 'green', 'red'])
    expect(r.images).toBe(5)
    expect(r.classNames).toEqual(CLASS_NAMES)
    const expected = [
      [3, 0, 0],
      [1, 1, 0],
      [0, 0, 0],
    ]
    expect(r.confusion).toEqual(expected)
    expect(r.confusion[green]![blue]).toBe(1)
    expect(r.ensemble).toEqual({ accuracy: 4 / 5, weights: [0.6, 0.4] })
    expect(r.networks).toEqual([
      { index: 0, arch: 'cnn', accuracy: 4 / 5 },
      { index: 1, arch: 'resnet-8', accuracy: 4 / 5 },
    ])
    expect(r.perClass).toEqual([
      { label: 'blue', images: 3, accuracy: 1 },
      { label: 'green', images: 2, accuracy: 0.5 },
      { label: 'red', images: 0, accuracy: null },
    ])
    expect(r.perClass[red]!.accuracy).toBeNull()
    expect(r.unknownLabels).toEqual([{ label: 'purple', images: 2 }])
    expect(r.unlabelled).toBe(1)
    expect(r.unreadable).toHaveLength(1)
    expect(r.unreadable[0]!.path).toBe(join(folder, 'green', 'broken.png'))
    expect(r.unreadable[0]!.reason).toMatch(/not an image Cohort can read/)
  })

  it('explains why nothing can be evaluated', async () => {
    const onlyUnknown = join(tmp.path, 'unknown')
    await writeColourImage(join(onlyUnknown, 'cats', 'c.png'), 'red')
    await expect(evaluateFolder(bundle, onlyUnknown)).rejects.toThrow(
      /None of the labels in .* \(cats\) is one the model knows \(blue, green, red\)/,
    )
    const flat = join(tmp.path, 'flat')
    await writeColourImage(join(flat, 'c.png'), 'red')
    await expect(evaluateFolder(bundle, flat)).rejects.toThrow(/has no label sub-folders/)
    const unreadable = join(tmp.path, 'unreadable', 'red')
    mkdirSync(unreadable, { recursive: true })
    writeFileSync(join(unreadable, 'x.png'), '')
    await expect(evaluateFolder(bundle, join(tmp.path, 'unreadable'))).rejects.toThrow(/could be read/)
    await expect(evaluateFolder(bundle, join(tmp.path, 'nowhere'))).rejects.toThrow(/^Folder not found: /)
  })
})
