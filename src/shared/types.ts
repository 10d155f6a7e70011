/**
 * Types shared by every process and shell: the one vocabulary of Cohort.
 * Plain data only (structured-clone and JSON safe).
 */

export type Split = 'unassigned' | 'train' | 'validation' | 'test'
export const SPLITS: readonly Split[] = ['unassigned', 'train', 'validation', 'test']

export type ImageStatus = 'ok' | 'missing'

export interface LabelSummary {
  id: number
  name: string
  /** images carrying this label */
  count: number
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

export interface ImageQuery {
  datasetId: number
  labelId?: number | null // null = unlabelled only
  split?: Split
  status?: ImageStatus
  offset?: number
  limit?: number
}

/** Why a file was not imported. Each has a human sentence in REJECT_MESSAGES. */
export type RejectReason =
  'empty' | 'corrupt' | 'not-an-image' | 'too-many-pixels' | 'too-large' | 'unreadable' | 'outside-symlink'

export const REJECT_MESSAGES: Record<RejectReason, string> = {
  empty: 'the file is empty',
  corrupt: 'the image data is truncated or corrupt',
  'not-an-image': 'not an image Cohort can read',
  'too-many-pixels': 'the image has more pixels than the safety limit',
  'too-large': 'the file is larger than the safety limit',
  unreadable: 'the file cannot be read (permissions or I/O error)',
  'outside-symlink': 'a symbolic link that leads outside the imported folder',
}

export interface RejectedFile {
  path: string
  reason: RejectReason
  detail?: string
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
  /** the validation-weighted ensemble that recognition uses */
  ensemble: { valAcc: number; weights: number[] }
  lr: number
  seconds: number
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
}
