import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  ExperimentDataError,
  loadExperimentData,
  splitIndices,
  validationPerClass,
} from '../../../src/experiment/data'
import { FASHION_MNIST_DIR } from '../../../src/core/dataset/idx'

/** 3 classes with 40, 40 and 70 images, interleaved as in a real file. */
const labels = Int32Array.from({ length: 150 }, (_, i) => (i < 120 ? i % 3 : 2))

function countByClass(indices: number[]): number[] {
  const counts = [0, 0, 0]
  for (const i of indices) counts[labels[i]!]!++
  return counts
}

describe('splitIndices', () => {
  it('holds back exactly valPerClass per class and keeps the rest for training, without overlap', () => {
    const { train, validation } = splitIndices(labels, 3, { valPerClass: 10 })
    expect(countByClass(validation)).toEqual([10, 10, 10])
    expect(countByClass(train)).toEqual([30, 30, 60])
    expect(new Set([...train, ...validation]).size).toBe(150)
  })

  it('takes a stratified per-class subset, nested in every larger one whatever the validation size', () => {
    const small = splitIndices(labels, 3, { valPerClass: 10, perClass: 5 })
    const large = splitIndices(labels, 3, { valPerClass: 10, perClass: 25 })
    const otherVal = splitIndices(labels, 3, { valPerClass: 3, perClass: 25 })
    expect(countByClass(small.train)).toEqual([5, 5, 5])
    expect(countByClass(large.train)).toEqual([25, 25, 25])
    expect(large.train).toEqual(expect.arrayContaining(small.train))
    expect(otherVal.train).toEqual(large.train)
    // a smaller validation split is inside the larger one too
    expect(small.validation).toEqual(expect.arrayContaining(otherVal.validation))
    expect(small.train.filter((i) => small.validation.includes(i))).toEqual([])
  })

  it('is deterministic for a split seed and differs for another', () => {
    const a = splitIndices(labels, 3, { valPerClass: 10, perClass: 5 })
    expect(splitIndices(labels, 3, { valPerClass: 10, perClass: 5 })).toEqual(a)
    expect(splitIndices(labels, 3, { valPerClass: 10, perClass: 5, splitSeed: 1 }).train).not.toEqual(a.train)
  })

  it('says which class is too small', () => {
    expect(() => splitIndices(labels, 3, { valPerClass: 10, perClass: 31 })).toThrow(
      new ExperimentDataError('class 0 has 40 images, too few for 10 validation and 31 training images'),
    )
    expect(() => splitIndices(labels, 3, { valPerClass: 0 })).toThrow(ExperimentDataError)
  })
})

describe('validationPerClass', () => {
  it('holds back the given fraction of all labelled images of a class', () => {
    expect(validationPerClass(100, 0.2)).toBe(25)
    expect(validationPerClass(500, 0.2)).toBe(125)
    expect(() => validationPerClass(100, 1)).toThrow(/between 0 and 1/)
  })
})

describe.skipIf(!existsSync(FASHION_MNIST_DIR))('loadExperimentData (real Fashion-MNIST files)', () => {
  it('gives the trainer 100 per class, 500 per class for validation and the untouched 10k test set', async () => {
    const { data, test } = await loadExperimentData({ valPerClass: 500, perClass: 100 })
    expect(data.train.labels.length).toBe(1000)
    expect(data.validation.labels.length).toBe(5000)
    expect(data.train.pixels.length).toBe(1000 * 28 * 28)
    expect(test.labels.length).toBe(10_000)
    const perClass = new Array<number>(10).fill(0)
    for (const y of data.train.labels) perClass[y]!++
    expect(perClass).toEqual(new Array<number>(10).fill(100))
  })
})
