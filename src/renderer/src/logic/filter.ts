import type { DatasetSummary, ImageQuery, LabelOrder, LabelSummary, Split } from '../../../shared/types'

/**
 * What the grid shows. One choice at a time keeps the sidebar simple. `misclassified` carries the
 * images run `runId` got wrong, most confident first, as they were when it was evaluated; `labelNext` the
 * unlabelled pictures with a suggestion, in a "label next" order.
 */
export type ImageFilter =
  | { kind: 'all' }
  | { kind: 'label'; labelId: number }
  | { kind: 'unlabelled' }
  | { kind: 'split'; split: Split }
  | { kind: 'missing' }
  | { kind: 'misclassified'; runId: number; ids: readonly number[] }
  | { kind: 'labelNext'; order: LabelOrder; ids: readonly number[] }

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
    case 'labelNext':
      // a picture labelled since leaves the list
      return { datasetId, labelId: null, ids: [...filter.ids] }
  }
}

/**
 * Whether an image that now has `labelId` still belongs in the filter (labelling can move it out).
 * A fixed mistake stays listed: the run is not evaluated again until the filter is chosen again.
 */
export function stillMatchesAfterLabel(filter: ImageFilter, labelId: number | null): boolean {
  if (filter.kind === 'unlabelled' || filter.kind === 'labelNext') return labelId === null
  if (filter.kind === 'label') return labelId === filter.labelId
  return true
}

/** Whether a picture that was unlabelled and now has its suggested label still belongs in the filter. */
export function stillMatchesAfterAccept(filter: ImageFilter): boolean {
  return filter.kind !== 'unlabelled' && filter.kind !== 'labelNext'
}

export function sameFilter(a: ImageFilter, b: ImageFilter): boolean {
  // one run's mistakes are one choice, whichever evaluation of it listed them
  if (a.kind === 'misclassified' || b.kind === 'misclassified') {
    return a.kind === 'misclassified' && b.kind === 'misclassified' && a.runId === b.runId
  }
  // one ordering is one choice, whichever pictures it lists now
  if (a.kind === 'labelNext' || b.kind === 'labelNext') return a.kind === b.kind
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
    case 'labelNext':
      return `Label next (${filter.order})`
  }
}

/**
 * What an empty grid says: why it is empty and what to do next ("All labelled — split and train"), never
 * a bare "no images".
 */
export function emptyFilterText(filter: ImageFilter, summary: DatasetSummary | null): string {
  const split = summary !== null && summary.splits.train > 0 && summary.splits.validation > 0
  switch (filter.kind) {
    case 'all':
      return 'No pictures yet — import a folder from the library, or capture some with the camera.'
    case 'unlabelled':
      return split
        ? 'All labelled — train a run (Train, at the top).'
        : 'All labelled — split and train: open Splits in the sidebar, then Train.'
    case 'label':
      return 'No pictures with this label yet — pick pictures under All images and press its key.'
    case 'split':
      return filter.split === 'unassigned'
        ? 'Every picture is in a split — ready to train.'
        : `No pictures in ${filter.split} — open Splits in the sidebar and re-split.`
    case 'missing':
      return 'No missing files — every picture is where it was imported from.'
    case 'misclassified':
      return 'No mistakes — the run got every validation picture right.'
    case 'labelNext':
      return 'Nothing left to label next — every picture the run saw unlabelled has a label now.'
  }
}
