import type { DatasetSummary } from '../../../shared/types'

/** What a dataset needs next before a run can train on it, in the order a person does it. */
export type NextStep =
  | { kind: 'import' }
  | { kind: 'label'; unlabelled: number }
  | { kind: 'more-labels' }
  | { kind: 'split' }
  | { kind: 'train' }

export function nextStep(summary: DatasetSummary): NextStep {
  if (summary.imageCount === 0) return { kind: 'import' }
  const unlabelled = summary.imageCount - summary.labeledCount
  if (unlabelled > 0) return { kind: 'label', unlabelled }
  if (summary.labels.filter((l) => l.count > 0).length < 2) return { kind: 'more-labels' }
  if (summary.splits.train === 0 || summary.splits.validation === 0) return { kind: 'split' }
  return { kind: 'train' }
}

/** The next step in words. */
export function nextStepText(step: NextStep): string {
  switch (step.kind) {
    case 'import':
      return 'No pictures yet — import a folder from the library, or capture some with the camera.'
    case 'label':
      return `${step.unlabelled} ${step.unlabelled === 1 ? 'picture has' : 'pictures have'} no label yet — label them: pick pictures and press a label’s key.`
    case 'more-labels':
      return 'A run needs pictures of at least 2 labels — add a label and give it some pictures.'
    case 'split':
      return 'All labelled — split them into training and validation pictures, then train.'
    case 'train':
      return 'Labelled and split — ready to train.'
  }
}
