import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../src/core/service'
import {
  labellingChart,
  labellingCsv,
  runLabellingExperiment,
  type LabellingResults,
} from '../../../src/experiment/labelling'
import { runCli } from '../../helpers/cli'
import { tempDir } from '../../helpers/temp'
import { closeAfterTrainers } from '../../helpers/vue-wait'

// The labelling simulation at its smallest, on the real trainer, real Fashion-MNIST files and a real library.
const dir = tempDir('cohort-labelling-')
let service: CohortService
let results: LabellingResults
const lines: string[] = []

beforeAll(async () => {
  service = await createCohortService({
    home: join(dir.path, 'home'),
    suggestAfterRuns: false,
    suggestInBackground: false,
  })
  results = await runLabellingExperiment(
    service,
    dir.path,
    {
      pool: 200,
      start: 2,
      rounds: 2,
      perRound: 10,
      seeds: [0],
      orders: ['informative', 'random'],
      nets: ['cnn'],
      widths: [0.25],
      epochs: 1,
      test: 100,
    },
    { log: (line) => lines.push(line) },
  )
}, 600_000)

afterAll(async () => closeAfterTrainers(service, () => dir.cleanup()))

describe('cohort experiment labelling, tiny', () => {
  it('runs every ordering for every round: a new run each round, a run from the last run from round 1', async () => {
    expect(results.rounds.map((r) => `${r.order} ${r.round} ${r.labels}`)).toEqual([
      'informative 0 20',
      'informative 1 30',
      'informative 2 40',
      'random 0 20',
      'random 1 30',
      'random 2 40',
    ])
    for (const r of results.rounds) {
      expect(r.warm === null).toBe(r.round === 0)
      for (const o of [r.warm, r.scratch]) {
        if (!o) continue
        expect(o.testAcc).toBeGreaterThanOrEqual(0)
        expect(o.testAcc).toBeLessThanOrEqual(1)
        expect(o.seconds).toBeGreaterThan(0)
      }
      // the pictures still unlabelled: the pool less the labels given
      expect(r.agreeing.unlabelled).toBe(200 - r.labels)
      expect(r.agreeing.correct).toBeLessThanOrEqual(r.agreeing.count)
    }
    // each run from the last run started from the run before it: round 0's new run, then round 1's warm run
    const informative = results.rounds.filter((r) => r.order === 'informative')
    const runs = await service['runs.list']()
    const fromRun = (id: number) => runs.find((r) => r.id === id)!.fromRun
    expect(fromRun(informative[1]!.warm!.runId)).toBe(informative[0]!.scratch.runId)
    expect(fromRun(informative[2]!.warm!.runId)).toBe(informative[1]!.warm!.runId)
    expect(fromRun(informative[2]!.scratch.runId)).toBeNull()
    expect(lines).toHaveLength(6)
  })

  it('labels what the ordering put first, with the true labels, every 5th for validation', async () => {
    const datasets = await service['datasets.list']()
    expect(datasets.map((d) => d.name).sort()).toEqual([
      'labelling-seed0-informative',
      'labelling-seed0-random',
    ])
    for (const d of datasets) {
      const labelled = (await service['images.list']({ datasetId: d.id })).filter((i) => i.labelId !== null)
      expect(labelled).toHaveLength(40)
      expect(labelled.filter((i) => i.split === 'validation')).toHaveLength(8)
      expect(labelled.filter((i) => i.split === 'train')).toHaveLength(32)
    }
    // the two orderings start alike (same seed) and then pick differently
    const picked = async (name: string) =>
      new Set(
        (await service['images.list']({ datasetId: datasets.find((d) => d.name === name)!.id }))
          .filter((i) => i.labelId !== null)
          .map((i) => i.hash),
      )
    const a = await picked('labelling-seed0-informative')
    const b = await picked('labelling-seed0-random')
    const shared = [...a].filter((h) => b.has(h)).length
    expect(shared).toBeGreaterThanOrEqual(20)
    expect(shared).toBeLessThan(40)
  })

  it('writes a CSV row per run, a summary and a plot of both ways of training per ordering', () => {
    const csv = labellingCsv(results.rounds).trim().split('\n')
    expect(csv[0]).toBe(
      'seed,order,round,labels,training,run,epochs,val_acc,test_acc,seconds,agreeing,agreeing_right',
    )
    expect(csv).toHaveLength(1 + 2 * 5)
    expect(results.summary.rounds).toHaveLength(6)
    expect(Object.keys(results.summary.labelsToRandomFinal).sort()).toEqual(['informative', 'random'])
    const svg = labellingChart(results.summary)
    expect(svg.match(/<polyline/g)).toHaveLength(4)
    expect(svg).toContain('20 labels')
    expect(svg).toContain('40 labels')
  })

  it('the CLI refuses an unknown ordering before any work', () => {
    const r = runCli(join(dir.path, 'cli-home'), ['experiment', 'labelling', '--orders', 'clever'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/unknown ordering "clever"; choose from informative, typical, random/)
  })
})
