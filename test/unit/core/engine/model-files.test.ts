import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFileSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { createNetwork } from '../../../../src/core/engine/zoo'
import { loadModel, ModelFileError, saveModel } from '../../../../src/core/engine/model-files'
import { tempDir } from '../../../helpers/temp'

describe('model files (TF.js Layers format)', () => {
  const dir = tempDir()
  beforeAll(async () => {
    await tf.setBackend('cpu')
  })
  afterAll(() => dir.cleanup())

  for (const arch of ['cnn', 'resnet-8', 'mobilenet'] as const) {
    it(`saves and loads ${arch} with identical predictions`, async () => {
      const model = createNetwork({ arch, inputSize: 16, channels: 3, classes: 4, seed: 3 })
      const out = join(dir.path, arch)
      await saveModel(model, out)
      const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'))
      expect(manifest.format).toBe('layers-model')
      expect(manifest.weightsManifest[0].paths).toEqual(['./weights.bin'])
      const loaded = await loadModel(out)
      const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 7)
      const a = (model.predict(x) as tf.Tensor).dataSync()
      const b = (loaded.predict(x) as tf.Tensor).dataSync()
      expect(Array.from(b)).toEqual(Array.from(a))
      x.dispose()
      model.dispose()
      loaded.dispose()
    })
  }

  it('refuses damaged or foreign files with a clear message', async () => {
    const out = join(dir.path, 'cnn')
    truncateSync(join(out, 'weights.bin'), 100)
    await expect(loadModel(out)).rejects.toThrow(/damaged or mismatched/)
    writeFileSync(join(out, 'model.json'), '{"hello": 1}')
    await expect(loadModel(out)).rejects.toThrow(ModelFileError)
    await expect(loadModel(join(dir.path, 'nothing'))).rejects.toThrow(/Cannot read a model/)
  })
})
