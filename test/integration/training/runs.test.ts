import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadModel } from '../../../src/core/engine/model-files'
import { readModelMetadata } from '../../../src/core/engine/model-metadata'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { openDatabase } from '../../../src/core/store/db'
import { listRuns, setRunStatus } from '../../../src/core/store/runs'
import { readCheckpoint, writeCheckpoint } from '../../../src/core/training/checkpoint'
import { pidRecord } from '../../../src/core/training/run-folder'
import type { ApiEvents } from '../../../src/shared/api'
import type { RunSummary } from '../../../src/shared/types'
import type { TrainingSettingsInput } from '../../../src/shared/training-settings'
import { runCli } from '../../helpers/cli'
import { importManyValidationPictures, makeLabelledFolder } from '../../helpers/labelled-folder'
import { tempDir } from '../../helpers/temp'

const home = tempDir('cohort-runs-')
let service: CohortService
let datasetId: number

/** Small and quick: 16 px colour squares of 3 labels, two half-width networks (`extra` may be what the service must refuse). */
const settings = (extra: Record<string, unknown> = {}) =>
  ({
    dataset: 'squares',
    imageSize: 16,
    channels: 3,
    networks: [
      { arch: 'cnn', width: 0.5 },
      { arch: 'resnet-8', width: 0.5 },
    ],
    batchSize: 8,
    epochs: 2,
    ...extra,
  }) as TrainingSettingsInput

function collect<E extends keyof ApiEvents>(name: E, runId: () => number | undefined): ApiEvents[E][] {
  const seen: ApiEvents[E][] = []
  service.events.on(name, (payload) => {
    if ((payload as { runId: number }).runId === runId()) seen.push(payload)
  })
  return seen
}

function nextEvent<E extends keyof ApiEvents>(
  name: E,
  test: (p: ApiEvents[E]) => boolean,
): Promise<ApiEvents[E]> {
  return new Promise((resolve) => {
    const stop = service.events.on(name, (p) => {
      if (test(p)) {
        stop()
        resolve(p)
      }
    })
  })
}

const runDir = (run: RunSummary) => join(home.path, 'runs', String(run.id))

beforeAll(async () => {
  const folder = join(home.path, 'pictures', 'squares')
  await makeLabelledFolder(folder, { red: 16, green: 16, blue: 16 })
  service = await createCohortService({ home: home.path })
  await service['imports.folder']({ folder, dataset: 'squares' })
  datasetId = (await service['datasets.list']())[0]!.id
  await service['splits.apply']({ datasetId, validation: 0.25, test: 0, seed: 1 })
})

afterAll(() => {
  service.close()
  home.cleanup()
})

describe('training runs in the trainer process', () => {
  it('trains, records every epoch in SQLite, reports events and saves a loadable final model', async () => {
    const current: { id?: number } = {}
    const epochs = collect('run.epoch', () => current.id)
    const statuses = collect('run.status', () => current.id)
    const run = await service['runs.start'](settings({ teacher: 'validation' }))
    current.id = run.id
    expect(run.status).toBe('queued')
    expect(run.classNames).toEqual(['blue', 'green', 'red'])
    expect(run.networks.map((n) => n.arch)).toEqual(['cnn', 'resnet-8'])
    expect(run.networks.every((n) => n.params > 0 && n.flops > 0)).toBe(true)

    const done = await service['runs.wait'](run.id)
    expect(done.status).toBe('completed')
    expect(done.backend).toBeTruthy()
    const recorded = await service['runs.epochs'](run.id)
    expect(recorded.map((e) => e.epoch)).toEqual([1, 2])
    expect(epochs.map((e) => e.metrics)).toEqual(recorded)
    expect(statuses[0]).toMatchObject({ status: 'running', backend: done.backend })
    expect(statuses.at(-1)).toMatchObject({ status: 'completed' })

    const finalDir = join(runDir(run), 'final')
    const metadata = await readModelMetadata(finalDir)
    expect(metadata.classNames).toEqual(['blue', 'green', 'red'])
    expect(metadata.ensemble.weights).toEqual(recorded[1]!.ensemble.weights)
    // the run's summary shows what the kept model measures, the same figures as its bundle
    expect(done.kept).not.toBeNull()
    expect(done.kept!.ensemble.valAcc).toBe(metadata.ensemble.valAcc)
    expect(done.kept!.networks.map((n) => n.valAcc)).toEqual(metadata.networks.map((n) => n.valAcc))
    expect(done.kept!.best).toEqual(recorded[1]!.best)
    for (const n of metadata.networks) {
      const model = await loadModel(join(finalDir, n.dir))
      expect(model.outputs[0]!.shape).toEqual([null, 3])
      model.dispose()
    }
    const checkpoint = await readCheckpoint(runDir(run))
    expect(checkpoint?.epoch).toBe(2)
    expect((await service['runs.list'](datasetId)).map((r) => r.id)).toContain(run.id)
  })

  it('refuses bad settings with a clear error and creates no run', async () => {
    const before = (await service['runs.list']()).length
    await expect(service['runs.start'](settings({ networks: [{ arch: 'cnn' }] }))).rejects.toThrow(
      /choose between 2 and 4 networks/,
    )
    await expect(service['runs.start'](settings({ dataset: 'nope' }))).rejects.toThrow(
      /No dataset named 'nope'/,
    )
    await expect(service['runs.start'](settings({ teacher: 'oracle' }))).rejects.toThrow(/unknown teacher/)
    expect(await service['runs.list']()).toHaveLength(before)
  })

  it('chooses the teacher and weight rule by the dataset’s size when none is given, and keeps ones that are', async () => {
    const summary = (await service['datasets.list']()).find((d) => d.id === datasetId)!
    // 12 training and 4 validation pictures a label: few
    expect(summary.labels.map((l) => [l.trainCount, l.validationCount])).toEqual([
      [12, 4],
      [12, 4],
      [12, 4],
    ])
    const chosen = await service['runs.start'](settings({ epochs: 1 }))
    expect(chosen.config).toMatchObject({ teacher: 'min-loss', ensembleRule: 'equal' })
    const kept = await service['runs.start'](
      settings({ epochs: 1, teacher: 'mean', ensembleRule: 'standard-error' }),
    )
    expect(kept.config).toMatchObject({ teacher: 'mean', ensembleRule: 'standard-error' })
    for (const run of [chosen, kept]) await service['runs.wait'](run.id)
  })

  it('weighs the app’s answer by covariance when the validation split is large', async () => {
    await importManyValidationPictures(service, join(home.path, 'pictures', 'many'), 'many')
    const run = await service['runs.start'](settings({ dataset: 'many', epochs: 1 }))
    expect(run.config.ensembleRule).toBe('covariance')
    // the choice is all this test needs: stop the trainer rather than train 540 pictures
    await service['runs.cancel'](run.id)
    await service['runs.wait'](run.id)
  })

  it('cancels within a second and leaves the run resumable', async () => {
    const run = await service['runs.start'](settings({ epochs: 50 }))
    await nextEvent('run.progress', (p) => p.runId === run.id && p.epoch >= 1)
    const asked = Date.now()
    const stopped = nextEvent('run.status', (s) => s.runId === run.id && s.status !== 'running')
    await service['runs.cancel'](run.id)
    const status = await stopped
    expect(Date.now() - asked).toBeLessThan(1000)
    expect(status.status).toBe('cancelled')
    const done = await service['runs.wait'](run.id)
    expect(done.status).toBe('cancelled')
    expect(done.message).toMatch(/resume/)
  })

  it('resumes right after a cancel, once the stopping trainer has left', async () => {
    const run = await service['runs.start'](settings({ epochs: 50 }))
    await nextEvent('run.progress', (p) => p.runId === run.id && p.epoch >= 1)
    await service['runs.cancel'](run.id)
    // no wait in between: a person clicking Cancel then Resume
    const resumed = await service['runs.resume'](run.id)
    expect(resumed.status).toBe('queued')
    await nextEvent('run.progress', (p) => p.runId === run.id)
    await service['runs.cancel'](run.id)
    expect((await service['runs.wait'](run.id)).status).toBe('cancelled')
  })

  it('survives kill -9 of the trainer: interrupted, then resumed to the full number of epochs', async () => {
    const run = await service['runs.start'](settings({ epochs: 3, teacher: 'min-logit' }))
    // kill during epoch 2, after epoch 1 was committed
    await nextEvent('run.progress', (p) => p.runId === run.id && p.epoch === 2)
    const pid = service.runs.trainerPid(run.id)!
    process.kill(pid, 'SIGKILL')
    const killed = await service['runs.wait'](run.id)
    expect(killed.status).toBe('interrupted')
    expect(killed.message).toMatch(/stopped unexpectedly.*resume/)
    expect(killed.epochsDone).toBe(1)

    await service['runs.resume'](run.id)
    const done = await service['runs.wait'](run.id)
    expect(done.status).toBe('completed')
    const epochs = await service['runs.epochs'](run.id)
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3])
    expect(epochs[2]!.ensemble.valAcc).toBeGreaterThan(0.6)
    expect(existsSync(join(runDir(run), 'final', 'metadata.json'))).toBe(true)
  })

  it('stops a diverging run with a clear message and keeps the last good checkpoint', async () => {
    // a good first epoch, then weights that overflow: BatchNorm keeps the zoo's networks finite at any learning
    // rate the settings allow, so the fault is planted in the checkpoint the run resumes from
    const run = await service['runs.start'](settings({ epochs: 3, teacher: 'mean' }))
    await nextEvent('run.epoch', (e) => e.runId === run.id && e.metrics.epoch === 1)
    await service['runs.cancel'](run.id)
    expect((await service['runs.wait'](run.id)).status).toBe('cancelled')
    const checkpoint = (await readCheckpoint(runDir(run)))!
    const weights = checkpoint.networks[1]!.weights
    const kernel = weights.names.findIndex((name) => name.startsWith('logits') && name.includes('kernel'))
    expect(kernel).toBeGreaterThanOrEqual(0)
    weights.values[kernel]!.fill(3e38)
    await writeCheckpoint(runDir(run), checkpoint)

    await service['runs.resume'](run.id)
    const done = await service['runs.wait'](run.id)
    expect(done.status).toBe('failed')
    const match = /^training diverged at epoch (\d+) step \d+ \(loss .+\) — lower the learning rate$/.exec(
      done.message ?? '',
    )
    expect(match, done.message ?? '').not.toBeNull()
    const lastGood = Number(match![1]) - 1
    expect(lastGood).toBeGreaterThan(0)
    expect(done.epochsDone).toBe(lastGood)
    expect((await readCheckpoint(runDir(run)))?.epoch).toBe(lastGood)
  })

  it('cohort train --json prints one line per epoch and the documented final line', () => {
    service.close() // the CLI opens the library itself
    // run from another folder: the trainer process must not depend on the working folder
    // one quick epoch on the squares
    const quick = [
      'train',
      '--dataset',
      'squares',
      '--epochs',
      '1',
      '--image-size',
      '16',
      '--batch-size',
      '8',
    ]
    const r = runCli(home.path, [...quick, '--nets', 'cnn,resnet-8', '--json'], home.path)
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatchObject({ epoch: 1 })
    const final = lines[1]!
    expect(Object.keys(final)).toEqual(['run', 'backend', 'networks', 'ensemble'])
    expect(final.networks).toEqual([
      { index: 0, arch: 'cnn', valAcc: expect.any(Number) },
      { index: 1, arch: 'resnet-8', valAcc: expect.any(Number) },
    ])
    expect(final.ensemble).toEqual({
      valAcc: expect.any(Number),
      weights: [expect.any(Number), expect.any(Number)],
    })

    const bad = runCli(home.path, ['train', '--dataset', 'squares', '--nets', 'cnn'])
    expect(bad.code).toBe(1)
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(/choose between 2 and 4 networks/)
    const runs = JSON.parse(runCli(home.path, ['runs', '--json']).stdout) as RunSummary[]
    expect(runs.at(-1)!.status).toBe('completed')
    expect(readFileSync(join(home.path, 'library.sqlite')).length).toBeGreaterThan(0)

    // every setting left out says what the dataset chose, and why; the predicted time before, the actual after
    const told = runCli(home.path, quick)
    expect(told.code, told.stderr).toBe(0)
    expect(told.stderr).toMatch(/teacher: Recommended for about 12 training pictures per label: /)
    expect(told.stderr).toMatch(/the answer's weights: Recommended for 12 validation pictures: /)
    expect(told.stderr).toMatch(/colour: the pictures sampled have colour/)
    expect(told.stderr).not.toMatch(/picture size:|batch size:|epochs:/)
    expect(told.stderr).toMatch(/\d+ optimiser steps on 36 training pictures: about \d+ (s|min)/)
    expect(told.stdout).toMatch(/completed on \w+ in \d+ s \(predicted about \d+ (s|min)\)/)
    expect(told.stdout).toMatch(/cnn \d+\.\d% \(best at epoch 1 of 1, kept\)/)
    const badRule = runCli(home.path, [...quick, '--ensemble-rule', 'loudest'])
    expect(badRule.code).toBe(1)
    expect(badRule.stderr).toMatch(/the ensemble rule must be one of equal, softmax/)
  })

  it('marks a run left running by a dead trainer as interrupted when the service starts', async () => {
    const db = openDatabase(join(home.path, 'library.sqlite'))
    const [dead, alive] = listRuns(db).slice(-2)
    setRunStatus(db, dead!.id, 'running')
    setRunStatus(db, alive!.id, 'running')
    db.close()
    // another process (this one) is training `alive`: the desktop app and the CLI share a library
    writeFileSync(join(home.path, 'runs', String(alive!.id), 'trainer.pid'), pidRecord(process.pid))
    service = await createCohortService({ home: home.path })
    const run = await service['runs.get'](dead!.id)
    expect(run.status).toBe('interrupted')
    expect(run.message).toMatch(/resume/)
    expect((await service['runs.get'](alive!.id)).status).toBe('running')
  })
})
