/** "1 image", "12 images". */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/** A dataset's labelled pictures by split, as a run uses them. */
interface LabelSplits {
  count: number
  trainCount: number
  validationCount: number
  unassignedCount: number
}

/**
 * What a run learns from, in plain words: "Learns from 12 pictures and checks itself on 3 more. 3 test
 * pictures stay apart for your own check. No labelled picture is left out."
 */
export function learnsFrom(labels: readonly LabelSplits[]): string {
  const sum = (pick: (l: LabelSplits) => number) => labels.reduce((n, l) => n + pick(l), 0)
  const train = sum((l) => l.trainCount)
  const validation = sum((l) => l.validationCount)
  const leftOut = sum((l) => l.unassignedCount)
  const test = sum((l) => l.count) - train - validation - leftOut
  const parts = [`Learns from ${count(train, 'picture')} and checks itself on ${validation} more.`]
  if (test > 0)
    parts.push(`${count(test, 'test picture')} stay${test === 1 ? 's' : ''} apart for your own check.`)
  parts.push(
    leftOut === 0
      ? 'No labelled picture is left out.'
      : `Leaves out ${count(leftOut, 'labelled picture')} in no split.`,
  )
  return parts.join(' ')
}
