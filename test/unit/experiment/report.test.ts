import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { tempDir } from '../../helpers/temp'
import {
  agreementSection,
  columnNames,
  ensembleSection,
  bySetting,
  verdict,
  withBaseline,
  mean,
  renderReport,
  sampleStd,
  summarise,
  fusionWeightChart,
  placeBlock,
  validationChart,
  writeReport,
} from '../../../src/experiment/report'
import { runKey, trainingConfigFor, type RunRecord, type RunSpec } from '../../../src/experiment/runs'
import type { TeacherName } from '../../../src/core/training/teacher-names'

const base: Omit<RunSpec, 'teacher' | 'seed'> = {
  epochs: 6,
  valPerClass: 500,
  nets: ['cnn', 'resnet-8'],
  tau: 0.05,
  T: 2,
  lambda: 1,
  validateEvery: 1,
}

/** A hand-made run: test and validation accuracies (fractions) of cnn, resnet-8 and the ensemble. */
function record(teacher: TeacherName, seed: number, test: number[], val = test): RunRecord {
  const spec: RunSpec = { ...base, teacher, seed }
  return {
    key: runKey(spec),
    spec,
    config: trainingConfigFor(spec),
    sizes: { train: 55_000, validation: 5000, test: 10_000 },
    backend: 'wasm',
    epochs: [0.8, 0.85].map((v, e) => ({
      epoch: e + 1,
      networks: [0, 1].map((i) => ({
        index: i,
        arch: spec.nets[i]!,
        trainLoss: 0.5,
        trainCe: 0.5,
        trainKd: 0,
        trainAcc: 0.8,
        valLoss: 0.4,
        valAcc: v + 0.01 * i,
      })),
      teacher: teacher === 'validation' ? { valAcc: v, weights: e === 0 ? [0.5, 0.5] : [0.25, 0.75] } : null,
      ensemble: { valAcc: v, weights: [0.5, 0.5] },
      lr: 0.01,
      seconds: 30,
      validated: true,
    })),
    final: {
      networks: spec.nets.map((arch, i) => ({ arch, width: 1, valAcc: val[i]!, testAcc: test[i]! })),
      teacher: null,
      ensemble: { valAcc: val[2]!, testAcc: test[2]! },
    },
    seconds: { total: 200, training: 180, test: 5 },
    finishedAt: '2026-11-27T05:00:00.000Z',
  }
}

const records = [
  record('none', 0, [0.885, 0.9, 0.9]),
  record('none', 1, [0.88, 0.905, 0.9]),
  record('min-logit', 0, [0.89, 0.9, 0.899]),
  record('min-logit', 1, [0.887, 0.904, 0.899]),
  // seed 2 has no `none` run: it counts for the accuracy but never for a gain
  record('min-logit', 2, [0.5, 0.5, 0.5]),
]

describe('statistics', () => {
  it('mean and sample std (n − 1)', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5)
    expect(sampleStd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 12)
    expect(sampleStd([7])).toBeNaN()
    expect(() => mean([])).toThrow(/no values/)
  })

  it('pairs gains by seed and ignores seeds without a baseline', () => {
    const [none, minLogit] = summarise(records)
    expect(none!.teacher).toBe('none')
    expect(none!.gain).toBeNull()
    expect(none!.test[0]!.mean).toBeCloseTo(88.25, 10)
    expect(none!.test[0]!.std).toBeCloseTo(Math.sqrt(0.125), 10)
    expect(minLogit!.seeds).toEqual([0, 1, 2])
    // cnn: +0.5 and +0.7 pp; resnet-8: 0 and −0.1; ensemble: −0.1 and −0.1
    const [cnn, resnet, ensemble] = minLogit!.gain!
    expect(cnn!.mean).toBeCloseTo(0.6, 10)
    expect(cnn!.std).toBeCloseTo(Math.sqrt(0.02), 10)
    expect(cnn!.wins).toBe(2)
    expect(cnn!.pairs).toBe(2)
    expect(resnet!.mean).toBeCloseTo(-0.05, 10)
    expect(resnet!.wins).toBe(0)
    expect(ensemble!.std).toBeCloseTo(0, 10)
  })
})

describe('report', () => {
  it('renders the tables with ± std, signed gains and per-seed numbers', () => {
    const md = renderReport(records.slice(0, 4), false)
    expect(md).toContain('| none | 88.25 ± 0.35 | — | 90.25 ± 0.35 | — | 90.00 ± 0.00 | — |')
    expect(md).toContain('| min-logit | 88.85 ± 0.21 | +0.60 ± 0.14 | 90.20 ± 0.28 | −0.05 ± 0.07 |')
    expect(md).toContain('| min-logit | 2/2 | 0/2 | 0/2 |')
    // none's spread: cnn 0.35, resnet-8 0.35, ensemble 0; min-logit +0.60 on both seeds pays for the cnn only
    expect(md).toContain('| **yes** (+0.60 vs 0.35) | no (−0.05 vs 0.35) | no (−0.10 vs 0.00) |')
    expect(md).toContain('| none | 88.50 / 90.00 / 90.00 | 88.00 / 90.50 / 90.00 |')
  })

  it('checks agreement with the reference: accuracies within 1 pp, gains of the same sign', () => {
    const md = agreementSection(records.slice(0, 4))!
    // reference none: 88.51 / 90.33 / 90.19; min-logit gains +0.52 / −0.01 / −0.09
    expect(md).toContain('| none | cnn | 88.51 | 88.25 | — | — | yes (within 1 pp) |')
    expect(md).toContain('| min-logit | cnn | 89.03 | 88.85 | +0.52 | +0.60 | yes (same sign) |')
    expect(md).toContain('| min-logit | resnet-8 | 90.32 | 90.20 | −0.01 | −0.05 | yes (same sign) |')
    const far = [record('none', 0, [0.86, 0.9, 0.9]), record('mean', 0, [0.87, 0.9, 0.9])]
    const disagreement = agreementSection(far)!
    expect(disagreement).toContain('| none | cnn | 88.51 | 86.00 | — | — | **no** (−2.51 pp) |')
    expect(disagreement).toContain('| mean | cnn | 88.57 | 87.00 | +0.06 | +1.00 | yes (same sign) |')
    expect(disagreement).toContain(
      '| mean | resnet-8 | 89.85 | 90.00 | −0.48 | +0.00 | **no** (sign differs) |',
    )
    const small = [record('none', 0, [0.885, 0.9, 0.9]), record('validation', 0, [0.89, 0.9, 0.9])].map(
      (r) => ({
        ...r,
        spec: { ...r.spec, valPerClass: 25, tau: 0.01 },
      }),
    )
    // only the validation teacher depends on the validation split: its row is not compared
    expect(agreementSection(small)).toContain('| none | cnn | 88.51 | 88.50 | — | — | yes (within 1 pp) |')
    expect(agreementSection(small)).toMatch(
      /\| validation \| cnn \| [^|]+ \| 89\.00 \| [^|]+ \| \+0\.50 \| — \(validation split 25\/class/,
    )
    const otherGroup = records.map((r) => ({ ...r, spec: { ...r.spec, nets: ['resnet-20', 'cnn'] } }))
    expect(agreementSection(otherGroup)).toBeNull()
    // the reference always trained with its crop + flip; its weight decay is compared either way
    const noAugment = records.map((r) => ({ ...r, spec: { ...r.spec, augment: 'none' as const } }))
    expect(agreementSection(noAugment)).toBeNull()
    const decayAll = records.slice(0, 4).map((r) => ({ ...r, spec: { ...r.spec, decay: 'all' as const } }))
    expect(agreementSection(decayAll)).toContain('| none | cnn |')
  })

  it('draws one polyline per teacher in the chart', () => {
    const svg = validationChart(records, 0, 'cnn')
    expect(svg.match(/<polyline/g)).toHaveLength(2)
    expect(svg).toContain('>min-logit</text>')
  })
})

describe('ensembleSection', () => {
  /** `r` with the recognition ensemble measured: `equal` at the plain average, softmax at `softmaxTest`. */
  function withEnsembles(r: RunRecord, softmaxTest: number, softmaxWeights: number[]): RunRecord {
    const equal = { weights: [0.5, 0.5], valAcc: r.final.ensemble.valAcc, testAcc: r.final.ensemble.testAcc }
    const softmax = { weights: softmaxWeights, valAcc: 0.9, testAcc: softmaxTest }
    const ensembles = { equal, softmax, 'standard-error': equal, proportional: equal, covariance: equal }
    return { ...r, final: { ...r.final, ensembles } }
  }

  it('compares each weight rule with the plain average on the same runs and counts one-sided weights', () => {
    const runs = [
      withEnsembles(records[0]!, 0.905, [0.99, 0.01]),
      withEnsembles(records[1]!, 0.898, [0.3, 0.7]),
      // recorded before the ensembles were measured: left out
      records[2]!,
    ]
    const md = ensembleSection(runs)!
    expect(md).toContain('over the 2 runs of this setting')
    const row = (rule: string) => md.split('\n').find((l) => l.startsWith(`| ${rule} |`))!
    expect(row('equal')).toContain('| 90.00 ± 0.00 | — | — | 0/2 |')
    // +0.5 and −0.2 pp against the plain average: mean +0.15, one run better, one worse
    expect(row('softmax')).toContain('| 90.15 ± 0.49 | +0.15 ± 0.49 | 1 / 0 / 1 | 1/2 |')
    expect(row('standard-error')).toContain('| +0.00 ± 0.00 | 0 / 2 / 0 |')
    expect(renderReport(runs, false)).toContain('| weight rule |')
  })

  it('is absent when no run measured it', () => {
    expect(ensembleSection(records)).toBeNull()
    expect(renderReport(records, false)).not.toContain('| weight rule |')
  })
})

describe('columnNames', () => {
  it('numbers a network the group holds twice, so tables and chart files stay apart', () => {
    const r = record('none', 0, [0.8, 0.8, 0.8])
    const three = {
      ...r,
      final: {
        ...r.final,
        networks: [
          { arch: 'cnn', width: 1, valAcc: 0.8, testAcc: 0.8 },
          { arch: 'resnet-8', width: 1, valAcc: 0.8, testAcc: 0.8 },
          { arch: 'cnn', width: 0.5, valAcc: 0.8, testAcc: 0.8 },
          { arch: 'cnn', width: 1, valAcc: 0.8, testAcc: 0.8 },
        ],
      },
    }
    expect(columnNames(three)).toEqual(['cnn #1', 'resnet-8', 'cnn×0.5', 'cnn #2', 'ensemble'])
    expect(columnNames(r)).toEqual(['cnn', 'resnet-8', 'ensemble'])
  })
})

describe('verdict', () => {
  it('needs a mean gain above the spread and a win on every seed', () => {
    expect(verdict({ mean: 0.5, wins: 3, pairs: 3 }, 0.3)).toBe('**yes** (+0.50 vs 0.30)')
    expect(verdict({ mean: 0.5, wins: 2, pairs: 3 }, 0.3)).toBe('no (+0.50 vs 0.30)')
    expect(verdict({ mean: 0.2, wins: 3, pairs: 3 }, 0.3)).toBe('no (+0.20 vs 0.30)')
    expect(verdict({ mean: 0.2, wins: 1, pairs: 1 }, Number.NaN)).toBe('— (needs 2+ seeds of none)')
  })
})

describe('variants', () => {
  it('compare a teacher variant with the independent twins of the setting it varies', () => {
    const variant = (seed: number, test: number[]) => {
      const r = record('min-logit', seed, test)
      const spec = { ...r.spec, T: 4 }
      return { ...r, spec, key: runKey(spec) }
    }
    const all = [...records.slice(0, 4), variant(0, [0.88, 0.91, 0.9]), variant(1, [0.885, 0.9, 0.9])]
    const groups = bySetting(all)
    expect(groups).toHaveLength(2)
    expect(groups[1]!.map((r) => `${r.spec.teacher} T=${r.spec.T}`)).toEqual([
      'none T=2',
      'none T=2',
      'min-logit T=4',
      'min-logit T=4',
    ])
    const [, minLogit] = summarise(groups[1]!)
    // cnn: 88.0 − 88.5 and 88.5 − 88.0 → 0 ± 0.71; resnet-8: +1 and −0.5
    expect(minLogit!.gain![0]!.mean).toBeCloseTo(0, 10)
    expect(minLogit!.gain![1]!.mean).toBeCloseTo(0.25, 10)
    const md = renderReport(all, false)
    expect(md).toContain('## cnn + resnet-8, all per class, 6 epochs; T 4, λ 1, τ 0.05')
    expect(md).toContain('The `none` runs are those of the setting this one varies')
    // a baseline is never borrowed across data settings
    const otherData = variant(0, [0.9, 0.9, 0.9])
    const moved = { ...otherData, spec: { ...otherData.spec, epochs: 7 } }
    expect(withBaseline([{ ...moved, key: runKey(moved.spec) }], all)).toHaveLength(1)
  })
})

describe('charts', () => {
  it('draws the fusion weights of a teacher that reports them, per network, on a 0–1 scale', () => {
    const runs = [record('validation', 0, [0.88, 0.9, 0.9]), record('validation', 1, [0.88, 0.9, 0.9])]
    const svg = fusionWeightChart(runs, 'validation')!
    expect(svg.match(/<polyline/g)).toHaveLength(2)
    expect(svg).toContain('>resnet-8</text>')
    expect(svg).toContain('>1</text>')
    // min-logit reports no weights: no chart rather than an empty one; nor for constant weights
    expect(fusionWeightChart(records, 'min-logit')).toBeNull()
    const equal = runs.map((r) => ({
      ...r,
      epochs: r.epochs.map((m) => ({ ...m, teacher: { valAcc: 0.8, weights: [0.5, 0.5] } })),
    }))
    expect(fusionWeightChart(equal, 'validation')).toBeNull()
  })
})

describe('placeBlock', () => {
  it('replaces only its own block and keeps the hand-written text around it', () => {
    const first = placeBlock(null, 'a.jsonl', 'old tables')
    expect(first).toMatch(/^# Fashion-MNIST/)
    const doc = `intro\n\n${first}\noutro\n`
    const withB = placeBlock(doc, 'b.jsonl', 'b tables')
    const updated = placeBlock(withB, 'a.jsonl', 'new tables')
    expect(updated).toContain('intro')
    expect(updated).toContain('outro')
    expect(updated).toContain('b tables')
    expect(updated).toContain('new tables')
    expect(updated).not.toContain('old tables')
    expect(updated.indexOf('new tables')).toBeLessThan(updated.indexOf('outro'))
  })
})

describe('writeReport', () => {
  let dir: string
  let cleanup = () => {}
  beforeEach(() => {
    ;({ path: dir, cleanup } = tempDir('cohort-report-'))
  })
  afterEach(() => cleanup())

  it('writes the block into the Markdown and the charts beside the results, linked relatively', async () => {
    await mkdir(join(dir, 'docs', 'experiments'), { recursive: true })
    const results = join(dir, 'docs', 'experiments', 'results.jsonl')
    const withWeights = [...records, record('validation', 0, [0.88, 0.9, 0.9])]
    await writeFile(results, withWeights.map((r) => JSON.stringify(r)).join('\n') + '\n')
    const markdown = join(dir, 'docs', 'REPORT.md')
    await writeFile(markdown, '# Notes\n\nWritten by hand.\n')
    const { charts } = await writeReport({ results, markdown, against: true })
    const stem = join(dir, 'docs', 'experiments', 'results')
    expect(charts).toEqual([
      `${stem}-1-cnn.svg`,
      `${stem}-1-resnet-8.svg`,
      `${stem}-1-weights-validation.svg`,
    ])
    const md = await readFile(markdown, 'utf8')
    expect(md).toContain('Written by hand.')
    expect(md).toContain('### Agreement with the PyTorch reference (full data (55k), 6 epochs, 3 seeds)')
    expect(md).toContain('![validation accuracy of cnn](experiments/results-1-cnn.svg)')
    expect(md).toContain('![validation weights](experiments/results-1-weights-validation.svg)')
    // a second report replaces its block instead of appending another
    await writeReport({ results, markdown, against: true })
    const again = await readFile(markdown, 'utf8')
    expect(again.match(/### Agreement/g)).toHaveLength(1)
    expect(again).toBe(md)
  })
})
