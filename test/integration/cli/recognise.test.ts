import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { parse } from 'csv-parse/sync'
import { libraryPaths } from '../../../src/core/paths'
import { openDatabase } from '../../../src/core/store/db'
import { createDataset } from '../../../src/core/store/datasets'
import { createRun, setRunStatus } from '../../../src/core/store/runs'
import { runCli } from '../../helpers/cli'
import { CLASS_NAMES, makeTestBundle, writeColourImage } from '../../helpers/model-bundle'
import { tempDir } from '../../helpers/temp'

// The real `cohort` binary in a child process (wasm or whichever backend it picks) on a run's trained model.
describe('cohort predict / eval / export', () => {
  const tmp = tempDir()
  const home = join(tmp.path, 'home')
  const photos = join(tmp.path, 'photos')
  let runId: number

  beforeAll(async () => {
    await tf.setBackend('cpu')
    const paths = libraryPaths(home)
    const db = openDatabase(paths.db)
    const dataset = createDataset(db, 'colours')
    runId = createRun(db, { datasetId: dataset.id, config: {}, classNames: CLASS_NAMES, networks: [] })
    setRunStatus(db, runId, 'completed') // only a completed run has a model
    db.close()
    const made = await makeTestBundle(join(paths.runs, String(runId), 'final'), { runId })
    for (const m of made.models) m.dispose()
    for (const [i, label] of CLASS_NAMES.entries()) {
      await writeColourImage(join(photos, label, `${label}-a.png`), label, { seed: 50 + i })
      await writeColourImage(join(photos, label, `${label}-b.jpg`), label, { seed: 60 + i })
    }
  })
  afterAll(() => tmp.cleanup())

  it('predicts a folder, printing JSON and writing CSV in the same run', () => {
    const csvFile = join(tmp.path, 'predictions.csv')
    const args = ['predict', '--run', String(runId), photos, '--top', '2', '--json', '--csv', csvFile]
    const json = runCli(home, args)
    expect(json.stderr).toBe('')
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout) as {
      network: string
      results: { path: string; predictions: { label: string; probability: number }[] }[]
    }
    expect(report.network).toBe('ensemble')
    expect(report.results).toHaveLength(6)
    for (const r of report.results) {
      expect(r.predictions).toHaveLength(2)
      expect(r.predictions[0]!.label).toBe(r.path.split('/').at(-2))
    }
    const rows = parse(readFileSync(csvFile, 'utf8')) as string[][]
    expect(rows[0]).toEqual(['path', 'label', 'probability', 'label_2', 'probability_2', 'error'])
    expect(rows.slice(1).map((r) => [r[0], r[1], Number(r[2])])).toEqual(
      report.results.map((r) => [r.path, r.predictions[0]!.label, r.predictions[0]!.probability]),
    )
  })

  it('evaluates a run on a labelled folder, then exports its model', () => {
    const r = runCli(home, ['eval', '--run', String(runId), photos, '--json'])
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout) as {
      networks: { index: number; arch: string; accuracy: number }[]
      ensemble: { accuracy: number }
      perClass: { label: string; images: number }[]
      confusion: number[][]
    }
    expect(report.networks.map((n) => [n.index, n.arch, n.accuracy])).toEqual([
      [0, 'cnn', 1],
      [1, 'resnet-8', 1],
    ])
    expect(report.ensemble.accuracy).toBe(1)
    expect(report.perClass.map((c) => c.images)).toEqual([2, 2, 2])
    expect(report.confusion).toEqual([
      [2, 0, 0],
      [0, 2, 0],
      [0, 0, 2],
    ])
    const out = join(tmp.path, 'exported')
    const exported = runCli(home, ['export', '--run', String(runId), '--out', out])
    expect(exported.code).toBe(0)
    expect(exported.stdout).toMatch(/Exported 2 networks \(5 files, \d+ bytes\)/)
    expect(readdirSync(out).sort()).toEqual(['metadata.json', 'network-0', 'network-1'])
  })

  it('explains usage mistakes and missing models in one line', () => {
    const none = runCli(home, ['predict', photos])
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/Give exactly one of --run <id> .* or --model <folder>/)
    const missing = runCli(home, ['predict', '--model', join(tmp.path, 'no-model'), photos])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(
      /^cohort: .*no-model is not a Cohort model folder: it has no metadata.json.\n$/,
    )
  })
})
