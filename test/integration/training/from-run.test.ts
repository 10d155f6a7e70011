import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../src/core/service'
import type { EpochMetrics, RunSummary } from '../../../src/shared/types'
import type { TrainingSettingsInput } from '../../../src/shared/training-settings'
import { runCli } from '../../helpers/cli'
import { makeLabelledFolder } from '../../helpers/labelled-folder'
import { tempDir } from '../../helpers/temp'
import { closeAfterTrainers } from '../../helpers/vue-wait'
import { TINY_SETTINGS } from '../../helpers/tiny-run'

// Retraining from the last run (issue 19) with the real trainer process on real pictures in a real library.
const dir = tempDir('cohort-from-run-')
const home = join(dir.path, 'home')
let service: CohortService
let datasetId: number
let source: RunSummary

async function train(settings: Omit<TrainingSettingsInput, 'dataset'>): Promise<RunSummary> {
  const started = await service['runs.start']({ dataset: datasetId, ...settings })
  const run = await service['runs.wait'](started.id)
  if (run.status !== 'completed') throw new Error(`run ${run.id} ended ${run.status}: ${run.message}`)
  return run
}

const firstEpoch = async (run: RunSummary): Promise<EpochMetrics> =>
  (await service['runs.epochs'](run.id))[0]!

beforeAll(async () => {
  service = await createCohortService({ home })
  const folder = join(dir.path, 'squares')
  await makeLabelledFolder(folder, { red: 16, green: 16, blue: 16 }, 16)
  await service['imports.folder']({ folder, dataset: 'squares' })
  datasetId = (await service['datasets.list']())[0]!.id
  await service['splits.apply']({ datasetId, validation: 0.25, test: 0, seed: 1 })
  // the earlier run: trained long enough to know the squares
  source = await train({ ...TINY_SETTINGS, epochs: 12 })
}, 300_000)

afterAll(async () => closeAfterTrainers(service, () => dir.cleanup()))

describe('a run started from an earlier run (fromRun)', () => {
  it("starts where the earlier run ended: its first epoch as good as the earlier run's end, far above a new run's", async () => {
    // one epoch of one step (36 training pictures, one batch): what the network knows before it is what counts
    const oneStep = { ...TINY_SETTINGS, epochs: 1, batchSize: 64 }
    const warm = await train({ ...oneStep, fromRun: source.id })
    const scratch = await train(oneStep)
    const before = source.last!.ensemble.valAcc!
    const warmFirst = (await firstEpoch(warm)).ensemble.valAcc!
    const scratchFirst = (await firstEpoch(scratch)).ensemble.valAcc!
    // 12 validation pictures: one picture is 0.083
    expect(before).toBeGreaterThan(0.8)
    expect(warmFirst).toBeGreaterThanOrEqual(before - 0.09)
    expect(warmFirst).toBeGreaterThanOrEqual(scratchFirst + 0.3)
    expect(warm.fromRun).toBe(source.id)
    expect(scratch.fromRun).toBeNull()
    expect(warm.config.fromRun).toBe(source.id)
    const metadata = JSON.parse(
      readFileSync(join(home, 'runs', String(warm.id), 'final', 'metadata.json'), 'utf8'),
    ) as { fromRun?: number }
    expect(metadata.fromRun).toBe(source.id)
  }, 300_000)

  it("takes the earlier run's networks, picture size and colour, and a third of the step budget", async () => {
    const plan = await service['runs.plan']({ dataset: datasetId, fromRun: source.id })
    expect(plan.settings.networks).toEqual(source.config.networks)
    expect(plan.settings.imageSize).toBe(16)
    expect(plan.settings.channels).toBe(3)
    // no early stop: the whole (shorter) cosine schedule, measured better than stopping (docs/EXPERIMENTS.md)
    expect(plan.settings.patience).toBeUndefined()
    expect(plan.chosen.networks).toContain(`run ${source.id}`)
    expect(plan.chosen.epochs).toMatch(/a third of a new run's/)
    const scratch = await service['runs.plan']({ dataset: datasetId })
    expect(plan.steps).toBeLessThanOrEqual(Math.ceil(scratch.steps / 3) + 2)
  })

  it('refuses a run that cannot be started from, saying why', async () => {
    const refused = (settings: Record<string, unknown>) =>
      service['runs.start']({ dataset: datasetId, ...settings } as TrainingSettingsInput).then(
        () => 'started',
        (error: Error) => error.message,
      )
    expect(await refused({ fromRun: 999 })).toMatch(/There is no run 999 to start from/)
    expect(
      await refused({
        fromRun: source.id,
        networks: [
          { arch: 'cnn', width: 0.25 },
          { arch: 'cnn', width: 0.25 },
        ],
      }),
    ).toMatch(
      new RegExp(
        `Run ${source.id} trained cnn ×0.25 \\+ resnet-8 ×0.25; a run started from it must train the same networks \\(got cnn ×0.25 \\+ cnn ×0.25\\)`,
      ),
    )
    expect(await refused({ fromRun: source.id, imageSize: 24 })).toMatch(/pictures of 16 px.*got 24/)
    expect(await refused({ fromRun: source.id, channels: 1 })).toMatch(/channels: 3.*got 1/)
    expect(await refused({ fromRun: 'last' })).toMatch(/run id/)
    // a run of another dataset
    const other = join(dir.path, 'dots')
    await makeLabelledFolder(other, { a: 6, b: 6 }, 16)
    await service['imports.folder']({ folder: other, dataset: 'dots' })
    const dots = (await service['datasets.list']()).find((d) => d.name === 'dots')!.id
    const message = await service['runs.start']({ dataset: dots, fromRun: source.id }).then(
      () => 'started',
      (error: Error) => error.message,
    )
    expect(message).toMatch(/Run \d+ trained on dataset "squares", not "dots"/)
    // the CLI says it in one line
    const cli = runCli(home, ['train', '--dataset', 'squares', '--from-run', '999'])
    expect(cli.code).toBe(1)
    expect(cli.stderr.trim().split('\n')).toHaveLength(1)
    expect(cli.stderr).toMatch(/There is no run 999 to start from/)
  })

  it('a label added since gets its own output unit, which trains', async () => {
    // yellow squares join the dataset after the earlier run
    const more = join(dir.path, 'more')
    await makeLabelledFolder(more, { red: 0, green: 0, blue: 0, yellow: 16 }, 16)
    await service['imports.folder']({ folder: more, dataset: 'squares' })
    await service['splits.apply']({ datasetId, validation: 0.25, test: 0, seed: 1 })
    const warm = await train({ ...TINY_SETTINGS, epochs: 10, fromRun: source.id })
    expect(warm.classNames).toEqual(['blue', 'green', 'red', 'yellow'])
    const evaluation = await service['runs.evaluateSplit'](warm.id, 'validation')
    const yellow = evaluation.images.filter((i) => i.label === 3)
    expect(yellow.length).toBeGreaterThan(0)
    const right = yellow.filter((i) => i.predicted === 3).length
    expect(right / yellow.length).toBeGreaterThanOrEqual(0.75)
  }, 300_000)
})
