/**
 * Types shared by every process and shell: the one vocabulary of Cohort.
 * Plain data only (structured-clone and JSON safe).
 */
import type { AugmentSetting } from './training-settings'

export type Split = 'unassigned' | 'train' | 'validation' | 'test'
export const SPLITS: readonly Split[] = ['unassigned', 'train', 'validation', 'test']

export type ImageStatus = 'ok' | 'missing'

export interface LabelSummary {
  id: number
  name: string
  /** the key (1–9) that gives a picture this label in every view, kept until the person changes it; null past the ninth */
  key: number | null
  /** the colour the person chose for the label (one of the palette); null: its default colour */
  colour: string | null
  /** images carrying this label */
  count: number
  /** of those, the images in the training split */
  trainCount: number
  /** of those, the images in the validation split */
  validationCount: number
  /** of those, the images in no split: a run neither trains nor measures on them */
  unassignedCount: number
}

export interface DatasetSummary {
  id: number
  name: string
  createdAt: string
  imageCount: number
  labeledCount: number
  missingCount: number
  labels: LabelSummary[]
  splits: Record<Split, number>
}

export interface ImageRecord {
  id: number
  datasetId: number
  sourcePath: string
  hash: string
  width: number
  height: number
  format: string
  bytes: number
  labelId: number | null
  label: string | null
  split: Split
  splitLocked: boolean
  status: ImageStatus
}

/** The most image ids one `ImageQuery` may name (a validation + test split of a large dataset). */
export const MAX_QUERY_IDS = 50_000

export interface ImageQuery {
  datasetId: number
  labelId?: number | null // null = unlabelled only
  split?: Split
  status?: ImageStatus
  /** only these images, listed in this order (e.g. a run's mistakes, most confident first); ≤ MAX_QUERY_IDS */
  ids?: number[]
  offset?: number
  limit?: number
}

/** Why a file was not imported. Each has a human sentence in REJECT_MESSAGES. */
export type RejectReason =
  | 'empty'
  | 'corrupt'
  | 'not-an-image'
  | 'too-many-pixels'
  | 'too-large'
  | 'unreadable'
  | 'outside-symlink'
  | 'invalid-label'

export const REJECT_MESSAGES: Record<RejectReason, string> = {
  empty: 'the file is empty',
  corrupt: 'the image data is truncated or corrupt',
  'not-an-image': 'not an image Cohort can read',
  'too-many-pixels': 'the image has more pixels than the safety limit',
  'too-large': 'the file is larger than the safety limit',
  unreadable: 'the file cannot be read (permissions or I/O error)',
  'outside-symlink': 'a symbolic link that leads outside the imported folder',
  'invalid-label': 'its label (the sub-folder name) cannot name a label',
}

export interface RejectedFile {
  path: string
  reason: RejectReason
  detail?: string
}

/** Why a file was left out, as one sentence (import's words), for every shell to show alike. */
export function rejectionText(r: Pick<RejectedFile, 'reason' | 'detail'>): string {
  return `${REJECT_MESSAGES[r.reason]}${r.detail ? `: ${r.detail}` : ''}`
}

export interface ImportConflict {
  path: string
  /** label the existing copy of these bytes has */
  existingLabel: string | null
  /** label this path would have given */
  newLabel: string | null
  existingPath: string
}

export interface ImportReport {
  dataset: string
  imported: number
  duplicates: number
  conflicts: ImportConflict[]
  skipped: number
  rejected: RejectedFile[]
  /** images per label in the whole dataset after the import; '' never appears, unlabelled are not counted */
  classes: Record<string, number>
  cancelled: boolean
  seconds: number
}

export interface ImportProgress {
  phase: 'scanning' | 'importing' | 'done'
  done: number
  total: number
  ratePerSecond: number
  etaSeconds: number | null
}

export interface SplitRequest {
  datasetId: number
  validation: number // fraction 0..1
  test: number // fraction 0..1
  seed: number
}

export interface SplitReport {
  counts: Record<string, Record<Split, number>>
  /** human-readable warnings, e.g. a label with too few images for a validation split */
  warnings: string[]
}

export interface CsvApplyResult {
  /** rows that matched an image and were applied (including rows that changed nothing) */
  applied: number
  /** images whose label or split actually changed */
  changed: number
  /** paths (as written in the CSV) that match no image of the dataset */
  unknownPaths: string[]
  /** one sentence per rejected row, starting with its line number */
  errors: string[]
}

export interface FolderExportReport {
  /** files copied */
  copied: number
  /** source files that no longer exist */
  missing: string[]
  /** images skipped because the store already knows their file is missing */
  skippedMissing: number
  /** files that exist but could not be copied, with the reason */
  failed: { path: string; reason: string }[]
  /** label name ('' for unlabelled) → folder name used under the output folder */
  folders: Record<string, string>
  /** files copied per folder */
  perFolder: Record<string, number>
}

export interface RefreshReport {
  /** images whose source file is gone, after the refresh */
  missing: number
  /** images that were missing and whose file is back */
  restored: number
}

/* ---------- training runs ---------- */

export type RunStatus = 'queued' | 'running' | 'completed' | 'cancelled' | 'failed' | 'interrupted'

export interface NetworkEpochMetrics {
  index: number
  arch: string
  /** mean over the epoch's batches, on augmented views */
  trainLoss: number
  trainCe: number
  trainKd: number
  trainAcc: number
  /** on the validation split, inference mode */
  valLoss: number
  valAcc: number
}

export interface EpochMetrics {
  epoch: number
  networks: NetworkEpochMetrics[]
  /** the teacher fused from the networks' validation logits (null for independent training) */
  teacher: { valAcc: number; weights: number[] | null } | null
  /** the ensemble that recognition uses, weighted by its rule (a plain average by default) */
  ensemble: { valAcc: number; weights: number[] }
  lr: number
  seconds: number
  /** false when this epoch skipped validation (validateEvery > 1): the val figures are the last measured */
  validated?: boolean
  /** per network, its best validated epoch so far and that epoch's accuracy: the weights the run keeps */
  best?: { epoch: number; valAcc: number }[]
}

export interface RunNetwork {
  index: number
  arch: string
  params: number
  flops: number
}

export interface RunSummary {
  id: number
  datasetId: number
  status: RunStatus
  /** the validated TrainingConfig as JSON-safe data */
  config: Record<string, unknown>
  classNames: string[]
  backend: string | null
  message: string | null
  networks: RunNetwork[]
  epochsDone: number
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  /** the last epoch's metrics, if any */
  last: EpochMetrics | null
  /**
   * What the run's model measures on validation: a completed run keeps each network's best validated epoch,
   * measured together once more (so `ensemble` is the kept ensemble's, not the last epoch's). Null until the
   * run completes, and for runs trained before it was recorded.
   */
  kept: EpochMetrics | null
  /** the run whose weights this one started from (`fromRun`), or null when it started from scratch */
  fromRun: number | null
}

/** The TensorFlow.js backends, fastest first (src/core/engine/backend.ts chooses one at start-up). */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu'

/** The network zoo's architectures, as users see them (src/core/engine/zoo.ts builds them). */
export type NetworkArch = 'cnn' | 'resnet-8' | 'resnet-14' | 'resnet-20' | 'mobilenet'

export interface NetworkSpec {
  arch: NetworkArch
  /** images are inputSize × inputSize */
  inputSize: number
  /** 1 (grey) or 3 (RGB) */
  channels: number
  classes: number
  /** multiplies every layer's channel count; default 1 */
  width?: number
  /** seeds the initial weights; default 1 */
  seed?: number
}

/* ---------- recognition, evaluation, model bundles (src/core/recognition) ---------- */

/** A trained group of networks as described by its `metadata.json` (src/core/engine/model-metadata.ts). */
export interface ModelBundleInfo {
  format: 'cohort-model'
  version: 1
  /** class index → label name */
  classNames: string[]
  imageSize: number
  channels: 1 | 3
  /** x ↦ (x/255 − mean[c]) / std[c] */
  normalisation: { mean: number[]; std: number[] }
  networks: {
    index: number
    arch: string
    params: number
    flops: number
    valAcc: number | null
    /** folder of the network, relative to the bundle */
    dir: string
  }[]
  /** weights on the networks' logits, in `networks` order */
  ensemble: { weights: number[]; valAcc: number | null }
  runId?: number | undefined
  /** the run whose weights the run that wrote this started from, when it was warm-started */
  fromRun?: number | undefined
  createdAt: string
}

/** Which output to recognise with: one network (its index) or the validation-weighted ensemble. */
export type NetworkChoice = number | 'ensemble'

export interface RecogniseRequest {
  network?: NetworkChoice
  /** how many labels to report per image, most likely first; default 3 */
  topK?: number
  /** also report each network's own top-k (with the ensemble) */
  perNetwork?: boolean
}

export interface Prediction {
  label: string
  probability: number
}

export type RecognitionResult =
  | {
      path: string
      predictions: Prediction[]
      perNetwork?: { index: number; arch: string; predictions: Prediction[] }[]
    }
  | { path: string; error: string }

export interface RecognitionReport {
  network: NetworkChoice
  results: RecognitionResult[]
  /** system files and sidecars left out of folders */
  skipped: number
}

export interface EvaluationReport {
  /** images evaluated (known label, readable) */
  images: number
  classNames: string[]
  networks: { index: number; arch: string; accuracy: number }[]
  ensemble: { accuracy: number; weights: number[] }
  /** per class of the model, by the ensemble; accuracy is null for a class with no images */
  perClass: { label: string; images: number; accuracy: number | null }[]
  /** ensemble counts: rows = true label, columns = predicted label, both in `classNames` order */
  confusion: number[][]
  /** folder labels the model was not trained on: not evaluated, counted here */
  unknownLabels: { label: string; images: number }[]
  /** files directly in the folder (no label sub-folder): not evaluated */
  unlabelled: number
  unreadable: { path: string; reason: string }[]
}

/** A model folder imported into the library, usable for recognition. */
export interface ImportedModel {
  dir: string
  metadata: ModelBundleInfo
}

export interface ModelCopyReport {
  /** the folder the model now lives in */
  dir: string
  files: number
  bytes: number
  metadata: ModelBundleInfo
}

/* ---------- the Train view's network picker and the Results view (src/core/service/zoo.ts, run-evaluation.ts) ---------- */

/** The settings Cohort may choose for a run the person leaves them to (src/shared/automatic-settings.ts). */
export type AutomaticSetting =
  'imageSize' | 'channels' | 'networks' | 'batchSize' | 'epochs' | 'teacher' | 'ensembleRule'

/** What `runs.start` would do with these settings: every setting resolved, why Cohort chose each it chose, how long. */
export interface RunPlan {
  /** the validated settings with every default and choice applied (what the run will store) */
  settings: Record<string, unknown>
  /** one sentence per setting Cohort chose, for the settings the person left out */
  chosen: Partial<Record<AutomaticSetting, string>>
  trainPictures: number
  validationPictures: number
  /** optimiser steps of the whole run */
  steps: number
  /** an estimate for this kind of machine (2 cores, wasm): the CLI and the Train view show it as "about" */
  predictedSeconds: number
}

/** What the network picker shows: every zoo network at one input size, every teacher and ensemble rule. */
export interface ZooCatalogue {
  networks: { name: NetworkArch; description: string; params: number; flops: number }[]
  teachers: { name: string; description: string }[]
  /** how the app's answer weighs the networks (the run setting `ensembleRule`), the trainer's default first */
  ensembleRules: { name: string; description: string }[]
}

/** What the Train view's augmentation preview asks for (`runs.previewAugmentation`). */
export interface AugmentPreviewRequest {
  /** the augmentation to show: a preset's name or a policy, as a network of a run takes it */
  augment: AugmentSetting
  /** the picture size and colour the run would train at */
  imageSize: number
  channels: 1 | 3
  /** how many pictures (default 4, at most MAX_PREVIEW_PICTURES) */
  count?: number
  /** how many augmented views of each (default 3, at most MAX_PREVIEW_VIEWS) */
  views?: number
  /** chooses the pictures and the views; the same seed shows the same preview (default 0) */
  seed?: number
}
export const MAX_PREVIEW_PICTURES = 8
export const MAX_PREVIEW_VIEWS = 4

/** One picture of the preview: as the networks get it before augmentation, and as some of them see it. */
export interface AugmentPreviewPicture {
  imageId: number
  label: string
  /** PNG data URLs of imageSize² pixels, exactly the values the networks are given (before normalisation) */
  original: string
  views: string[]
}

export interface AugmentPreview {
  imageSize: number
  channels: 1 | 3
  seed: number
  pictures: AugmentPreviewPicture[]
  /** pictures chosen but left out because their file could not be read, each with why */
  skipped: { imageId: number; path: string; reason: string }[]
}

/** One image of a run's split as the run's final model sees it; classes are indices into `classNames`. */
export interface SplitImageResult {
  imageId: number
  label: number
  /** the ensemble's answer */
  predicted: number
  /** the ensemble's probability for `predicted` */
  confidence: number
  /** each network's own answer, in network order */
  perNetwork: number[]
  /** each network's own probability for its answer, in network order */
  perNetworkConfidence: number[]
}

/** A run's final model evaluated on its dataset's validation or test split, image by image. */
export interface SplitEvaluation extends Pick<
  EvaluationReport,
  'classNames' | 'networks' | 'ensemble' | 'perClass' | 'confusion' | 'unknownLabels'
> {
  runId: number
  split: 'validation' | 'test'
  images: SplitImageResult[]
}

/* ---------- pictures recognised from a browser, and kept (src/core/recognition/uploads.ts) ---------- */

/** Encoded image bytes with no file path (dropped, pasted or captured in a browser), base64 for transport. */
export interface ImageUpload {
  /** shown in results only; never used as a file name */
  name: string
  /** the encoded file (PNG, JPEG, …) in base64 */
  data: string
}

/** A recognised picture to keep: uploaded bytes, or a file that stays where it is. */
export type RecognisedImageSource = ImageUpload | { path: string }

export interface AddedImage {
  image: ImageRecord
  /** 'already-there': the same bytes were in the dataset with this label; 'relabelled': with another one */
  outcome: 'added' | 'already-there' | 'relabelled'
  /** what happened, in words */
  message: string
}

/** "Label next": which unlabelled pictures to show first (src/core/suggestions/ordering.ts). */
export const LABEL_ORDERS = ['informative', 'typical', 'random'] as const
export type LabelOrder = (typeof LABEL_ORDERS)[number]
/** Until the labelling experiment measures an ordering that needs fewer labels, none is preferred. */
export const DEFAULT_LABEL_ORDER: LabelOrder = 'random'

/** A trained group's suggested label for one unlabelled picture: never a training label until accepted. */
export interface Suggestion {
  imageId: number
  path: string
  label: string
  /** the ensemble's probability of `label`, 0–1 */
  confidence: number
  /** every network's most probable label is `label` */
  agree: boolean
}

export interface SuggestionQuery {
  /** a completed run of the dataset; default: its latest completed run */
  runId?: number
  order?: LabelOrder
  /** at most this many suggestions, from the start of the order */
  limit?: number
  /** seeds the random and typical orderings; default: the run id, so the order stays put between calls */
  seed?: number
}

export interface SuggestionList {
  /** the run that suggested them; null when the dataset has no completed run yet */
  runId: number | null
  order: LabelOrder
  suggestions: Suggestion[]
}

/** Which unlabelled pictures "accept every agreeing suggestion" considers (the Dataset view's filter). */
export interface SuggestionFilter {
  split?: Split
  ids?: number[]
}

export interface AcceptAgreeingRequest {
  /** only suggestions whose confidence is at least this, 0–1 */
  minConfidence: number
  filter?: SuggestionFilter
  runId?: number
}

export interface AcceptReport {
  /** pictures that now carry their suggested label */
  accepted: number
  /** pictures asked for that were left alone: already labelled, no suggestion, or its label is gone */
  skipped: number
  /** the undoable action's description; null when nothing changed */
  description: string | null
}
