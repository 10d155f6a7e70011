/**
 * A run's final model on its own dataset's validation or test split, image by image: what the Results view
 * shows (accuracies, confusion matrix) and what lets a confusion cell or the misclassified gallery open the
 * very images behind a number. Pixels come from the run's tensor cache, so nothing is decoded twice.
 */
import { metadataAnswerWeights } from '../engine/ensemble'
import type { SplitEvaluation, SplitImageResult } from '../../shared/types'
import type { Db } from '../store/db'
import { loadTrainingTensors, type TensorSplit } from '../dataset/tensor-cache'
import type { ModelBundle } from '../engine/model-metadata'
import { argmaxRows, ensembleLogits, networkLogits, networksFor, softmaxRows } from './recognise'
import { EvaluationError } from './evaluate'

export type EvaluatedSplit = SplitEvaluation['split']

export interface RunEvaluationContext {
  db: Db
  /** the library's tensor cache folder (LibraryPaths.cache) */
  cacheDir: string
}

/** The split's images whose label the model knows, relabelled to the model's class indices. */
function knownImages(split: TensorSplit, from: readonly string[], to: readonly string[], frame: number) {
  const index = from.map((name) => to.indexOf(name))
  const keep: number[] = []
  const unknown = new Map<string, number>()
  split.labels.forEach((y, k) => {
    if (index[y]! >= 0) keep.push(k)
    else unknown.set(from[y]!, (unknown.get(from[y]!) ?? 0) + 1)
  })
  const pixels = new Uint8Array(keep.length * frame)
  keep.forEach((k, i) => pixels.set(split.pixels.subarray(k * frame, (k + 1) * frame), i * frame))
  return {
    ids: keep.map((k) => split.ids[k]!),
    labels: Int32Array.from(keep, (k) => index[split.labels[k]!]!),
    pixels,
    unknownLabels: [...unknown].map(([label, images]) => ({ label, images })),
  }
}

/**
 * Evaluates `bundle` (the final model of run `runId`, trained on dataset `datasetId`) on that dataset's
 * `split` as it is labelled now. Images of labels the model never saw are left out and counted.
 */
export async function evaluateRunSplit(
  ctx: RunEvaluationContext,
  run: { id: number; datasetId: number },
  bundle: ModelBundle,
  split: EvaluatedSplit,
): Promise<SplitEvaluation> {
  const { metadata } = bundle
  const { imageSize, channels, classNames } = metadata
  const tensors = await loadTrainingTensors(
    { db: ctx.db, cacheDir: ctx.cacheDir },
    { datasetId: run.datasetId, imageSize, channels, unreadable: 'skip' },
  )
  const data = knownImages(tensors[split], tensors.classNames, classNames, imageSize * imageSize * channels)
  const count = data.labels.length
  if (count === 0) {
    throw new EvaluationError(
      tensors[split].labels.length === 0
        ? `The dataset has no labelled images in its ${split} split; split the dataset to evaluate run ${run.id} on it.`
        : `None of the ${split} images has a label run ${run.id} was trained on (${classNames.join(', ')}).`,
    )
  }

  const classes = classNames.length
  const logits = networkLogits(bundle, data.pixels, count, networksFor(metadata, 'ensemble'))
  const perNetwork = logits.map((z) => argmaxRows(z, classes))
  const perNetworkProbabilities = logits.map((z) => softmaxRows(z, classes))
  const probabilities = softmaxRows(ensembleLogits(logits, metadataAnswerWeights(metadata)), classes)
  const predicted = argmaxRows(probabilities, classes)

  const images: SplitImageResult[] = data.ids.map((imageId, k) => ({
    imageId,
    label: data.labels[k]!,
    predicted: predicted[k]!,
    confidence: probabilities[k * classes + predicted[k]!]!,
    perNetwork: perNetwork.map((p) => p[k]!),
    perNetworkConfidence: perNetwork.map((p, n) => perNetworkProbabilities[n]![k * classes + p[k]!]!),
  }))
  const confusion = classNames.map(() => classNames.map(() => 0))
  for (const image of images) confusion[image.label]![image.predicted]!++
  const accuracy = (answers: ArrayLike<number>) => {
    let right = 0
    for (let k = 0; k < count; k++) if (answers[k] === data.labels[k]) right++
    return right / count
  }

  return {
    runId: run.id,
    split,
    classNames: [...classNames],
    networks: metadata.networks.map((net, i) => ({
      index: net.index,
      arch: net.arch,
      accuracy: accuracy(perNetwork[i]!),
    })),
    ensemble: { accuracy: accuracy(predicted), weights: metadataAnswerWeights(metadata) },
    perClass: classNames.map((label, c) => {
      const total = confusion[c]!.reduce((s, v) => s + v, 0)
      return { label, images: total, accuracy: total === 0 ? null : confusion[c]![c]! / total }
    }),
    confusion,
    unknownLabels: data.unknownLabels,
    images,
  }
}
