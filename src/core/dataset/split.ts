import type { Split, SplitReport, SplitRequest } from '../../shared/types'
import type { Db } from '../store/db'
import { requireDataset } from '../store/datasets'
import { StoreError } from '../store/errors'
import { recordAction } from '../store/history'
import { labelledSplitCounts, listSplitCandidates, setImageSplits } from '../store/image-lists'
import { listLabelNames } from '../store/labels'

/** Below this many images a label's validation (or test) share is too small to measure anything. */
export const MIN_IMAGES_PER_LABEL = 5

interface SplitImage {
  id: number
  hash: string
  label_id: number | null
  label: string | null
  split: Split
  split_locked: number
}

/** How many of a label's images each held-out split should get. */
export interface SplitTargets {
  validation: number
  test: number
}

/**
 * Assigns train/validation/test to the dataset's labelled images, stratified per label.
 *
 * Reproducible: each label's images are sorted by content hash (so import order does not matter)
 * and shuffled by a PRNG seeded from `seed` and the label's name (so adding images to one label
 * does not reshuffle the others). Locked images keep their split and count toward the targets.
 * Unlabelled, unlocked images go back to 'unassigned'. Images whose file is missing are left as they are.
 */
export function splitDataset(db: Db, req: SplitRequest): SplitReport {
  checkRequest(req)
  const dataset = requireDataset(db, req.datasetId)
  return db
    .transaction((): SplitReport => {
      const images = listSplitCandidates(db, dataset.id)
      const assignment = new Map<number, Split>()
      const counts: SplitReport['counts'] = {}
      const warnings: string[] = []
      let unlabelled = 0

      const byLabel = new Map<string, SplitImage[]>()
      for (const img of images) {
        if (img.label === null) {
          if (!img.split_locked) assignment.set(img.id, 'unassigned')
          unlabelled++
          continue
        }
        const group = byLabel.get(img.label)
        if (group) group.push(img)
        else byLabel.set(img.label, [img])
      }
      const labels = listLabelNames(db, dataset.id)
      for (const name of labels) {
        const group = byLabel.get(name) ?? []
        counts[name] = splitLabel(name, group, req, assignment, warnings)
      }
      if (unlabelled > 0) {
        warnings.push(
          `${unlabelled === 1 ? '1 image is' : `${unlabelled} images are`} unlabelled and stay out of training; label ${unlabelled === 1 ? 'it' : 'them'} to use ${unlabelled === 1 ? 'it' : 'them'}.`,
        )
      }
      if (labels.filter((name) => (byLabel.get(name)?.length ?? 0) > 0).length < 2) {
        warnings.push('A classifier needs at least 2 labels with images; label more images before training.')
      }

      const current = new Map(images.map((i) => [i.id, i.split]))
      const moved = [...assignment].filter(([id, split]) => current.get(id) !== split)
      setImageSplits(db, moved)
      // a re-split is one undoable action, like labelling (only unlocked images move, so locks stay as they are)
      if (moved.length > 0) {
        const changes = moved.map(([imageId, to]) => ({
          imageId,
          split: { from: current.get(imageId)!, to, lockedFrom: false, lockedTo: false },
        }))
        recordAction(db, dataset.id, splitDescription(req), changes)
      }
      return { counts, warnings }
    })
    .immediate()
}

function splitDescription(req: SplitRequest): string {
  const percent = (x: number): string => `${Math.round(x * 1000) / 10} %`
  const test = req.test > 0 ? `, ${percent(req.test)} test` : ''
  return `Split: ${percent(req.validation)} validation${test} (seed ${req.seed})`
}

/** Targets for a label of `n` usable images: rounded shares, ≥ 1 validation image from 2 images on, ≥ 1 training image always. */
export function splitTargets(n: number, validation: number, test: number): SplitTargets {
  let val = Math.round(n * validation)
  let tst = Math.round(n * test)
  if (validation > 0 && val === 0 && n >= 2) val = 1
  if (test > 0 && tst === 0 && n >= 3) tst = 1
  // training keeps at least one image: give back test first, then validation
  while (val + tst >= n && tst > 0) tst--
  while (val + tst >= n && val > 0) val--
  return { validation: val, test: tst }
}

function splitLabel(
  name: string,
  group: SplitImage[],
  req: SplitRequest,
  assignment: Map<number, Split>,
  warnings: string[],
): Record<Split, number> {
  const count: Record<Split, number> = { unassigned: 0, train: 0, validation: 0, test: 0 }
  const locked = group.filter((i) => i.split_locked)
  const free = group
    .filter((i) => !i.split_locked)
    .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : a.id - b.id))
  for (const i of locked) count[i.split]++
  // an image locked as 'unassigned' was deliberately left out, so it is not part of the label's pool
  const n = group.length - count.unassigned
  const target = splitTargets(n, req.validation, req.test)
  const needVal = Math.max(0, target.validation - count.validation)
  const needTest = Math.max(0, target.test - count.test)

  shuffle(free, mulberry32((req.seed ^ fnv1a(name)) >>> 0))
  free.forEach((img, k) => {
    const split: Split = k < needVal ? 'validation' : k < needVal + needTest ? 'test' : 'train'
    assignment.set(img.id, split)
    count[split]++
  })

  if (n === 0) {
    warnings.push(`Label '${name}' has no images to train on; label some images or delete the label.`)
  } else if (req.validation > 0 && n < MIN_IMAGES_PER_LABEL) {
    warnings.push(
      `Label '${name}' has only ${n} image${n === 1 ? '' : 's'}; a validation split needs at least ${MIN_IMAGES_PER_LABEL} per label to mean anything — add images or lower the validation share.`,
    )
  }
  for (const split of ['validation', 'test'] as const) {
    const wanted = target[split]
    if (count[split] > wanted && locked.some((i) => i.split === split)) {
      warnings.push(
        `Label '${name}' has ${count[split]} images locked in ${split}, more than the ${wanted} the requested share asks for; locked images keep their split.`,
      )
    }
  }
  if (n > 0 && count.train === 0) {
    warnings.push(
      `Label '${name}' has no training images (all are locked elsewhere); unlock some to train on it.`,
    )
  }
  return count
}

function checkRequest(req: SplitRequest): void {
  for (const key of ['validation', 'test'] as const) {
    const v = req[key]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) {
      throw new StoreError(
        `The ${key} fraction must be a number from 0 up to (not including) 1, e.g. 0.2 for 20%; got ${String(v)}.`,
        'invalid',
      )
    }
  }
  if (req.validation + req.test >= 1) {
    throw new StoreError(
      `Validation (${req.validation}) and test (${req.test}) together take ${Math.round((req.validation + req.test) * 100)}% of the images, leaving nothing to train on; keep their sum below 1.`,
      'invalid',
    )
  }
  if (!Number.isSafeInteger(req.seed)) {
    throw new StoreError(`The split seed must be a whole number; got ${String(req.seed)}.`, 'invalid')
  }
}

/** Small, fast, well-mixed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (const byte of Buffer.from(text, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0
  return h
}

/**
 * The split a picture added to a split dataset joins, so the dataset keeps its proportions per label:
 * the split (train, validation or test) this label's images are furthest below the share the other
 * labels have (they, unlike this label, do not drift as pictures are added), train on a tie. A
 * dataset never split yet keeps it unassigned like the rest.
 */
export function splitForAddedImage(db: Db, datasetId: number, labelId: number, imageId: number): Split {
  const rows = labelledSplitCounts(db, datasetId, imageId)
  const HELD: Split[] = ['train', 'validation', 'test']
  if (rows.length === 0) return 'unassigned'
  const others = rows.filter((r) => r.labelId !== labelId)
  const basis = others.length > 0 ? others : rows
  const total = basis.reduce((n, r) => n + r.count, 0)
  const share = (split: Split) =>
    basis.filter((r) => r.split === split).reduce((n, r) => n + r.count, 0) / total
  const mine = (split: Split) => rows.find((r) => r.split === split && r.labelId === labelId)?.count ?? 0
  const n = HELD.reduce((sum, s) => sum + mine(s), 0) + 1
  let best: Split = 'train'
  let bestGap = -Infinity
  for (const split of HELD) {
    const gap = share(split) * n - mine(split)
    if (gap > bestGap + 1e-9) [best, bestGap] = [split, gap]
  }
  return best
}
