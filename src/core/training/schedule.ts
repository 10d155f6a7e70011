/**
 * Learning rate per optimisation step: an optional linear warm-up, then constant, cosine or step decay.
 * Stepped every iteration (not every epoch) so the curve is smooth and a resumed run lands on the same value.
 */

export type ScheduleShape =
  | { kind: 'constant' }
  /** from the base rate down to `endFraction` × base at the last step (0 = all the way down) */
  | { kind: 'cosine'; endFraction: number }
  /** multiply by `gamma` every `everyEpochs` epochs, counted from the start of training */
  | { kind: 'step'; gamma: number; everyEpochs: number }

export interface LearningRatePlan {
  baseLr: number
  shape: ScheduleShape
  epochs: number
  stepsPerEpoch: number
  /** linear ramp from baseLr/warmupSteps up to baseLr over these epochs (may be fractional) */
  warmupEpochs: number
}

export class ScheduleError extends Error {
  override name = 'ScheduleError'
}

function checkPlan(plan: LearningRatePlan): void {
  const { baseLr, shape, epochs, stepsPerEpoch, warmupEpochs } = plan
  if (!(baseLr > 0) || !Number.isFinite(baseLr)) {
    throw new ScheduleError(`the learning rate must be a positive number (got ${baseLr})`)
  }
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new ScheduleError(`epochs must be 1 or more (got ${epochs})`)
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) {
    throw new ScheduleError(`steps per epoch must be 1 or more (got ${stepsPerEpoch})`)
  }
  if (!(warmupEpochs >= 0 && warmupEpochs < epochs)) {
    throw new ScheduleError(`warm-up must last from 0 to fewer than ${epochs} epochs (got ${warmupEpochs})`)
  }
  if (shape.kind === 'cosine' && !(shape.endFraction >= 0 && shape.endFraction <= 1)) {
    throw new ScheduleError(`the cosine end fraction must be from 0 to 1 (got ${shape.endFraction})`)
  }
  if (shape.kind === 'step') {
    if (!(shape.gamma > 0 && shape.gamma <= 1)) {
      throw new ScheduleError(`the step decay factor must be above 0 and at most 1 (got ${shape.gamma})`)
    }
    if (!(shape.everyEpochs > 0)) {
      throw new ScheduleError(
        `step decay needs a positive number of epochs between drops (got ${shape.everyEpochs})`,
      )
    }
  }
}

/** Total optimisation steps of the plan. */
export function totalSteps(plan: LearningRatePlan): number {
  return plan.epochs * plan.stepsPerEpoch
}

/**
 * The learning rate for step `step` (0-based; the first update uses step 0). Cosine after warm-up:
 * lr = end + (base − end)·½(1 + cos(π·t)), t = (step − warm-up)/(total − warm-up), reaching `end` only after
 * the last step, as in the PyTorch reference.
 */
export function learningRateAt(step: number, plan: LearningRatePlan): number {
  checkPlan(plan)
  const total = totalSteps(plan)
  if (!Number.isInteger(step) || step < 0 || step >= total) {
    throw new ScheduleError(`step must be a whole number from 0 to ${total - 1} (got ${step})`)
  }
  const { baseLr, shape } = plan
  const warmupSteps = Math.round(plan.warmupEpochs * plan.stepsPerEpoch)
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps
  switch (shape.kind) {
    case 'constant':
      return baseLr
    case 'cosine': {
      const t = (step - warmupSteps) / (total - warmupSteps)
      const end = baseLr * shape.endFraction
      return end + (baseLr - end) * 0.5 * (1 + Math.cos(Math.PI * t))
    }
    case 'step': {
      const everySteps = shape.everyEpochs * plan.stepsPerEpoch
      return baseLr * shape.gamma ** Math.floor(step / everySteps + 1e-9)
    }
  }
}

/** The plan of a run's settings (see config.ts), given how many steps one epoch takes. */
export function planFor(
  settings: { lr: number; schedule: ScheduleShape; epochs: number; warmupEpochs: number },
  stepsPerEpoch: number,
): LearningRatePlan {
  return {
    baseLr: settings.lr,
    shape: settings.schedule,
    epochs: settings.epochs,
    stepsPerEpoch,
    warmupEpochs: settings.warmupEpochs,
  }
}

/**
 * λ for step `step` (0-based) with a distillation warm-up: a linear ramp from λ/warm-up-steps up to λ over the
 * first `warmupEpochs`, then λ. Early on the teacher is fused from networks that know little, so a ramp lets
 * the labels lead first. 0 epochs = λ from the first step.
 */
export function distillationWeightAt(
  step: number,
  lambda: number,
  warmupEpochs: number,
  stepsPerEpoch: number,
): number {
  const warmupSteps = Math.round(warmupEpochs * stepsPerEpoch)
  return step < warmupSteps ? (lambda * (step + 1)) / warmupSteps : lambda
}
