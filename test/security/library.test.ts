/**
 * The library's integrity against a clumsy user and a hostile disk: ids never reused, a run never answers
 * with or resumes another run's files, two library files never share folders, an emptied or deleted
 * library file is never silently replaced by an empty one (backups and `cohort doctor` bring it back), a
 * reused pid never keeps a dead run "running", and a busy library is explained in plain words.
 * Drives the real CLI (child processes), the real service and real trainer processes.
 */
import Database from 'better-sqlite3'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { libraryPaths } from '../../src/core/paths'
import { createCohortService } from '../../src/core/service'
import { createDataset } from '../../src/core/store/datasets'
import { openDatabase } from '../../src/core/store/db'
import { migrations } from '../../src/core/store/migrations'
import { createRun, setRunStatus } from '../../src/core/store/runs'
import type { RunSummary } from '../../src/shared/types'
import { runCli } from '../helpers/cli'
import { makeLabelledFolder } from '../helpers/labelled-folder'
import { tempDir } from '../helpers/temp'
import { TINY_SETTINGS, trainTinyRun } from '../helpers/tiny-run'

function timed<T>(work: () => T): { value: T; seconds: number } {
  const start = Date.now()
  const value = work()
  return { value, seconds: (Date.now() - start) / 1000 }
}

function runsOf(home: string, extra: string[] = []): RunSummary[] {
  const r = runCli(home, [...extra, 'runs', '--json'])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as RunSummary[]
}

describe('library integrity', () => {
  it('deleting a dataset removes its runs’ files; a new run gets a fresh id and never answers with the old model', async () => {
    const home = tempDir('cohort-sec-ids-')
    const service = await createCohortService({ home: home.path })
    try {
      const { datasetId, run: old } = await trainTinyRun(service, home.path, 'squares')
      const oldDir = join(service.paths.runs, String(old.id))
      expect(existsSync(join(oldDir, 'final'))).toBe(true)
      await service['datasets.remove'](datasetId)
      expect(existsSync(oldDir)).toBe(false)

      const folder = join(home.path, 'shapes')
      await makeLabelledFolder(folder, { cyan: 10, olive: 10 }, 16)
      await service['imports.folder']({ folder, dataset: 'shapes' })
      const shapes = (await service['datasets.list']()).find((d) => d.name === 'shapes')!
      expect(shapes.id).toBeGreaterThan(datasetId)
      await service['splits.apply']({ datasetId: shapes.id, validation: 0.3, test: 0, seed: 1 })
      const fresh = await service['runs.start']({ dataset: shapes.id, ...TINY_SETTINGS })
      await service['runs.cancel'](fresh.id)
      const stopped = await service['runs.wait'](fresh.id)
      expect(fresh.id).toBeGreaterThan(old.id)
      expect(stopped.status).not.toBe('completed')
      // never trained to the end: no model, whatever lies on disk
      const picture = join(folder, 'cyan', 'cyan-0.png')
      await expect(service['recognise.files'](fresh.id, [picture])).rejects.toThrow(
        /has no trained model yet/,
      )

      // trained: it answers with its own two labels, not the deleted run's three
      await service['runs.resume'](fresh.id)
      const done = await service['runs.wait'](fresh.id)
      expect(done.status, done.message ?? '').toBe('completed')
      const answer = await service['recognise.files'](fresh.id, [picture])
      expect(JSON.stringify(answer.results)).toMatch(/cyan|olive/)
      expect(JSON.stringify(answer.results)).not.toMatch(/"(red|green|blue)"/)
    } finally {
      service.close()
      home.cleanup()
    }
  }, 120_000)

  it('two --db libraries in one home keep their own runs, thumbnails and backups', async () => {
    const home = tempDir('cohort-sec-db-')
    const fileA = join(home.path, 'a.sqlite')
    const fileB = join(home.path, 'b.sqlite')
    try {
      const a = await createCohortService({ home: home.path, dbFile: fileA })
      try {
        await trainTinyRun(a, home.path, 'squares')
      } finally {
        a.close()
      }
      // another library's run 1 — grey pictures, so a shared runs/1 would not even fit its networks
      const b = await createCohortService({ home: home.path, dbFile: fileB })
      try {
        const folder = join(home.path, 'greys')
        await makeLabelledFolder(folder, { one: 10, two: 10 }, 16)
        await b['imports.folder']({ folder, dataset: 'greys' })
        const id = (await b['datasets.list']())[0]!.id
        await b['splits.apply']({ datasetId: id, validation: 0.3, test: 0, seed: 1 })
        const run = await b['runs.start']({ dataset: id, ...TINY_SETTINGS, channels: 1, epochs: 1 })
        expect(run.id).toBe(1)
        const done = await b['runs.wait'](run.id)
        expect(done.status, done.message ?? '').toBe('completed')
        expect(done.epochsDone).toBe(1)
      } finally {
        b.close()
      }
      const info = (file: string) =>
        JSON.parse(runCli(home.path, ['--db', file, 'info', '--json']).stdout) as { home: string }
      expect(info(fileA).home).toBe(join(home.path, 'a.cohort'))
      expect(info(fileB).home).toBe(join(home.path, 'b.cohort'))
      expect(existsSync(join(home.path, 'a.cohort', 'runs', '1', 'final'))).toBe(true)
      expect(existsSync(join(home.path, 'b.cohort', 'runs', '1', 'final'))).toBe(true)
      expect(existsSync(join(home.path, 'runs'))).toBe(false)
      expect(runsOf(home.path, ['--db', fileA])[0]!.classNames).toEqual(['blue', 'green', 'red'])
    } finally {
      home.cleanup()
    }
  }, 120_000)

  it('deleting only library.sqlite* does not start an empty library that resumes old checkpoints; doctor restores it', async () => {
    const home = tempDir('cohort-sec-reset-')
    try {
      const service = await createCohortService({ home: home.path })
      try {
        await trainTinyRun(service, home.path, 'squares')
      } finally {
        service.close()
      }
      // the next day of use backs the library up
      expect(runsOf(home.path)).toHaveLength(1)
      for (const name of readdirSync(home.path)) {
        if (name.startsWith('library.sqlite')) rmSync(join(home.path, name))
      }
      const { value: demo, seconds } = timed(() => runCli(home.path, ['demo', '--epochs', '1']))
      expect(seconds).toBeLessThan(30)
      expect(demo.code).toBe(1)
      expect(demo.stderr).toMatch(
        /library file .*library\.sqlite is missing, but the library's folders \(runs, thumbnails/,
      )
      expect(demo.stderr).toMatch(/cohort doctor/)
      expect(demo.stderr.trim().split('\n')).toHaveLength(1)
      expect(existsSync(join(home.path, 'library.sqlite'))).toBe(false)
      expect(existsSync(join(home.path, 'runs', '1', 'checkpoint'))).toBe(true)

      const restore = runCli(home.path, ['doctor', '--restore'])
      expect(restore.code, restore.stderr).toBe(0)
      const [run] = runsOf(home.path)
      expect(run!.status).toBe('completed')
    } finally {
      home.cleanup()
    }
  }, 120_000)

  it('an emptied library file stops every command with a clear message and is kept; doctor restores a backup', () => {
    const home = tempDir('cohort-sec-empty-')
    try {
      const file = join(home.path, 'library.sqlite')
      // a library written by the previous schema: opening it migrates, after a backup
      const v2 = openDatabase(file, migrations.slice(0, 2))
      v2.prepare("INSERT INTO datasets (name) VALUES ('holidays')").run()
      v2.close()
      const listed = runCli(home.path, ['datasets', '--json'])
      expect(listed.code, listed.stderr).toBe(0)
      const doctor = JSON.parse(runCli(home.path, ['doctor', '--json']).stdout) as {
        state: string
        backups: { reason: string }[]
      }
      expect(doctor.state).toBe('ok')
      expect(doctor.backups.map((b) => b.reason)).toContain('before-migration-3')

      truncateSync(file, 0)
      const { value: refused, seconds } = timed(() => runCli(home.path, ['datasets', '--json']))
      expect(seconds).toBeLessThan(20)
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(
        /^cohort: The library file .*library\.sqlite is empty \(0 bytes\): the library is damaged/,
      )
      expect(refused.stdout).toBe('')
      expect(statSync(file).size).toBe(0)

      const check = runCli(home.path, ['doctor'])
      expect(check.code).toBe(1)
      expect(check.stdout).toMatch(/EMPTY/)
      const restored = runCli(home.path, ['doctor', '--restore'])
      expect(restored.code, restored.stderr).toBe(0)
      expect(restored.stdout).toMatch(/previous file is kept as .*library\.sqlite\.damaged-/)
      const back = runCli(home.path, ['datasets', '--json'])
      expect((JSON.parse(back.stdout) as { name: string }[]).map((d) => d.name)).toEqual(['holidays'])
      expect(readdirSync(home.path).some((n) => n.startsWith('library.sqlite.damaged-'))).toBe(true)
      const unknown = runCli(home.path, ['doctor', '--restore', 'nope.sqlite'])
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toMatch(/No backup named 'nope.sqlite'/)
    } finally {
      home.cleanup()
    }
  }, 60_000)

  it('a pid file naming a live unrelated process does not keep a dead run running; a run never started is swept', () => {
    const home = tempDir('cohort-sec-pid-')
    try {
      const paths = libraryPaths(home.path)
      const db = openDatabase(paths.db)
      const dataset = createDataset(db, 'pets').id
      const newRun = () =>
        createRun(db, { datasetId: dataset, config: {}, classNames: ['a', 'b'], networks: [] })
      const [legacy, wrongStart, queued] = [newRun(), newRun(), newRun()]
      for (const id of [legacy, wrongStart]) setRunStatus(db, id, 'running')
      db.prepare("UPDATE runs SET created_at = '2020-01-01T00:00:00.000Z' WHERE id = ?").run(queued)
      db.close()
      const pidFile = (id: number) => join(paths.runs, String(id), 'trainer.pid')
      for (const id of [legacy, wrongStart]) mkdirSync(join(paths.runs, String(id)), { recursive: true })
      // the test runner is alive, and is no trainer: its pid alone, or with a start time it never had
      writeFileSync(pidFile(legacy), String(process.pid))
      writeFileSync(pidFile(wrongStart), `${process.pid} 1`)

      const runs = runsOf(home.path)
      const status = (id: number) => runs.find((r) => r.id === id)!
      expect(status(legacy).status).toBe('interrupted')
      expect(status(wrongStart).status).toBe('interrupted')
      expect(status(queued).status).toBe('interrupted')
      expect(status(queued).message).toMatch(/never started; resume/)
      const resume = runCli(home.path, ['resume', '--run', String(legacy)])
      expect(resume.stderr).not.toMatch(/already training/)
    } finally {
      home.cleanup()
    }
  }, 60_000)

  it('says the library is busy, in plain words, when another process holds its write lock', () => {
    const home = tempDir('cohort-sec-busy-')
    try {
      const db = openDatabase(join(home.path, 'library.sqlite'))
      createDataset(db, 'pets')
      db.close()
      const holder = new Database(join(home.path, 'library.sqlite'))
      holder.exec('BEGIN IMMEDIATE')
      try {
        const { value: busy, seconds } = timed(() =>
          runCli(home.path, ['labels', 'create', '--dataset', 'pets', 'cat']),
        )
        expect(seconds).toBeLessThan(20)
        expect(busy.code).toBe(1)
        expect(busy.stderr).toBe(
          'cohort: The library is busy with another Cohort process; try again in a moment.\n',
        )
      } finally {
        holder.exec('ROLLBACK')
        holder.close()
      }
    } finally {
      home.cleanup()
    }
  }, 60_000)
})
