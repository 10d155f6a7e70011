/**
 * A full epoch's time from a shorter one. The first step pays one-off costs (wasm compilation, oneDNN primitive
 * creation: ~2 s for PyTorch here, against ~0.1 s a later step), which a 55,000-picture epoch spreads over 430
 * steps but a 4-step run would multiply by 100. So the shorter run's steps after the first, at their average pace,
 * stand for every step of the full epoch; the same rule for Cohort and the peer.
 */
export const EPOCH_BATCH = 128
/** The experiment's full-data training split: 60,000 minus 500 validation pictures per class. */
export const FULL_EPOCH_IMAGES = 55_000
export const FULL_EPOCH_STEPS = Math.ceil(FULL_EPOCH_IMAGES / EPOCH_BATCH)
/** Two steps at least: one to warm up, one to time. */
export const MIN_EPOCH_IMAGES = EPOCH_BATCH + 1

export interface EpochTiming {
  /** the whole training loop */
  seconds: number
  /** from the end of the first step to the end of the last */
  afterFirstStepSeconds: number
  steps: number
}

/** Seconds for the full epoch: the measured loop when it was the full epoch, else scaled as above. */
export function fullEpochSeconds(t: EpochTiming, images: number): number {
  if (images >= FULL_EPOCH_IMAGES) return t.seconds
  if (t.steps < 2) throw new RangeError(`a shortened epoch needs 2 steps or more to scale (got ${t.steps})`)
  return (t.afterFirstStepSeconds / (t.steps - 1)) * FULL_EPOCH_STEPS
}
