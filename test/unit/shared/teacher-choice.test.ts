import { describe, expect, it } from 'vitest'
import {
  MIN_LOSS_UP_TO,
  recommendedTeacher,
  trainingPicturesPerLabel,
} from '../../../src/shared/teacher-choice'

const labels = (...trainCounts: number[]) => trainCounts.map((trainCount) => ({ trainCount }))

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
