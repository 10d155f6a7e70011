import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { createNetwork } from '../../../../src/core/engine/zoo'
import { saveModel } from '../../../../src/core/engine/model-files'
import { checkModelJson, MAX_NETWORK_PARAMS } from '../../../../src/core/engine/model-topology'
import { readModelBundle } from '../../../../src/core/engine/model-metadata'
import { importBundle } from '../../../../src/core/recognition/export'
import { makeTestBundle } from '../../../helpers/model-bundle'
import { HOSTILE_BUNDLES, makeHostileBundle, type HostileBundle } from '../../../helpers/hostile-bundles'
import { tempDir } from '../../../helpers/temp'

const REFUSALS: Record<HostileBundle, RegExp> = {
  'huge-dense': /not one Cohort can open: it declares [\d,]+ parameters; the limit is 16,000,000/,
  'symlinked-weights': /weights file .*weights\.bin: it is a symbolic link/,
  'symlinked-network': /its folder network-0 is a symbolic link; a model bundle holds no links/,
  'dotdot-weights':
    /A weights path in model\.json is not a file in the model folder: \.\.\/network-0x\/w\.bin/,
  'unknown-layer':
    /not one Cohort can open: layer "relu\d+" is a "Activation", which is not a layer of Cohort's networks/,
  'manifest-mismatch':
    /not one Cohort can open: weight conv1\/kernel has shape \[8×3×3×3\] but its layer needs \[3×3×3×8\]/,
}

describe('model topology checks (before any tfjs call)', () => {
  const dir = tempDir()
  const good = join(dir.path, 'good')
  beforeAll(async () => {
    await tf.setBackend('cpu')
    const made = await makeTestBundle(good, { archs: ['cnn'], epochs: 0 })
    for (const m of made.models) m.dispose()
  })
  afterAll(() => dir.cleanup())

  for (const arch of ['cnn', 'resnet-8', 'mobilenet'] as const) {
    it(`accepts the zoo's ${arch}: parameters and weight bytes computed from the topology alone`, async () => {
      const model = createNetwork({ arch, inputSize: 12, channels: 1, classes: 5, width: 0.5 })
      const out = join(dir.path, arch)
      await saveModel(model, out)
      const checked = checkModelJson(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')), {
        input: [12, 12, 1],
        classes: 5,
      })
      expect(checked.params).toBe(model.countParams())
      expect(checked.weightBytes).toBe(statSync(join(out, 'weights.bin')).size)
      expect(checked.weightPaths).toEqual(['./weights.bin'])
      model.dispose()
    })
  }

  it('refuses a topology that does not fit the metadata, or is not a model at all', () => {
    const json = JSON.parse(readFileSync(join(good, 'network-0', 'model.json'), 'utf8')) as unknown
    expect(() => checkModelJson(json, { input: [8, 8, 1], classes: 3 })).toThrow(/takes \[8×8×3\]/)
    expect(() => checkModelJson({ hello: 1 })).toThrow(/not a TensorFlow\.js Layers model/)
    expect(MAX_NETWORK_PARAMS).toBeGreaterThan(4_600_000) // resnet-20 at width 4 with 1000 classes fits
  })

  for (const kind of HOSTILE_BUNDLES) {
    it(`refuses the ${kind} bundle fast, with a clear message, and imports nothing`, async () => {
      const bundle = makeHostileBundle(good, join(dir.path, kind), kind, join(dir.path, `${kind}-outside`))
      const models = join(dir.path, `${kind}-models`)
      const rss = process.memoryUsage().rss
      const started = performance.now()
      await expect(readModelBundle(bundle)).rejects.toThrow(REFUSALS[kind])
      await expect(importBundle(bundle, models)).rejects.toThrow(REFUSALS[kind])
      expect(performance.now() - started).toBeLessThan(1000)
      expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024)
      expect(existsSync(models) ? readdirSync(models) : []).toEqual([])
    })
  }
})
