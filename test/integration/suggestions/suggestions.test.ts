import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../src/core/service'
import { dispatch } from '../../../src/core/service/dispatch'
import type { RunSummary, Suggestion } from '../../../src/shared/types'
import { makeLabelledFolder } from '../../helpers/labelled-folder'
import { tempDir } from '../../helpers/temp'
import { trainTinyRun } from '../../helpers/tiny-run'

// A real run trained by the real trainer process suggests labels for the unlabelled pictures of its dataset.
describe('suggestions of a real tiny run', () => {
  const dir = tempDir('cohort-suggest-')
  let service: CohortService
  let run: RunSummary
  let datasetId: number
  let unlabelled: { id: number; sourcePath: string }[]
  let ready: Promise<{ datasetId: number; runId: number }>

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    ready = new Promise((resolve) => service.events.on('suggestions.ready', resolve))
    // unlabelled pictures first, then the labelled ones the tiny run trains on, in the same dataset
    const files = await makeLabelledFolder(join(dir.path, 'new'), { red: 6, green: 6, blue: 6 }, 16)
    await service['imports.files']({ files, dataset: 'squares' })
    ;({ run, datasetId } = await trainTinyRun(service, dir.path, 'squares'))
    unlabelled = await service['images.list']({ datasetId, labelId: null })
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  it('answers for every unlabelled picture in the background once the run completes', async () => {
    expect(unlabelled).toHaveLength(18)
    expect(await ready).toEqual({ datasetId, runId: run.id })
    const list = await service['suggestions.list'](datasetId)
    expect(list.runId).toBe(run.id)
    expect(list.order).toBe('random')
    expect(list.suggestions.map((s) => s.imageId).sort((a, b) => a - b)).toEqual(unlabelled.map((i) => i.id))
    // suggestions are not labels
    expect(await service['images.count']({ datasetId, labelId: null })).toBe(18)
  })

  it('gives the same answer as recognising the files with the run’s model', async () => {
    const { suggestions } = await service['suggestions.list'](datasetId)
    const report = await service['recognise.files'](
      run.id,
      suggestions.map((s) => s.path),
      { perNetwork: true },
    )
    suggestions.forEach((s, k) => {
      const r = report.results[k]!
      if (!('predictions' in r)) throw new Error(`not recognised: ${r.error}`)
      expect(s.label).toBe(r.predictions[0]!.label)
      expect(s.confidence).toBeCloseTo(r.predictions[0]!.probability, 5)
      expect(s.agree).toBe(r.perNetwork!.every((n) => n.predictions[0]!.label === s.label))
      expect(run.classNames).toContain(s.label)
    })
  })

  it('orders them: disputed pictures first when informative, seeded when random, and honours the limit', async () => {
    const informative = (await service['suggestions.list'](datasetId, { order: 'informative' })).suggestions
    // with two networks a picture is disputed exactly when their votes differ: every such one comes first
    const disputed = informative.filter((s) => !s.agree).length
    expect(informative.slice(0, disputed).every((s) => !s.agree)).toBe(true)
    const random = (seed: number) => service['suggestions.list'](datasetId, { order: 'random', seed })
    const ids = (s: Suggestion[]) => s.map((x) => x.imageId)
    expect(ids((await random(3)).suggestions)).toEqual(ids((await random(3)).suggestions))
    expect(ids((await random(3)).suggestions)).not.toEqual(ids((await random(4)).suggestions))
    const typical = await service['suggestions.list'](datasetId, { order: 'typical', limit: 5 })
    expect(typical.suggestions).toHaveLength(5)
    expect(new Set(ids(typical.suggestions)).size).toBe(5)
  })

  it('accepts chosen suggestions as one undoable action; undo makes them unlabelled again', async () => {
    const { suggestions } = await service['suggestions.list'](datasetId)
    const [a, b] = suggestions
    const report = await service['suggestions.accept'](datasetId, [a!.imageId, b!.imageId])
    expect(report).toEqual({ accepted: 2, skipped: 0, description: 'Accept 2 suggested labels' })
    const labelled = await service['images.list']({ datasetId, ids: [a!.imageId, b!.imageId] })
    expect(labelled.map((i) => i.label)).toEqual([a!.label, b!.label])
    // accepted pictures are labels now: no longer suggested, and a second accept leaves them alone
    const after = await service['suggestions.list'](datasetId)
    expect(after.suggestions.map((s) => s.imageId)).not.toContain(a!.imageId)
    expect(await service['suggestions.accept'](datasetId, [a!.imageId])).toEqual({
      accepted: 0,
      skipped: 1,
      description: null,
    })
    expect(await service['images.undo'](datasetId)).toEqual({ description: 'Accept 2 suggested labels' })
    const restored = await service['images.list']({ datasetId, ids: [a!.imageId, b!.imageId] })
    expect(restored.map((i) => i.label)).toEqual([null, null])
    expect((await service['suggestions.list'](datasetId)).suggestions).toHaveLength(18)
  })

  it('accepts every agreeing suggestion above a confidence within a filter, undoably', async () => {
    const { suggestions } = await service['suggestions.list'](datasetId)
    const some = suggestions.slice(0, 10)
    const expected = some.filter((s) => s.agree && s.confidence >= 0.4)
    const report = await service['suggestions.acceptAgreeing'](datasetId, {
      minConfidence: 0.4,
      filter: { ids: some.map((s) => s.imageId) },
    })
    expect(report.accepted).toBe(expected.length)
    const nowLabelled = await service['images.list']({ datasetId, ids: some.map((s) => s.imageId) })
    expect(nowLabelled.filter((i) => i.label !== null).map((i) => i.id)).toEqual(
      expected.map((s) => s.imageId),
    )
    if (expected.length > 0) {
      await service['images.undo'](datasetId)
      expect(await service['images.count']({ datasetId, labelId: null })).toBe(18)
    }
    // nothing reaches a confidence above 1
    const none = await service['suggestions.acceptAgreeing'](datasetId, { minConfidence: 1 })
    expect(none.accepted).toBe(suggestions.filter((s) => s.agree && s.confidence >= 1).length)
  })

  it('answers for pictures added after the run when asked', async () => {
    // another size: the same squares at 16 px would be the same files, which import skips
    const files = await makeLabelledFolder(join(dir.path, 'later'), { green: 2 }, 20)
    await service['imports.files']({ files, dataset: 'squares' })
    const list = await service['suggestions.list'](datasetId)
    expect(list.suggestions).toHaveLength(20)
  })

  it('says plainly when there is nothing to suggest from', async () => {
    const empty = await service['datasets.create']('empty')
    expect(await service['suggestions.list'](empty.id)).toEqual({
      runId: null,
      order: 'random',
      suggestions: [],
    })
    const accept = await dispatch(service, 'suggestions.accept', [empty.id, [1]])
    expect(accept).toEqual({
      ok: false,
      error: {
        name: 'StoreError',
        message: 'Dataset "empty" has no completed run yet; train one to get suggestions.',
      },
    })
    const other = await dispatch(service, 'suggestions.list', [empty.id, { runId: run.id }])
    expect(other.ok ? '' : other.error.message).toBe(
      `Run ${run.id} trained another dataset; its suggestions are for that one.`,
    )
    const bad = await dispatch(service, 'suggestions.list', [datasetId, { order: 'best' }])
    expect(bad.ok ? '' : bad.error.message).toMatch(
      /Invalid arguments for suggestions.list: argument 1.order/,
    )
    const confidence = await dispatch(service, 'suggestions.acceptAgreeing', [
      datasetId,
      { minConfidence: 2 },
    ])
    expect(confidence.ok).toBe(false)
  })
})
