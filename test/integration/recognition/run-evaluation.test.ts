import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { dispatch } from '../../../src/core/service/dispatch'
import type { RunSummary, SplitEvaluation } from '../../../src/shared/types'
import { tempDir } from '../../helpers/temp'
import { trainTinyRun } from '../../helpers/tiny-run'

// A real run trained by the real trainer process, evaluated on its own dataset's splits.
describe('runs.evaluateSplit on a real tiny run', () => {
  const dir = tempDir('cohort-run-eval-')
  let service: CohortService
  let run: RunSummary
  let datasetId: number

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    ;({ run, datasetId } = await trainTinyRun(service, dir.path))
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  /** Every figure of the report must follow from its per-image answers. */
  function expectConsistent(report: SplitEvaluation): void {
    const n = report.images.length
    const right = (pick: (i: SplitEvaluation['images'][number]) => number) =>
      report.images.filter((i) => pick(i) === i.label).length / n
    expect(report.ensemble.accuracy).toBeCloseTo(
      right((i) => i.predicted),
      10,
    )
    report.networks.forEach((net, k) =>
      expect(net.accuracy).toBeCloseTo(
        right((i) => i.perNetwork[k]!),
        10,
      ),
    )
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(n)
    report.classNames.forEach((_, t) =>
      report.classNames.forEach((__, p) =>
        expect(report.confusion[t]![p]).toBe(
          report.images.filter((i) => i.label === t && i.predicted === p).length,
        ),
      ),
    )
    for (const image of report.images) {
      expect(image.confidence).toBeGreaterThanOrEqual(1 / report.classNames.length - 1e-6)
      expect(image.confidence).toBeLessThanOrEqual(1)
    }
  }

  it('answers for every validation image, with the dataset labels mapped to the model classes', async () => {
    const report = await service['runs.evaluateSplit'](run.id, 'validation')
    const validation = await service['images.list']({ datasetId, split: 'validation' })
    expect(report.split).toBe('validation')
    expect(report.classNames).toEqual(['blue', 'green', 'red'])
    expect(report.images.map((i) => i.imageId).sort((a, b) => a - b)).toEqual(
      validation.map((i) => i.id).sort((a, b) => a - b),
    )
    for (const image of report.images) {
      const record = validation.find((v) => v.id === image.imageId)!
      expect(report.classNames[image.label]).toBe(record.label)
      expect(image.perNetwork).toHaveLength(2)
    }
    // each network's own confidence is what recognising the picture with that network alone says
    const first = report.images[0]!
    const path = validation.find((v) => v.id === first.imageId)!.sourcePath
    for (const n of [0, 1]) {
      const [answer] = (await service['recognise.files'](run.id, [path], { network: n, topK: 1 })).results
      const top = 'predictions' in answer! ? answer.predictions[0]! : null
      expect(top?.label).toBe(report.classNames[first.perNetwork[n]!])
      expect(first.perNetworkConfidence[n]).toBeCloseTo(top!.probability, 4)
    }
    expect(report.networks.map((n) => n.arch)).toEqual(['cnn', 'resnet-8'])
    expect(report.ensemble.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
    // the trainer measured the same model on the same images
    expect(report.ensemble.accuracy).toBeCloseTo(run.last!.ensemble.valAcc, 5)
    expectConsistent(report)
  })

  it('evaluates the test split the same way', async () => {
    const report = await service['runs.evaluateSplit'](run.id, 'test')
    expect(report.images.length).toBe(await service['images.count']({ datasetId, split: 'test' }))
    expect(report.perClass.map((c) => c.images).reduce((a, b) => a + b, 0)).toBe(report.images.length)
    expectConsistent(report)
  })

  it('leaves out images of labels the run never saw, and counts them', async () => {
    const before = await service['runs.evaluateSplit'](run.id, 'validation')
    const label = await service['labels.create'](datasetId, 'purple')
    const moved = before.images[0]!.imageId
    await service['images.label'](datasetId, [moved], label.id)
    try {
      const after = await service['runs.evaluateSplit'](run.id, 'validation')
      expect(after.unknownLabels).toEqual([{ label: 'purple', images: 1 }])
      expect(after.images.map((i) => i.imageId)).not.toContain(moved)
      expect(after.images).toHaveLength(before.images.length - 1)
    } finally {
      await service['images.undo'](datasetId)
    }
  })

  it('says plainly when the split is empty, the run has no model, or the arguments are wrong', async () => {
    await service['splits.apply']({ datasetId, validation: 0.25, test: 0, seed: 1 })
    try {
      await expect(service['runs.evaluateSplit'](run.id, 'test')).rejects.toThrow(
        /no labelled images in its test split/,
      )
    } finally {
      await service['splits.apply']({ datasetId, validation: 0.25, test: 0.25, seed: 1 })
    }
    await expect(service['runs.evaluateSplit'](run.id + 100, 'validation')).rejects.toThrow(/run/i)
    const bad = await dispatch(service, 'runs.evaluateSplit', [run.id, 'train'])
    expect(bad).toMatchObject({ ok: false, error: { name: 'InvalidArgumentsError' } })
  })

  it('lists the zoo with sizes at the chosen input, every teacher and every ensemble rule', async () => {
    const small = await service['models.zoo'](16, 3, 3)
    const large = await service['models.zoo'](32, 3, 3)
    expect(small.networks.map((n) => n.name)).toEqual([
      'cnn',
      'resnet-8',
      'resnet-14',
      'resnet-20',
      'mobilenet',
    ])
    expect(small.networks.every((n) => n.params > 0 && n.description.length > 0)).toBe(true)
    // convolutions cost 4× at twice the side; parameters do not depend on it for these networks
    const cnn = (c: typeof small) => c.networks.find((n) => n.name === 'cnn')!
    expect(cnn(large).flops).toBeGreaterThan(3 * cnn(small).flops)
    expect(await service['models.zoo'](16, 3, 3)).toBe(small)
    expect(small.teachers.map((t) => t.name)).toEqual([
      'min-logit',
      'validation',
      'min-loss',
      'linear',
      'mean',
      'none',
    ])
    expect(small.ensembleRules[0]!.name).toBe('equal')
    expect(small.ensembleRules.every((r) => r.description.length > 0)).toBe(true)
    // the run's own networks were described the same way (default width there, quarter width in the run)
    expect(run.networks[0]!.params).toBeLessThan(cnn(small).params)
  })
})
