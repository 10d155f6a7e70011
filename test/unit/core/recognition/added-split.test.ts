import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { createCohortService, type CohortService } from '../../../../src/core/service'
import { writeColourImage } from '../../../helpers/model-bundle'
import { tempDir } from '../../../helpers/temp'

// Issue 18, bug 2: a picture added from Recognise must be trained on like any other, not sit unassigned.
describe('a picture added from Recognise joins a split', () => {
  const tmp = tempDir()
  let service: CohortService
  let datasetId: number
  let seed = 300

  const picture = (colour: string) =>
    writeColourImage(join(tmp.path, 'pictures', `${colour}-${seed}.png`), colour, { seed: seed++ })
  const add = async (colour: string, label = colour) =>
    service['images.addRecognised'](datasetId, { path: await picture(colour) }, label)
  const splitsOf = async (label: string) => {
    const counts = { unassigned: 0, train: 0, validation: 0, test: 0 }
    for (const i of await service['images.list']({ datasetId })) if (i.label === label) counts[i.split]++
    return counts
  }

  beforeAll(async () => {
    service = await createCohortService({ home: join(tmp.path, 'home') })
    datasetId = (await service['datasets.create']('colours')).id
  })
  afterAll(() => {
    service?.close()
    tmp.cleanup()
  })

  it('stays unassigned, like the rest, in a dataset never split', async () => {
    const added = await add('red')
    expect(added.image.split).toBe('unassigned')
    expect(added.message).toBe('Added as red')
  })

  it('keeps the split’s proportions per label (60 / 20 / 20 stays 60 / 20 / 20)', async () => {
    for (let i = 0; i < 9; i++) await add('red')
    for (let i = 0; i < 10; i++) await add('green')
    await service['splits.apply']({ datasetId, validation: 0.2, test: 0.2, seed: 1 })
    expect(await splitsOf('red')).toEqual({ unassigned: 0, train: 6, validation: 2, test: 2 })
    const joined = []
    for (let i = 0; i < 5; i++) joined.push((await add('red')).image.split)
    expect(joined).toEqual(['train', 'validation', 'train', 'test', 'train'])
    expect(await splitsOf('red')).toEqual({ unassigned: 0, train: 9, validation: 3, test: 3 })
    // the other label is left as it was
    expect(await splitsOf('green')).toEqual({ unassigned: 0, train: 6, validation: 2, test: 2 })
    const summary = (await service['datasets.list']())[0]!
    expect(summary.labels.map((l) => l.unassignedCount)).toEqual([0, 0])
  })

  it('says the split it joined, and one undo takes back both its label and its split', async () => {
    const added = await add('green')
    expect(added.message).toBe(`Added as green (${added.image.split})`)
    expect(added.image.split).not.toBe('unassigned')
    expect((await service['images.undo'](datasetId)).description).toBe("Add a picture as 'green'")
    const [undone] = await service['images.list']({ datasetId, ids: [added.image.id] })
    expect([undone!.label, undone!.split]).toEqual([null, 'unassigned'])
    await service['images.redo'](datasetId)
    const [redone] = await service['images.list']({ datasetId, ids: [added.image.id] })
    expect([redone!.label, redone!.split]).toEqual(['green', added.image.split])
  })

  it('a picture already there under another label is relabelled and joins a split if it had none', async () => {
    const file = await picture('blue')
    await service['imports.files']({ files: [file], dataset: 'colours' })
    const fixed = await service['images.addRecognised'](datasetId, { path: file }, 'green')
    expect(fixed.outcome).toBe('relabelled')
    expect(fixed.image.split).not.toBe('unassigned')
    expect(fixed.message).toBe(
      `Already in the dataset as unlabelled; now labelled green (${fixed.image.split})`,
    )
  })
})
