import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportReport } from '../../src/shared/types'
import { runCli } from '../helpers/cli'
import { oneBitBmp, rawImage } from '../helpers/messy-folder'
import { tempDir } from '../helpers/temp'

// Hostile pictures, folder names and CSVs through the real `cohort` CLI, in a child process.
describe('import of a hostile folder (real CLI)', () => {
  const home = tempDir('cohort-sec-home-')
  const work = tempDir('cohort-sec-in-')
  const folder = join(work.path, 'hostile')
  const long = 'L'.repeat(101)
  const bad = ['tab\tname', long, 'esc\x1b]0;owned\x07']
  const good = ['cat', 'сat' /* Cyrillic с */, '=HYPERLINK("x";"y")', '-1', '@SUM(A1)', 'photo\u202egnp']

  beforeAll(async () => {
    let seed = 1
    for (const name of [...good, ...bad]) {
      mkdirSync(join(folder, name), { recursive: true })
      await rawImage(12, 12, 3, seed++)
        .png()
        .toFile(join(folder, name, `${seed}.png`))
    }
    // 12.5 MB declaring 100 megapixels: unpacked in JavaScript, it once blocked the process for seconds
    writeFileSync(join(folder, 'cat', 'bomb.bmp'), oneBitBmp(10_000, 10_000))
    writeFileSync(join(folder, 'cat', 'name\x1b[2J\x1b[31m.png'), '')
  })
  afterAll(() => {
    home.cleanup()
    work.cleanup()
  })

  it('imports the good folders, reports each bad one with the reason, in bounded time', () => {
    const started = Date.now()
    const r = runCli(home.path, ['import', folder, '--dataset', 'hostile', '--json'])
    expect(Date.now() - started).toBeLessThan(30_000)
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as ImportReport
    expect(report.imported).toBe(good.length)
    expect(Object.keys(report.classes).sort()).toEqual([...good].sort())
    const rejected = Object.fromEntries(report.rejected.map((x) => [x.path.slice(folder.length + 1), x]))
    for (const name of bad) {
      expect(Object.entries(rejected).find(([p]) => p.startsWith(`${name}/`))?.[1]).toMatchObject({
        reason: 'invalid-label',
        detail: expect.stringMatching(/control character|101 characters long; the limit is 100/),
      })
    }
    expect(rejected['cat/bomb.bmp']).toMatchObject({
      reason: 'too-many-pixels',
      detail: '10000 × 10000 is 100 megapixels, BMP files are limited to 25',
    })
    // JSON keeps names exact
    expect(rejected['cat/name\x1b[2J\x1b[31m.png']).toMatchObject({ reason: 'empty' })
  })

  it('a re-run loses nothing and adds nothing; the printed report neutralises escapes', () => {
    const r = runCli(home.path, ['import', folder, '--dataset', 'hostile'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/Imported: 0 new images into "hostile"/)
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(r.stdout).not.toMatch(/[\x1b\x07\u202e]/)
    expect(r.stdout).toContain('name\\x1b[2J\\x1b[31m.png')
    expect(r.stdout).toContain('esc\\x1b]0;owned\\x07/')
    expect(r.stdout).toContain('photo\\u202egnp')
    const list = JSON.parse(
      runCli(home.path, ['labels', 'list', '--dataset', 'hostile', '--json']).stdout,
    ) as {
      name: string
      count: number
    }[]
    expect(list.map((l) => [l.name, l.count]).sort()).toEqual(good.map((g) => [g, 1]).sort())
  })

  it('CSV export guards formula-like labels and a round trip through import-csv changes nothing', () => {
    const csvFile = join(work.path, 'labels.csv')
    const exported = runCli(home.path, ['export-csv', '--dataset', 'hostile', '--out', csvFile])
    expect(exported.code, exported.stderr).toBe(0)
    const text = readFileSync(csvFile, 'utf8')
    expect(text).toContain(`"'=HYPERLINK(""x"";""y"")"`)
    expect(text).toContain(",'@SUM(A1),")
    expect(text).toContain(",'-1,")
    expect(text).not.toMatch(/(^|,)[=+\-@]/m)
    const applied = runCli(home.path, ['import-csv', '--dataset', 'hostile', csvFile, '--json'])
    expect(applied.code, applied.stderr).toBe(0)
    expect(JSON.parse(applied.stdout)).toMatchObject({ applied: good.length, changed: 0, errors: [] })
    const labels = JSON.parse(
      runCli(home.path, ['labels', 'list', '--dataset', 'hostile', '--json']).stdout,
    ) as {
      name: string
    }[]
    expect(labels.map((l) => l.name).sort()).toEqual([...good].sort())
  })
})
