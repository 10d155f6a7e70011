import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../../helpers/temp'
import { makeLabelledFolder } from '../../helpers/labelled-folder'
import { runCli } from '../../helpers/cli'

// The CLI end to end, in child processes, on a real library file: each command is its own process,
// so this also proves that state (labels, undo history, splits) persists between them.
describe('cohort CLI on a real library', () => {
  const dir = tempDir()
  const home = join(dir.path, 'home')
  const pictures = join(dir.path, 'pets')
  let files: string[] = []

  beforeAll(async () => {
    files = await makeLabelledFolder(pictures, { cat: 8, dog: 7, bird: 5 })
    writeFileSync(join(pictures, '.DS_Store'), 'junk')
    writeFileSync(join(pictures, 'dog', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]))
  })
  afterAll(() => dir.cleanup())

  it('imports a folder and prints the documented JSON report', () => {
    const r = runCli(home, ['import', pictures, '--dataset', 'pets', '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const report = JSON.parse(r.stdout)
    expect(report).toMatchObject({ dataset: 'pets', imported: 20, duplicates: 0, skipped: 1 })
    expect(report.classes).toEqual({ bird: 5, cat: 8, dog: 7 })
    expect(report.rejected).toEqual([
      {
        path: join(pictures, 'dog', 'broken.jpg'),
        reason: 'corrupt',
        ...(report.rejected[0].detail ? { detail: report.rejected[0].detail } : {}),
      },
    ])
    expect(Array.isArray(report.conflicts)).toBe(true)
  })

  it('re-importing adds nothing', () => {
    const r = runCli(home, ['import', pictures, '--dataset', 'pets', '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ imported: 0, duplicates: 20 })
  })

  it('lists datasets, splits reproducibly and warns about small labels', () => {
    const list = JSON.parse(runCli(home, ['datasets', '--json']).stdout)
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ name: 'pets', imageCount: 20, labeledCount: 20 })

    const a = runCli(home, ['split', '--dataset', 'pets', '--val', '0.25', '--seed', '7', '--json'])
    expect(a.code).toBe(0)
    const split = JSON.parse(a.stdout)
    expect(split.counts.cat.validation + split.counts.cat.train).toBe(8)
    expect(split.counts.cat.validation).toBe(2)
    const csvA = runCli(home, ['export-csv', '--dataset', 'pets']).stdout
    runCli(home, ['split', '--dataset', 'pets', '--val', '0.25', '--seed', '7'])
    expect(runCli(home, ['export-csv', '--dataset', 'pets']).stdout).toBe(csvA)
  })

  it('labels by path, undoes and redoes across processes', () => {
    const target = files.find((f) => f.includes('bird-0'))!
    expect(runCli(home, ['label', '--dataset', 'pets', '--as', 'parrot', target]).code).toBe(0)
    const labelOf = (): string => {
      const csv = runCli(home, ['export-csv', '--dataset', 'pets']).stdout
      return csv
        .split('\n')
        .find((l) => l.includes('bird-0'))!
        .split(',')[1]!
    }
    expect(labelOf()).toBe('parrot')
    expect(runCli(home, ['undo', '--dataset', 'pets']).stdout).toMatch(/^Undid: /)
    expect(labelOf()).toBe('bird')
    expect(runCli(home, ['redo', '--dataset', 'pets']).stdout).toMatch(/^Redid: /)
    expect(labelOf()).toBe('parrot')
  })

  it('round-trips labels through CSV and exports a folder per label', () => {
    const csvFile = join(dir.path, 'pets.csv')
    expect(runCli(home, ['export-csv', '--dataset', 'pets', '--out', csvFile]).code).toBe(0)
    const text = readFileSync(csvFile, 'utf8').replace(/,parrot,/g, ',bird,')
    writeFileSync(csvFile, text)
    const applied = JSON.parse(runCli(home, ['import-csv', '--dataset', 'pets', csvFile, '--json']).stdout)
    expect(applied).toMatchObject({ applied: 20, unknownPaths: [], errors: [] })
    const after = runCli(home, ['export-csv', '--dataset', 'pets']).stdout
    expect(after).not.toMatch(/parrot/)
    expect(after.split('\n').filter((l) => l.includes(',bird,'))).toHaveLength(5)

    const out = join(dir.path, 'export')
    const r = runCli(home, ['export-dataset', '--dataset', 'pets', '--out', out, '--json'])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).copied).toBe(20)
    expect(readdirSync(join(out, 'cat'))).toHaveLength(8)
    expect(existsSync(join(out, 'bird'))).toBe(true)
  })

  it('explains what went wrong in one line, without a stack trace', () => {
    const missing = runCli(home, ['import', join(dir.path, 'nope')])
    expect(missing.code).toBe(1)
    expect(missing.stderr.trim().split('\n')).toHaveLength(1)
    expect(missing.stderr).toMatch(/No such file or folder/)

    const unknown = runCli(home, ['split', '--dataset', 'nothing'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/No dataset named "nothing".*pets/)

    const badVal = runCli(home, ['split', '--dataset', 'pets', '--val', '1.5'])
    expect(badVal.code).toBe(1)
    expect(badVal.stderr).toMatch(/--val must be a fraction/)

    const usage = runCli(home, ['split'])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/--dataset/)
    for (const r of [missing, unknown, badVal, usage]) expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('reports the backend it trains with, and explains a forced one that cannot load', () => {
    const info = JSON.parse(runCli(home, ['info', '--json']).stdout)
    expect(info.backend).toMatchObject({ name: 'wasm' })
    expect(info.backend.kernels).toContain('Conv2DBackpropFilter')
    expect(info.libraryFile).toBe(join(home, 'library.sqlite'))
    const forced = runCli(home, ['--backend', 'gpu', 'info'])
    expect(forced.stdout).toMatch(/Backend: +none \(unknown backend "gpu"/)
  })

  it('has --help on every command', () => {
    for (const cmd of [
      'import',
      'datasets',
      'split',
      'label',
      'labels',
      'undo',
      'export-dataset',
      'export-csv',
      'bench',
      'serve',
    ]) {
      const r = runCli(home, [cmd, '--help'])
      expect(r.code, cmd).toBe(0)
      expect(r.stdout, cmd).toMatch(/Usage: cohort/)
    }
  })
})
