import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../helpers/temp'
import { makeLabelledFolder } from '../../helpers/labelled-folder'
import { runCli } from '../../helpers/cli'
import { openDatabase } from '../../../src/core/store/db'
import { createRun, setRunStatus } from '../../../src/core/store/runs'

// Rename and delete from the CLI, each command its own process on a real library: nothing is deleted
// until the person says --yes, and the refusal says what would be lost.
describe('cohort CLI: rename and delete datasets, runs; label colours', () => {
  const dir = tempDir()
  const home = join(dir.path, 'home')
  let runId = 0

  beforeAll(async () => {
    const pictures = join(dir.path, 'pets')
    await makeLabelledFolder(pictures, { cat: 3, dog: 3 })
    expect(runCli(home, ['import', pictures, '--dataset', 'pets']).code).toBe(0)
    const db = openDatabase(join(home, 'library.sqlite'))
    try {
      const datasetId = (db.prepare("SELECT id FROM datasets WHERE name = 'pets'").get() as { id: number }).id
      runId = createRun(db, {
        datasetId,
        config: {},
        classNames: ['cat', 'dog'],
        networks: [{ index: 0, arch: 'cnn', params: 1, flops: 1 }],
      })
      setRunStatus(db, runId, 'completed')
      mkdirSync(join(home, 'runs', String(runId), 'final'), { recursive: true })
    } finally {
      db.close()
    }
  })
  afterAll(() => dir.cleanup())

  it('gives a label a colour by name, and refuses one outside the palette with the choices', () => {
    expect(runCli(home, ['labels', 'colour', '--dataset', 'pets', 'cat', 'teal']).code).toBe(0)
    const labels = JSON.parse(runCli(home, ['labels', 'list', '--dataset', 'pets', '--json']).stdout)
    expect(labels.find((l: { name: string }) => l.name === 'cat').colour).toBe('#00796b')
    const bad = runCli(home, ['labels', 'colour', '--dataset', 'pets', 'cat', 'yellow'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/No label colour "yellow". Choose one of: steel blue, orange/)
  })

  it('renames a dataset', () => {
    const r = runCli(home, ['datasets', 'rename', 'pets', 'animals'])
    expect(r.stdout).toBe('Renamed dataset "pets" to "animals"\n')
    expect(
      JSON.parse(runCli(home, ['datasets', '--json']).stdout).map((d: { name: string }) => d.name),
    ).toEqual(['animals'])
  })

  it('deletes a run only with --yes, with its folder', () => {
    const asked = runCli(home, ['runs', 'delete', String(runId)])
    expect(asked.code).not.toBe(0)
    expect(asked.stderr).toMatch(
      /Deleting run \d+ loses its 0 recorded epochs and its trained model; .* Nothing was deleted; add --yes/,
    )
    expect(existsSync(join(home, 'runs', String(runId)))).toBe(true)
    const done = runCli(home, ['runs', 'delete', String(runId), '--yes'])
    expect(done.stdout).toBe(`Deleted run ${runId}.\n`)
    expect(existsSync(join(home, 'runs', String(runId)))).toBe(false)
    expect(JSON.parse(runCli(home, ['runs', '--json']).stdout)).toEqual([])
  })

  it('deletes a dataset only with --yes, saying what is lost', () => {
    const asked = runCli(home, ['datasets', 'delete', 'animals'])
    expect(asked.code).not.toBe(0)
    expect(asked.stderr).toContain(
      'Deleting “animals” loses the labels and splits of its 6 pictures and 0 training runs with their models; the picture files stay on disk. Nothing was deleted; add --yes to delete it.',
    )
    expect(JSON.parse(runCli(home, ['datasets', '--json']).stdout)).toHaveLength(1)
    const done = runCli(home, ['datasets', 'delete', 'animals', '--yes'])
    expect(done.code).toBe(0)
    expect(JSON.parse(runCli(home, ['datasets', '--json']).stdout)).toEqual([])
  })
})
