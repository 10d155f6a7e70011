import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { writeFashionMnistFolder } from '../../../src/core/dataset/fashion-mnist'
import type { DefaultsRecord } from '../../../src/experiment/defaults'
import { runCli } from '../../helpers/cli'
import { tempDir } from '../../helpers/temp'

// `cohort experiment defaults` for real (real Fashion-MNIST, real training, real decoding of a folder of PNGs),
// shrunk to one-epoch runs on 6 pictures per label and 10 test pictures per label: the command, its results
// file, its report and its resumability, not the science.
describe('cohort experiment defaults', () => {
  const dir = tempDir()
  const home = join(dir.path, 'home')
  const out = join(dir.path, 'results.jsonl')
  const report = join(dir.path, 'EXPERIMENTS.md')
  const tiny = ['--per-class', '6', '--seeds', '0', '--epochs', '1', '--test-per-class', '10']
  const args = ['experiment', 'defaults', ...tiny, '--grid', 'lr=2', '--out', out, '--report', report]
  afterAll(() => dir.cleanup())

  it('trains defaults, none and the grid point, records them and writes the report block with its checks', () => {
    writeFileSync(report, '# Experiments\n\nHand-written introduction.\n')
    const r = runCli(home, args)
    expect(r.code, r.stderr).toBe(0)
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DefaultsRecord)
    expect(records.map((rec) => rec.spec.arm)).toEqual(['defaults', 'none', 'grid'])
    const [defaults, none, grid] = records as [DefaultsRecord, DefaultsRecord, DefaultsRecord]
    // the product's choices for 28 px grey pictures, 60 training pictures: batch 32, the budget's teacher
    expect(defaults.config).toMatchObject({ imageSize: 28, channels: 1, batchSize: 32, epochs: 1 })
    expect(defaults.config.teacher).not.toBe('none')
    expect(defaults.chosen.teacher).toContain('Recommended')
    expect(none.config).toEqual({ ...defaults.config, teacher: 'none' })
    expect(grid.config.lr).toBeCloseTo(2 * defaults.config.lr)
    for (const rec of records) {
      expect(rec.sizes).toEqual({ train: 60, validation: 20, test: 100 })
      expect(rec.steps).toBe(2)
      expect(rec.final.networks.map((n) => n.arch)).toEqual(['cnn', 'resnet-8'])
      for (const n of [...rec.final.networks, rec.final.ensemble]) {
        expect(n.testAcc).toBeGreaterThanOrEqual(0)
        expect(n.testAcc).toBeLessThanOrEqual(1)
        // fractions of 100 test and 20 validation pictures
        expect(Math.round(n.testAcc * 100)).toBeCloseTo(n.testAcc * 100, 6)
        expect(Math.round(n.valAcc * 20)).toBeCloseTo(n.valAcc * 20, 6)
      }
      expect(rec.seconds.training).toBeGreaterThan(0)
    }
    const md = readFileSync(report, 'utf8')
    expect(md).toContain('Hand-written introduction.')
    expect(md).toContain('## Automatic settings — the grid')
    expect(md).toContain('### Fashion-MNIST, 6 per label (60 training, 20 validation, 100 test pictures)')
    expect(md).toContain('epochs overridden to 1')
    expect(md).toMatch(/\| grid: epochs 1× lr 2× batch auto \| 1 \|/)
    const checks = r.stdout.trim().split('\n')
    // 2 networks × best grid, 3 columns × not below none; no reference at 6 per label
    expect(checks).toHaveLength(5)
    for (const line of checks) expect(line).toMatch(/^(PASS|FAIL) /)
    for (const line of checks) expect(md).toContain(line)
  })

  it('skips the runs already in the results file', () => {
    const before = readFileSync(out, 'utf8')
    const r = runCli(home, args)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr.match(/skip \(already in/g)).toHaveLength(3)
    expect(readFileSync(out, 'utf8')).toBe(before)
  })

  it('runs on a folder with one sub-folder per label, decoding its pictures', async () => {
    const folder = join(dir.path, 'folder')
    await writeFashionMnistFolder(folder, { split: 'test', perClass: 20 })
    const folderOut = join(dir.path, 'folder.jsonl')
    const r = runCli(home, [
      ...['experiment', 'defaults', ...tiny, '--grid', '', '--dataset', folder],
      ...['--out', folderOut, '--report', report],
    ])
    expect(r.code, r.stderr).toBe(0)
    const records = readFileSync(folderOut, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DefaultsRecord)
    expect(records.map((rec) => rec.spec.arm)).toEqual(['defaults', 'none'])
    // the PNGs are 28 px grey: the facts the product measures from files say so
    expect(records[0]!.config).toMatchObject({ imageSize: 28, channels: 1 })
    expect(records[0]!.sizes).toEqual({ train: 60, validation: 20, test: 100 })
    expect(records[0]!.spec.dataset).toBe(folder)
    expect(readFileSync(report, 'utf8')).toContain(`### \`${folder}\`, 6 per label`)
  })

  it('explains bad arguments in one line', () => {
    const grid = runCli(home, ['experiment', 'defaults', '--grid', 'lr=0'])
    expect(grid.code).not.toBe(0)
    expect(grid.stderr).toContain('grid lr value "0" must be a positive multiple')
    const missing = runCli(home, ['experiment', 'defaults', '--dataset', join(dir.path, 'nowhere')])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('cannot read the dataset folder')
    expect(missing.stderr).not.toMatch(/\n\s+at /)
    const small = runCli(home, [
      ...['experiment', 'defaults', '--dataset', join(dir.path, 'folder'), '--test-per-class', '20'],
    ])
    expect(small.code).not.toBe(0)
    expect(small.stderr).toContain('has 20 pictures: the test set alone takes 20 of each')
  })
})
