/**
 * The settings a run gets from its pictures when the person leaves them to Cohort (issue 17): picture size and
 * colour from the pictures themselves, batch size and epochs from a budget of optimiser steps. Pure functions,
 * shared so the service (which applies them), the CLI and the Train view (which say what was chosen and why)
 * use one rule. The evidence is docs/EXPERIMENTS.md, "Automatic settings".
 */
import { recommendedEnsembleRule, recommendedTeacher } from './recommended-settings'
import { WHOLE_SETTING_RANGES } from './training-settings'
import type { AutomaticSetting, LabelSummary } from './types'

/** What Cohort knows about a dataset's pictures (usable ones, labelled or not) before it trains on them. */
export interface PictureFacts {
  pictures: number
  /** the median over the pictures of their shorter side, in pixels (null when there are none) */
  medianSide: number | null
  /** every sampled picture has R = G = B (null when none could be read) */
  greyscale: boolean | null
  /** how many pictures were decoded to decide `greyscale` */
  sampled: number
}

/** A setting Cohort chose, with one sentence for the person saying why. */
export interface Chosen<T> {
  value: T
  reason: string
}

/** Pictures up to this side train at their own size; larger ones are scaled down to it (today's size). */
export const OWN_SIZE_UP_TO = 32

/** The picture size of a run: the pictures' own when they are small, so 28 px pictures are not upscaled. */
export function chooseImageSize(facts: Pick<PictureFacts, 'medianSide'>): Chosen<number> {
  const side = facts.medianSide
  if (side === null) {
    return { value: OWN_SIZE_UP_TO, reason: `${OWN_SIZE_UP_TO} px: the pictures' size is not known yet.` }
  }
  const [min] = WHOLE_SETTING_RANGES.imageSize
  if (side <= OWN_SIZE_UP_TO) {
    const value = Math.max(min, Math.round(side))
    return {
      value,
      reason: `${value} px: the pictures' own size (median side ${Math.round(side)} px); enlarging them adds no detail.`,
    }
  }
  return {
    value: OWN_SIZE_UP_TO,
    reason: `${OWN_SIZE_UP_TO} px: the pictures (median side ${Math.round(side)} px) are scaled down to keep training a matter of minutes.`,
  }
}

/** Greyscale when every sampled picture is grey: three equal channels only cost time. */
export function chooseChannels(facts: Pick<PictureFacts, 'greyscale' | 'sampled'>): Chosen<1 | 3> {
  if (facts.greyscale === true) {
    return {
      value: 1,
      reason: `greyscale: all ${facts.sampled} pictures sampled are grey, so one channel carries everything.`,
    }
  }
  if (facts.greyscale === false) {
    return { value: 3, reason: 'colour: the pictures sampled have colour.' }
  }
  return { value: 3, reason: 'colour: no picture could be sampled to tell.' }
}

/** Below this many training pictures a run takes batches of SMALL_BATCH, from it on of LARGE_BATCH. */
export const SMALL_DATASET = 5000
export const SMALL_BATCH = 32
export const LARGE_BATCH = 64
/**
 * The optimiser steps a run aims for. At ~1,150 pictures 20 epochs × 64 (≈ 360 steps) left 2–4 points on the
 * table, 40 × 32 (≈ 1,440 steps) reached the reference; at Fashion-MNIST 100/label, 60 epochs × 32 (≈ 1,500
 * steps) agreed with it (docs/EXPERIMENTS.md).
 */
export const TARGET_STEPS = 1500
/**
 * Bounds on the epochs a budget gives: enough passes for tiny datasets to be validated often, and an end. At 30
 * pictures per label (300 training pictures) an end at 60 epochs (600 steps) left cnn 1.0 and resnet-8 1.7 points
 * below 120 epochs (3 seeds, docs/EXPERIMENTS.md), so tiny datasets get up to 1,200 steps.
 */
export const MIN_EPOCHS = 10
export const MAX_EPOCHS = 120

/** Batches per epoch as the trainer makes them (every picture every epoch; see trainer.ts stepsPerEpoch). */
export function batchesPerEpoch(pictures: number, batchSize: number): number {
  return Math.max(1, Math.ceil(pictures / Math.max(1, Math.min(batchSize, pictures))))
}

export function chooseBatchSize(trainPictures: number): Chosen<number> {
  return trainPictures < SMALL_DATASET
    ? {
        value: SMALL_BATCH,
        reason: `${SMALL_BATCH}: below ${SMALL_DATASET} training pictures, smaller batches give more steps per pass.`,
      }
    : { value: LARGE_BATCH, reason: `${LARGE_BATCH}: from ${SMALL_DATASET} training pictures on.` }
}

/** Epochs for about TARGET_STEPS optimiser steps at this batch size, within MIN_EPOCHS … MAX_EPOCHS. */
export function chooseEpochs(trainPictures: number, batchSize: number): Chosen<number> {
  const perEpoch = batchesPerEpoch(trainPictures, batchSize)
  const wanted = Math.round(TARGET_STEPS / perEpoch)
  const value = Math.min(MAX_EPOCHS, Math.max(MIN_EPOCHS, wanted))
  const steps = value * perEpoch
  const bound =
    wanted > MAX_EPOCHS ? `, at most ${MAX_EPOCHS}` : wanted < MIN_EPOCHS ? `, at least ${MIN_EPOCHS}` : ''
  return {
    value,
    reason: `${value}: about ${TARGET_STEPS} optimiser steps${bound} (${perEpoch} per epoch at batch ${batchSize}, ${steps} in all); the best epoch on validation is kept.`,
  }
}

/**
 * A run that starts from an earlier run's weights (`fromRun`) already knows most of what it needs: it aims for
 * this fraction of the from-scratch step budget, with the whole cosine schedule over it. No early stop by
 * default: stopped after 3 epochs without progress on a small validation split, warm runs kept weights from
 * before the learning rate had come down and ended 1–7 points below a new run; run to the end they were level
 * with it (docs/EXPERIMENTS.md, "Labelling with suggestions and retraining from the last run").
 */
export const WARM_FRACTION = 1 / 3
export const WARM_MIN_EPOCHS = 3
export const WARM_MAX_EPOCHS = 20

/** Epochs for a warm-started run: WARM_FRACTION of the step budget, within WARM_MIN_EPOCHS … WARM_MAX_EPOCHS. */
export function chooseWarmEpochs(trainPictures: number, batchSize: number, fromRun: number): Chosen<number> {
  const perEpoch = batchesPerEpoch(trainPictures, batchSize)
  const budget = Math.round(TARGET_STEPS * WARM_FRACTION)
  const value = Math.min(WARM_MAX_EPOCHS, Math.max(WARM_MIN_EPOCHS, Math.round(budget / perEpoch)))
  return {
    value,
    reason: `${value}: it starts from run ${fromRun}'s weights, so about ${budget} optimiser steps (a third of a new run's) are enough; the best epoch on validation is kept.`,
  }
}

/**
 * Seconds one step of a group takes on a quiet 2-core machine (wasm engine, one worker per network): a fixed
 * cost per network (op dispatch, messages, augmentation) plus a cost per forward FLOP of the batch. Fitted to
 * cnn + resnet-8 at 28 px grey: 0.26 s per step at batch 32 (the 40-epoch run, 373 s) and 0.39 s at
 * batch 64 (a full Fashion-MNIST epoch, 366 s, docs/BENCHMARKS.md); `bench/step-cost.ts` measures it again.
 * A loaded machine is slower (3× at a load of 7), hence "about".
 */
export const STEP_SECONDS_PER_NETWORK = 0.065
export const SECONDS_PER_FORWARD_FLOP = 2.4e-10

export interface DurationInput {
  /** forward FLOPs per picture of each network at the run's picture size */
  flops: readonly number[]
  batchSize: number
  epochs: number
  trainPictures: number
  validationPictures: number
}

/** Predicted seconds for a run: its steps, plus a validation pass (forward only, a third of a step's work) per epoch. */
export function predictSeconds(input: DurationInput): number {
  const { flops, batchSize, epochs, trainPictures, validationPictures } = input
  const perPicture = flops.reduce((sum, f) => sum + f, 0)
  const steps = epochs * batchesPerEpoch(trainPictures, batchSize)
  const stepSeconds =
    flops.length * STEP_SECONDS_PER_NETWORK +
    SECONDS_PER_FORWARD_FLOP * perPicture * Math.min(batchSize, trainPictures)
  const validationSeconds = (SECONDS_PER_FORWARD_FLOP * perPicture * validationPictures) / 3
  return steps * stepSeconds + epochs * validationSeconds
}

/** "about 4 min" / "about 40 s" / "about 1 h 20 min". */
export function aboutDuration(seconds: number): string {
  if (seconds < 90) return `about ${Math.max(1, Math.round(seconds / 10) * 10)} s`
  const minutes = Math.round(seconds / 60)
  if (minutes < 90) return `about ${minutes} min`
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

export interface AutomaticChoices {
  /** the chosen value of each setting the person left out */
  values: Partial<Record<AutomaticSetting, unknown>>
  /** why, one sentence each */
  chosen: Partial<Record<AutomaticSetting, string>>
}

/**
 * Every setting the person left out of `input`, chosen from the dataset: picture size and colour from its
 * pictures (`facts` is asked only when one of them is left out: it decodes a sample), batch and epochs from the
 * step budget, teacher and weight rule from its size. The one rule `runs.plan` applies and `cohort experiment
 * defaults` measures. `givenBatchSize` is the run's batch size when the person gave one.
 */
/** A run started from an earlier one (`fromRun`): the settings its weights fix, with the reasons. */
export interface WarmStart {
  fromRun: number
  values: Record<string, unknown>
  reasons: Record<'networks' | 'imageSize' | 'channels', string>
}

export async function automaticSettings(
  input: Record<string, unknown>,
  givenBatchSize: number,
  labels: readonly Pick<LabelSummary, 'trainCount' | 'validationCount'>[],
  facts: () => Promise<PictureFacts>,
  warm?: WarmStart,
): Promise<AutomaticChoices> {
  const trainPictures = labels.reduce((sum, l) => sum + l.trainCount, 0)
  const values: AutomaticChoices['values'] = {}
  const chosen: AutomaticChoices['chosen'] = {}
  const choose = <T>(key: AutomaticSetting, choice: () => Chosen<T>) => {
    if (input[key] !== undefined) return
    const { value, reason } = choice()
    values[key] = value
    chosen[key] = reason
  }
  if (warm) {
    // a warm start keeps the earlier run's networks, picture size and colour: its weights need them
    for (const key of ['networks', 'imageSize', 'channels'] as const) {
      choose(key, () => ({ value: warm.values[key], reason: warm.reasons[key] }))
    }
  } else if (input.imageSize === undefined || input.channels === undefined) {
    const known = await facts()
    choose('imageSize', () => chooseImageSize(known))
    choose('channels', () => chooseChannels(known))
  }
  choose('batchSize', () => chooseBatchSize(trainPictures))
  const batchSize = (values.batchSize as number | undefined) ?? givenBatchSize
  choose('epochs', () =>
    warm ? chooseWarmEpochs(trainPictures, batchSize, warm.fromRun) : chooseEpochs(trainPictures, batchSize),
  )
  choose('teacher', () => {
    const t = recommendedTeacher(labels)
    return { value: t.teacher, reason: t.reason }
  })
  choose('ensembleRule', () => {
    const r = recommendedEnsembleRule(labels)
    return { value: r.rule, reason: r.reason }
  })
  return { values, chosen }
}
