import type { ImageQuery, LabelSummary, Split } from '../../../shared/types'

/**
 * What the grid shows. One choice at a time keeps the sidebar simple; the trainer adds
 * `misclassified` (images the latest run got wrong) once runs exist in the UI.
 */
export type ImageFilter =
  | { kind: 'all' }
  | { kind: 'label'; labelId: number }
  | { kind: 'unlabelled' }
  | { kind: 'split'; split: Split }
  | { kind: 'missing' }

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
  }
}

/** Whether an image that now has `labelId` still belongs in the filter (labelling can move it out). */
export function stillMatchesAfterLabel(filter: ImageFilter, labelId: number | null): boolean {
  if (filter.kind === 'unlabelled') return labelId === null
  if (filter.kind === 'label') return labelId === filter.labelId
  return true
}

export function sameFilter(a: ImageFilter, b: ImageFilter): boolean {
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
  }
}
