import type { ImageQuery, LabelSummary, Split } from '../../../shared/types'

/**
 * What the grid shows. One choice at a time keeps the sidebar simple. `misclassified` carries the
 * images run `runId` got wrong, most confident first, as they were when it was evaluated.
 */
export type ImageFilter =
  | { kind: 'all' }
  | { kind: 'label'; labelId: number }
  | { kind: 'unlabelled' }
  | { kind: 'split'; split: Split }
  | { kind: 'missing' }
  | { kind: 'misclassified'; runId: number; ids: readonly number[] }

export const ALL: ImageFilter = { kind: 'all' }

/** The `images.list` / `images.count` query for a filter (without paging). */
export function filterQuery(datasetId: number, filter: ImageFilter): ImageQuery {
  switch (filter.kind) {
    case 'all':
      return { datasetId }
    case 'label':
      return { datasetId, labelId: filter.labelId }
    case 'unlabelled':
      return { datasetId, labelId: null }
    case 'split':
      return { datasetId, split: filter.split }
    case 'missing':
      return { datasetId, status: 'missing' }
    case 'misclassified':
      return { datasetId, ids: [...filter.ids] }
  }
}

/**
 * Whether an image that now has `labelId` still belongs in the filter (labelling can move it out).
 * A fixed mistake stays listed: the run is not evaluated again until the filter is chosen again.
 */
export function stillMatchesAfterLabel(filter: ImageFilter, labelId: number | null): boolean {
  if (filter.kind === 'unlabelled') return labelId === null
  if (filter.kind === 'label') return labelId === filter.labelId
  return true
}

export function sameFilter(a: ImageFilter, b: ImageFilter): boolean {
  // one run's mistakes are one choice, whichever evaluation of it listed them
  if (a.kind === 'misclassified' || b.kind === 'misclassified') {
    return a.kind === 'misclassified' && b.kind === 'misclassified' && a.runId === b.runId
  }
  return JSON.stringify(a) === JSON.stringify(b)
}

/** The filter in words, for the status bar. */
export function describeFilter(filter: ImageFilter, labels: readonly LabelSummary[]): string {
  switch (filter.kind) {
    case 'all':
      return 'All images'
    case 'label':
      return `Label '${labels.find((l) => l.id === filter.labelId)?.name ?? '?'}'`
    case 'unlabelled':
      return 'Unlabelled'
    case 'split':
      return `Split: ${filter.split}`
    case 'missing':
      return 'Missing files'
    case 'misclassified':
      return `Misclassified by run ${filter.runId}`
  }
}
