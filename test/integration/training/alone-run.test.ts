import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../src/core/service'
import type { RunSummary } from '../../../src/shared/types'
import { openDatabase } from '../../../src/core/store/db'
import { latestCompletedRun } from '../../../src/core/store/suggestions'
import { runCli } from '../../helpers/cli'
import { makeLabelledFolder } from '../../helpers/labelled-folder'
import { tempDir } from '../../helpers/temp'
import { closeAfterTrainers } from '../../helpers/vue-wait'
import { TINY_SETTINGS, trainTinyRun } from '../../helpers/tiny-run'

// A run's networks trained alone (issue 17): the same settings and seed with teacher "none", with the real
// trainer process in a real library, and `cohort compare` on it.
describe('training a run’s networks alone to compare (runs.trainAlone, cohort compare)', () => {
  const dir = tempDir('cohort-alone-')
  const home = join(dir.path, 'home')
  let service: CohortService
  let datasetId: number
  let together: RunSummary
  let alone: RunSummary

  beforeAll(async () => {
    service = await createCohortService({ home })
    ;({ datasetId, run: together } = await trainTinyRun(service, dir.path))
  }, 180_000)
  afterAll(async () => closeAfterTrainers(service, () => dir.cleanup()))

  it('trains the same networks with the same settings and seed, teacher none, once', async () => {
    expect(together.config.teacher).not.toBe('none')
    const started = await service['runs.trainAlone'](together.id)
    expect(started.config).toEqual({ ...together.config, teacher: 'none', aloneFor: together.id })
    expect(started.classNames).toEqual(together.classNames)
    // asked again while it trains: the same run, not a second one
    expect((await service['runs.trainAlone'](together.id)).id).toBe(started.id)
    alone = await service['runs.wait'](started.id)
    expect(alone.status).toBe('completed')
    expect((await service['runs.trainAlone'](together.id)).id).toBe(alone.id)
    const twins = (await service['runs.list'](datasetId)).filter((r) => r.config.aloneFor === together.id)
    expect(twins.map((r) => r.id)).toEqual([alone.id])
    // the group stays the run whose suggestions the dataset shows
    const db = openDatabase(join(home, 'library.sqlite'))
    try {
      expect(latestCompletedRun(db, datasetId)).toBe(together.id)
    } finally {
      db.close()
    }
  }, 180_000)

  it('cohort compare --json prints each network together and alone, and the answer’s', () => {
    const r = runCli(home, ['compare', '--run', String(together.id), '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout) as {
      run: number
      alone: number
      rows: { name: string; together: number; alone: number; gain: number }[]
      noise: number
    }
    expect([out.run, out.alone]).toEqual([together.id, alone.id])
    expect(out.rows.map((row) => row.name)).toEqual(['cnn', 'resnet-8', 'answer'])
    expect(out.rows[2]!.together).toBe(together.kept!.ensemble.valAcc)
    expect(out.rows[2]!.alone).toBe(alone.kept!.ensemble.valAcc)
    expect(out.rows[0]!.gain).toBeCloseTo(
      together.kept!.networks[0]!.valAcc - alone.kept!.networks[0]!.valAcc,
      10,
    )
    expect(out.noise).toBeGreaterThan(0)
  })

  it('refuses, saying why: a run trained alone, one started from another run, labels that changed', async () => {
    await expect(service['runs.trainAlone'](alone.id)).rejects.toThrow(
      `Run ${alone.id} already trained each network alone (teacher "none").`,
    )
    const warmStarted = await service['runs.start']({
      dataset: datasetId,
      ...TINY_SETTINGS,
      epochs: 1,
      fromRun: together.id,
    })
    const warm = await service['runs.wait'](warmStarted.id)
    await expect(service['runs.trainAlone'](warm.id)).rejects.toThrow(
      `started from run ${together.id}'s weights, which learned together`,
    )
    await expect(service['runs.trainAlone'](9999)).rejects.toThrow(/9999/)
    // a new label with pictures in every split: the group's labels are no longer the dataset's
    const folder = join(dir.path, 'more')
    // (the empty labels keep the new pictures' colours apart from the first import's)
    await makeLabelledFolder(folder, { red: 0, green: 0, blue: 0, yellow: 8 }, 16)
    await service['imports.folder']({ folder, dataset: 'squares' })
    await service['splits.apply']({ datasetId, validation: 0.25, test: 0.25, seed: 1 })
    const again = await service['runs.start']({ dataset: datasetId, ...TINY_SETTINGS, epochs: 1 })
    await service['runs.wait'](again.id)
    await service['runs.remove'](alone.id)
    await expect(service['runs.trainAlone'](together.id)).rejects.toThrow(
      `The dataset's labels have changed since run ${together.id}`,
    )
    const r = runCli(home, ['compare', '--run', String(together.id)])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(`The dataset's labels have changed since run ${together.id}`)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  }, 180_000)
})
