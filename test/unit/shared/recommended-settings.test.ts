import { describe, expect, it } from 'vitest'
import {
  COVARIANCE_FROM,
  MIN_LOSS_UP_TO,
  recommendedEnsembleRule,
  recommendedTeacher,
  trainingPicturesPerLabel,
} from '../../../src/shared/recommended-settings'

const labels = (...trainCounts: number[]) => trainCounts.map((trainCount) => ({ trainCount }))
const validation = (...validationCounts: number[]) =>
  validationCounts.map((validationCount) => ({ validationCount }))

describe('the teacher recommended by dataset size', () => {
  it('counts training pictures per label over the labels that have any', () => {
    expect(trainingPicturesPerLabel(labels(10, 30, 0))).toBe(20)
    expect(trainingPicturesPerLabel(labels(0, 0))).toBe(0)
    expect(trainingPicturesPerLabel([])).toBe(0)
  })

  it('is min-loss up to the threshold and min-logit above it', () => {
    expect(recommendedTeacher(labels(30, 30)).teacher).toBe('min-loss')
    expect(recommendedTeacher(labels(MIN_LOSS_UP_TO, MIN_LOSS_UP_TO)).teacher).toBe('min-loss')
    expect(recommendedTeacher(labels(MIN_LOSS_UP_TO + 1, MIN_LOSS_UP_TO + 1)).teacher).toBe('min-logit')
    expect(recommendedTeacher(labels(500, 500, 500)).teacher).toBe('min-logit')
  })

  it('gives its reason with the count the person has', () => {
    const few = recommendedTeacher(labels(79, 81))
    expect(few).toMatchObject({ teacher: 'min-loss', perLabel: 80 })
    expect(few.reason).toMatch(/^Recommended for about 80 training pictures per label: .*min-loss/)
    expect(recommendedTeacher(labels(600)).reason).toMatch(/about 600 .*min-logit/)
    expect(recommendedTeacher(labels(0)).reason).toMatch(/without training pictures yet/)
  })
})

describe("the app's answer's weight rule recommended by the validation split's size", () => {
  it('averages below the threshold and weighs by covariance from it on, over all labels together', () => {
    expect(recommendedEnsembleRule(validation(25, 25)).rule).toBe('equal')
    expect(recommendedEnsembleRule(validation(COVARIANCE_FROM - 1)).rule).toBe('equal')
    expect(recommendedEnsembleRule(validation(COVARIANCE_FROM)).rule).toBe('covariance')
    // ten labels of 63: the 250-per-class grid's split, where covariance won every run
    expect(recommendedEnsembleRule(validation(...Array<number>(10).fill(63)))).toMatchObject({
      rule: 'covariance',
      validationPictures: 630,
    })
  })

  it('gives its reason with the count the person has', () => {
    expect(recommendedEnsembleRule(validation(40, 40)).reason).toMatch(
      /^Recommended for 80 validation pictures: below 500, .*equally/,
    )
    expect(recommendedEnsembleRule(validation(300, 300)).reason).toMatch(
      /^Recommended for 600 .*shared mistakes/,
    )
    expect(recommendedEnsembleRule([]).reason).toMatch(/without validation pictures yet/)
  })
})
