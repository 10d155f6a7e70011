import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../../helpers/cli'
import { tempDir } from '../../helpers/temp'

// `cohort experiment fashion-mnist` for real on Debian's Fashion-MNIST, shrunk to two one-epoch runs on
// 5 images per class: the command, its JSON, its report and its resumability, not the science.
describe('cohort experiment fashion-mnist', () => {
  const dir = tempDir()
  const home = join(dir.path, 'home')
  const out = join(dir.path, 'results', 'tiny.jsonl')
  const report = join(dir.path, 'EXPERIMENTS.md')
  const args = [
    ...['experiment', 'fashion-mnist', '--quick', '--json', '--seeds', '0', '--teachers', 'none,validation'],
    ...['--epochs', '1', '--per-class', '5', '--out', out, '--report', report],
    ...['--validation-rule', 'standard-error', '--distill-warmup', '1', '--augment', 'strong'],
    ...['--decay', 'all'],
  ]
  afterAll(() => dir.cleanup())

  it('trains each teacher, prints the documented JSON and writes the report block and charts', () => {
    writeFileSync(report, '# Experiments\n\nHand-written introduction.\n')
    const r = runCli(home, args)
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout)
    expect(Object.keys(summary.teachers)).toEqual(['none', 'validation'])
    for (const t of Object.values(summary.teachers) as {
      networks: { arch: string; testAcc: { mean: number; std: number | null } }[]
      ensemble: { testAcc: { mean: number } }
    }[]) {
      expect(t.networks.map((n) => n.arch)).toEqual(['cnn', 'resnet-8'])
      for (const n of [...t.networks, t.ensemble]) {
        expect(n.testAcc.mean).toBeGreaterThanOrEqual(0)
        expect(n.testAcc.mean).toBeLessThanOrEqual(1)
      }
    }
    expect(summary.teachers.validation.networks[0].gain.mean).toEqual(expect.any(Number))
    const lines = readFileSync(out, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(2)
    // every option reaches the trainer's settings
    const { key, config } = JSON.parse(lines[1]!)
    expect(key).toContain('rule=standard-error')
    expect(config.teacherOptions.validationRule).toBe('standard-error')
    expect(config.distillWarmupEpochs).toBe(1)
    expect(config.networks[0].augment).toMatchObject({ pad: 4, brightness: 0.2 })
    expect(config.weightDecayScope).toBe('all')
    expect(config.networks).toHaveLength(2)
    // the recognition ensemble under every weight rule, the plain average among them
    const { final } = JSON.parse(lines[0]!)
    expect(Object.keys(final.ensembles)).toEqual([
      'equal',
      'softmax',
      'standard-error',
      'proportional',
      'covariance',
    ])
    expect(final.ensembles.equal.testAcc).toBe(final.ensemble.testAcc)
    const md = readFileSync(report, 'utf8')
    expect(md).toContain('Hand-written introduction.')
    expect(md).toContain('| validation |')
    expect(md).toContain('| weight rule |')
    expect(md).toContain('](results/tiny-1-cnn.svg)')
    expect(existsSync(join(dir.path, 'results', 'tiny-1-resnet-8.svg'))).toBe(true)
    expect(r.stderr).toContain('[2/2] run: teacher=validation seed=0')
  }, 180_000)

  it('skips the runs already in the results file and prints the same summary', () => {
    const first = readFileSync(out, 'utf8')
    const r = runCli(home, args)
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('[1/2] skip (already in')
    expect(r.stderr).toContain('[2/2] skip (already in')
    expect(readFileSync(out, 'utf8')).toBe(first)
    const md = readFileSync(report, 'utf8')
    expect(md.match(/generated from tiny\.jsonl: begin/g)).toHaveLength(1)
  }, 60_000)

  it('explains wrong arguments in one line', () => {
    const bad = runCli(home, ['experiment', 'fashion-mnist', '--teachers', 'none,oracle'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('unknown teacher "oracle"')
    const noSubset = runCli(home, ['experiment', 'fashion-mnist', '--all', '--val-fraction', '0.2'])
    expect(noSubset.code).toBe(2)
    expect(noSubset.stderr).toContain('error: --val-fraction needs --per-class')
  })
})
