import { describe, expect, it } from 'vitest'
import {
  describeFilter,
  emptyFilterText,
  filterQuery,
  sameFilter,
  stillMatchesAfterAccept,
  stillMatchesAfterLabel,
  type ImageFilter,
} from '../../../../src/renderer/src/logic/filter'
import type { DatasetSummary } from '../../../../src/shared/types'

describe('filters', () => {
  it('become image queries', () => {
    expect(filterQuery(3, { kind: 'all' })).toEqual({ datasetId: 3 })
    expect(filterQuery(3, { kind: 'unlabelled' })).toEqual({ datasetId: 3, labelId: null })
    expect(filterQuery(3, { kind: 'label', labelId: 7 })).toEqual({ datasetId: 3, labelId: 7 })
    expect(filterQuery(3, { kind: 'split', split: 'test' })).toEqual({ datasetId: 3, split: 'test' })
    expect(filterQuery(3, { kind: 'missing' })).toEqual({ datasetId: 3, status: 'missing' })
    expect(filterQuery(3, { kind: 'misclassified', runId: 2, ids: [9, 4] })).toEqual({
      datasetId: 3,
      ids: [9, 4],
    })
  })

  it('list the label-next order as unlabelled pictures in that order, which labelling or accepting leaves', () => {
    const next = { kind: 'labelNext', order: 'informative', ids: [5, 2, 8] } as const
    expect(filterQuery(3, next)).toEqual({ datasetId: 3, labelId: null, ids: [5, 2, 8] })
    expect(sameFilter(next, { ...next, ids: [2] })).toBe(true)
    expect(sameFilter(next, { kind: 'unlabelled' })).toBe(false)
    expect(stillMatchesAfterLabel(next, 4)).toBe(false)
    expect(stillMatchesAfterLabel(next, null)).toBe(true)
    expect(stillMatchesAfterAccept(next)).toBe(false)
    expect(stillMatchesAfterAccept({ kind: 'unlabelled' })).toBe(false)
    expect(stillMatchesAfterAccept({ kind: 'all' })).toBe(true)
    expect(describeFilter(next, [])).toBe('Label next (informative)')
  })

  it("treat one run's mistakes as one choice, whatever its evaluation listed", () => {
    const run2 = { kind: 'misclassified', runId: 2, ids: [9, 4] } as const
    expect(sameFilter(run2, { ...run2, ids: [4] })).toBe(true)
    expect(sameFilter(run2, { ...run2, runId: 3 })).toBe(false)
    expect(sameFilter(run2, { kind: 'all' })).toBe(false)
    expect(sameFilter({ kind: 'all' }, run2)).toBe(false)
    expect(sameFilter({ kind: 'label', labelId: 1 }, { kind: 'label', labelId: 1 })).toBe(true)
  })

  it('know which labelled image leaves them', () => {
    expect(stillMatchesAfterLabel({ kind: 'unlabelled' }, 4)).toBe(false)
    expect(stillMatchesAfterLabel({ kind: 'unlabelled' }, null)).toBe(true)
    expect(stillMatchesAfterLabel({ kind: 'label', labelId: 4 }, 5)).toBe(false)
    expect(stillMatchesAfterLabel({ kind: 'label', labelId: 4 }, 4)).toBe(true)
    expect(stillMatchesAfterLabel({ kind: 'split', split: 'train' }, 5)).toBe(true)
    // a fixed mistake stays until the run is evaluated again
    expect(stillMatchesAfterLabel({ kind: 'misclassified', runId: 2, ids: [4] }, 5)).toBe(true)
  })

  it('describe themselves with label names', () => {
    expect(
      describeFilter({ kind: 'label', labelId: 2 }, [
        {
          id: 2,
          name: 'cat',
          key: 1,
          colour: null,
          count: 1,
          trainCount: 0,
          validationCount: 0,
          unassignedCount: 1,
        },
      ]),
    ).toBe("Label 'cat'")
    expect(describeFilter({ kind: 'misclassified', runId: 2, ids: [] }, [])).toBe('Misclassified by run 2')
  })

  it('say, when nothing matches, what to do next', () => {
    const summary = (train: number, validation: number) =>
      ({ splits: { train, validation, test: 0, unassigned: 0 } }) as unknown as DatasetSummary
    expect(emptyFilterText({ kind: 'unlabelled' }, summary(0, 0))).toMatch(/^All labelled — split and train/)
    expect(emptyFilterText({ kind: 'unlabelled' }, summary(8, 2))).toMatch(/^All labelled — train a run/)
    const all: ImageFilter[] = [
      { kind: 'all' },
      { kind: 'label', labelId: 1 },
      { kind: 'split', split: 'test' },
      { kind: 'split', split: 'unassigned' },
      { kind: 'missing' },
      { kind: 'misclassified', runId: 1, ids: [] },
    ]
    for (const filter of all) expect(emptyFilterText(filter, null)).toMatch(/^No .+ — |^Every .+ — /)
  })
})
