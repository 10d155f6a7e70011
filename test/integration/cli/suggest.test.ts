import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService } from '../../../src/core/service'
import { makeLabelledFolder } from '../../helpers/labelled-folder'
import { runCli, runCliAsync } from '../../helpers/cli'
import { tempDir } from '../../helpers/temp'
import { trainTinyRun } from '../../helpers/tiny-run'

interface Listed {
  suggestions: { id: number; path: string; label: string; confidence: number; agree: boolean }[]
}

// The real `cohort` binary against a library holding a real tiny run and 12 unlabelled pictures.
describe('cohort suggest / accept', () => {
  const tmp = tempDir('cohort-cli-suggest-')
  const home = join(tmp.path, 'home')
  const list = (...args: string[]): Listed => {
    const r = runCli(home, ['suggest', '--dataset', 'squares', '--json', ...args])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    return JSON.parse(r.stdout) as Listed
  }

  beforeAll(async () => {
    // no background answers: the CLI must answer on demand
    const service = await createCohortService({ home, suggestAfterRuns: false })
    const files = await makeLabelledFolder(join(tmp.path, 'new'), { red: 4, green: 4, blue: 4 }, 16)
    await service['imports.files']({ files, dataset: 'squares' })
    await trainTinyRun(service, tmp.path, 'squares')
    await service['datasets.create']('untrained')
    service.close()
  })
  afterAll(() => tmp.cleanup())

  it('prints every unlabelled picture’s suggestion as JSON, in the chosen order', () => {
    const all = list()
    expect(all.suggestions).toHaveLength(12)
    for (const s of all.suggestions) {
      expect(Object.keys(s)).toEqual(['id', 'path', 'label', 'confidence', 'agree'])
      expect(['blue', 'green', 'red']).toContain(s.label)
      expect(s.path).toContain(join(tmp.path, 'new'))
      expect(s.confidence).toBeGreaterThan(0)
    }
    const informative = list('--order', 'informative', '--limit', '5').suggestions
    expect(informative).toHaveLength(5)
    const disputed = all.suggestions.filter((s) => !s.agree).length
    expect(informative.slice(0, Math.min(5, disputed)).every((s) => !s.agree)).toBe(true)
    // the default order (random, seeded by the run) stays put between calls
    expect(list().suggestions.map((s) => s.id)).toEqual(all.suggestions.map((s) => s.id))
  })

  it('refuses wrong arguments with a clear message', async () => {
    const [order, both, neither, confidence, untrained, lonely] = await Promise.all([
      runCliAsync(home, ['suggest', '--dataset', 'squares', '--order', 'best']),
      runCliAsync(home, ['accept', '--dataset', 'squares', '--all-agreeing', '3']),
      runCliAsync(home, ['accept', '--dataset', 'squares']),
      runCliAsync(home, ['accept', '--dataset', 'squares', '--all-agreeing', '--min-confidence', '150%']),
      runCliAsync(home, ['suggest', '--dataset', 'untrained']),
      runCliAsync(home, ['accept', '--dataset', 'squares', '--min-confidence', '0.5', '3']),
    ])
    expect(order.code).toBe(2)
    expect(order.stderr).toContain('Allowed choices are informative, typical, random')
    expect(both.code).toBe(1)
    expect(both.stderr).toContain('Give either image ids or --all-agreeing (not both, not neither).')
    expect(neither.code).toBe(1)
    expect(confidence.code).toBe(2)
    expect(confidence.stderr).toContain(
      'Expected a confidence from 0 to 1 (e.g. 0.9) or a percentage (e.g. 90%).',
    )
    expect(untrained.code).toBe(1)
    expect(untrained.stderr).toBe(
      'cohort: Dataset "untrained" has no completed run yet; train one to get suggestions.\n',
    )
    expect(lonely.stderr).toContain('--min-confidence goes with --all-agreeing.')
  })

  it('accepts chosen pictures as one action that undo reverts', () => {
    const [a, b] = list().suggestions
    const accepted = runCli(home, ['accept', '--dataset', 'squares', String(a!.id), String(b!.id)])
    expect(accepted.stderr).toBe('')
    expect(accepted.stdout).toBe('Accept 2 suggested labels. Undo with: cohort undo --dataset squares\n')
    expect(list().suggestions.map((s) => s.id)).not.toContain(a!.id)
    const undone = runCli(home, ['undo', '--dataset', 'squares'])
    expect(undone.stdout).toBe('Undid: Accept 2 suggested labels\n')
    expect(list().suggestions).toHaveLength(12)
  })

  it('accepts every agreeing suggestion above a confidence', () => {
    const before = list().suggestions
    const expected = before.filter((s) => s.agree && s.confidence >= 0.4).map((s) => s.id)
    const r = runCli(home, ['accept', '--dataset', 'squares', '--all-agreeing', '--min-confidence', '40%'])
    expect(r.code).toBe(0)
    const left = list().suggestions.map((s) => s.id)
    expect(left.sort()).toEqual(
      before
        .map((s) => s.id)
        .filter((id) => !expected.includes(id))
        .sort(),
    )
    expect(r.stdout).toBe(
      expected.length === 0
        ? 'No suggestion was accepted (nothing matched, or those pictures have labels).\n'
        : `Accept ${expected.length === 1 ? '1 suggested label' : `${expected.length} suggested labels`}. Undo with: cohort undo --dataset squares\n`,
    )
  })
})
