/**
 * Evaluating a model bundle on labelled images: each network's accuracy and the ensemble's, the ensemble's
 * accuracy per class and its confusion matrix. The images come from a labelled folder (sub-folders are
 * labels, as in import) or directly as uint8 tensors (e.g. a run's test split from the tensor cache).
 */
import { metadataAnswerWeights } from '../engine/ensemble'
import type { EvaluationReport } from '../../shared/types'
import { scanFolder } from '../dataset/scan'
import type { ModelBundle, ModelMetadata } from '../engine/model-metadata'
import {
  argmaxRows,
  DEFAULT_BATCH_SIZE,
  ensembleLogits,
  mapPool,
  networkLogits,
  networksFor,
  readInputPixels,
  rejectionText,
} from './recognise'

export class EvaluationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EvaluationError'
  }
}

export interface EvaluateOptions {
  batchSize?: number
  signal?: AbortSignal
  onProgress?: (progress: { done: number; total: number }) => void
}

/** Correct counts per network and the ensemble's confusion matrix, added to one batch at a time. */
class Tally {
  readonly correct: number[]
  readonly confusion: number[][]
  images = 0

  constructor(private readonly metadata: ModelMetadata) {
    this.correct = metadata.networks.map(() => 0)
    this.confusion = metadata.classNames.map(() => metadata.classNames.map(() => 0))
  }

  add(bundle: ModelBundle, pixels: Uint8Array, labels: Int32Array, batchSize: number): void {
    const classes = this.metadata.classNames.length
    const networks = networksFor(this.metadata, 'ensemble')
    const logits = networkLogits(bundle, pixels, labels.length, networks, batchSize)
    logits.forEach((z, i) => {
      const predicted = argmaxRows(z, classes)
      for (let k = 0; k < labels.length; k++) if (predicted[k] === labels[k]) this.correct[i]!++
    })
    const predicted = argmaxRows(ensembleLogits(logits, metadataAnswerWeights(this.metadata)), classes)
    for (let k = 0; k < labels.length; k++) this.confusion[labels[k]!]![predicted[k]!]!++
    this.images += labels.length
  }

  report(extra: Pick<EvaluationReport, 'unknownLabels' | 'unlabelled' | 'unreadable'>): EvaluationReport {
    const { classNames, networks } = this.metadata
    const n = this.images
    const diagonal = this.confusion.reduce((s, row, i) => s + row[i]!, 0)
    return {
      images: n,
      classNames: [...classNames],
      networks: networks.map((net, i) => ({
        index: net.index,
        arch: net.arch,
        accuracy: this.correct[i]! / n,
      })),
      ensemble: { accuracy: diagonal / n, weights: metadataAnswerWeights(this.metadata) },
      perClass: classNames.map((label, i) => {
        const images = this.confusion[i]!.reduce((s, v) => s + v, 0)
        return { label, images, accuracy: images === 0 ? null : this.confusion[i]![i]! / images }
      }),
      confusion: this.confusion.map((row) => [...row]),
      ...extra,
    }
  }
}

/**
 * Evaluates on a labelled folder: its sub-folders name the labels. Files of labels the model does not know,
 * loose files without a label folder and unreadable files are reported, never silently dropped.
 */
export async function evaluateFolder(
  bundle: ModelBundle,
  folder: string,
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const { metadata } = bundle
  const { signal, onProgress } = options
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  const scan = await scanFolder(folder, signal)
  const classIndex = new Map(metadata.classNames.map((name, i) => [name, i]))
  const unknown = new Map<string, number>()
  let unlabelled = 0
  const known: { path: string; label: number }[] = []
  for (const f of scan.files) {
    if (f.label === null) unlabelled++
    else if (classIndex.has(f.label)) known.push({ path: f.path, label: classIndex.get(f.label)! })
    else unknown.set(f.label, (unknown.get(f.label) ?? 0) + 1)
  }
  const unknownLabels = [...unknown].map(([label, images]) => ({ label, images }))
  if (known.length === 0) {
    const folderLabels = [...new Set(scan.files.map((f) => f.label).filter((l) => l !== null))]
    throw new EvaluationError(
      folderLabels.length === 0
        ? `${folder} has no label sub-folders with images; put each label's images in a sub-folder named after it.`
        : `None of the labels in ${folder} (${folderLabels.join(', ')}) is one the model knows (${metadata.classNames.join(', ')}).`,
    )
  }

  const tally = new Tally(metadata)
  const unreadable = scan.rejected.map((r) => ({ path: r.path, reason: rejectionText(r) }))
  const frame = metadata.imageSize ** 2 * metadata.channels
  onProgress?.({ done: 0, total: known.length })
  for (let start = 0; start < known.length; start += batchSize) {
    if (signal?.aborted) throw new EvaluationError('Evaluation was cancelled.')
    const chunk = known.slice(start, start + batchSize)
    const decoded = await mapPool(chunk, 4, (f) => readInputPixels(f.path, metadata))
    const pixels = new Uint8Array(chunk.length * frame)
    const labels: number[] = []
    decoded.forEach((d, i) => {
      if (typeof d === 'string') unreadable.push({ path: chunk[i]!.path, reason: d })
      else {
        pixels.set(d, labels.length * frame)
        labels.push(chunk[i]!.label)
      }
    })
    tally.add(bundle, pixels.subarray(0, labels.length * frame), Int32Array.from(labels), batchSize)
    onProgress?.({ done: Math.min(known.length, start + batchSize), total: known.length })
  }
  if (tally.images === 0) {
    throw new EvaluationError(
      `None of the ${known.length} images in ${folder} could be read (e.g. ${unreadable[0]?.path}: ${unreadable[0]?.reason}).`,
    )
  }
  return tally.report({ unknownLabels, unlabelled, unreadable })
}
