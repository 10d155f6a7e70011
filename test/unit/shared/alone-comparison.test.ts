import { describe, expect, it } from 'vitest'
import { aloneVerdict, compareAlone } from '../../../src/shared/alone-comparison'
import { newestGroupRun } from '../../../src/shared/run-choice'
import { trainingSettingsSchema } from '../../../src/shared/training-settings'
import type { EpochMetrics, RunSummary } from '../../../src/shared/types'

/** The kept figures of a run: each network's validation accuracy, then the answer's. */
function run(networks: number[], answer: number): Pick<RunSummary, 'networks' | 'kept' | 'last'> {
  const kept = {
    epoch: 10,
    networks: networks.map((valAcc, index) => ({ index, arch: ['cnn', 'resnet-8'][index]!, valAcc })),
    teacher: null,
    ensemble: { valAcc: answer, weights: networks.map(() => 1 / networks.length) },
  } as unknown as EpochMetrics
  return {
    networks: networks.map((_, index) => ({ index, arch: ['cnn', 'resnet-8'][index]!, params: 1, flops: 1 })),
    kept,
    last: kept,
  }
}

describe('what training together added', () => {
  it('lists each network and the answer, together and alone, with the gain', () => {
    const c = compareAlone(run([0.9, 0.92], 0.93), run([0.88, 0.93], 0.91), 1000)!
    expect(c.rows.map((r) => [r.name, r.together, r.alone])).toEqual([
      ['cnn', 0.9, 0.88],
      ['resnet-8', 0.92, 0.93],
      ['answer', 0.93, 0.91],
    ])
    expect(c.rows[1]!.gain).toBeCloseTo(-0.01, 12)
    // two standard errors of a difference of two accuracies near 92 % on 1,000 pictures
    expect(c.noise).toBeCloseTo(2 * Math.sqrt((2 * 0.92 * 0.08) / 1000), 12)
  })

  it('says helped, did not help, or no clear difference by the noise of the validation pictures', () => {
    expect(aloneVerdict(compareAlone(run([0.9, 0.9], 0.95), run([0.85, 0.85], 0.85), 1000)!)).toBe(
      'Training together helped: the answer is right 10.0 points more often than with the networks trained alone.',
    )
    expect(aloneVerdict(compareAlone(run([0.8, 0.8], 0.8), run([0.9, 0.9], 0.9), 1000)!)).toMatch(
      /^Training together did not help here: the answer is right 10.0 points less often/,
    )
    // 1 point on 100 pictures is well inside the noise (±11.2 points)
    expect(aloneVerdict(compareAlone(run([0.8, 0.8], 0.81), run([0.8, 0.8], 0.8), 100)!)).toBe(
      'No clear difference: the answer is up 1.0 points trained together, within what the validation pictures can tell apart (±11.2 points).',
    )
  })

  it('is not there while a run has no kept figures', () => {
    const none = { ...run([0.9, 0.9], 0.9), kept: null, last: null }
    expect(compareAlone(run([0.9, 0.9], 0.9), none, 100)).toBeNull()
  })

  it('a run trained alone has the teacher none and starts from scratch', () => {
    const parse = (input: Record<string, unknown>) =>
      trainingSettingsSchema().safeParse({ dataset: 1, ...input })
    expect(parse({ teacher: 'none', aloneFor: 3 }).success).toBe(true)
    expect(parse({ teacher: 'min-logit', aloneFor: 3 }).error?.issues[0]?.message).toBe(
      'a run trained alone has the teacher "none"',
    )
    expect(parse({ teacher: 'none', aloneFor: 3, fromRun: 2 }).error?.issues[0]?.message).toBe(
      'a run trained alone starts from scratch',
    )
    expect(parse({ teacher: 'none', aloneFor: 0 }).success).toBe(false)
  })

  it('the run the app works with by default is the newest completed group, never a run made to compare', () => {
    const runs = [
      { id: 1, status: 'completed', config: { teacher: 'min-loss' } },
      { id: 2, status: 'completed', config: { teacher: 'none', aloneFor: 1 } },
      { id: 3, status: 'failed', config: { teacher: 'min-loss' } },
    ] as const
    expect(newestGroupRun(runs)?.id).toBe(1)
    expect(newestGroupRun(runs.slice(1))).toBeNull()
  })
})
