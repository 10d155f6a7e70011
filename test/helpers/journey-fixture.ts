import { join } from 'node:path'
import { writeColourImage } from './model-bundle'
import { recogniseLibrary, type RecogniseLibrary } from './recognise-fixture'

/** Which colour each picture shows, under which label: a label differing from the colour is a mistake. */
export const MISLABELLED: { shows: string; label: string; count: number }[] = [
  { shows: 'green', label: 'red', count: 3 },
  { shows: 'blue', label: 'green', count: 2 },
  { shows: 'red', label: 'red', count: 2 },
  { shows: 'green', label: 'green', count: 2 },
  { shows: 'blue', label: 'blue', count: 2 },
]

/**
 * The recognise library (a completed run of colour networks, no trainer spent) whose dataset holds
 * real colour pictures, some under the wrong label, all in the validation split: its Results view
 * has confusion cells and misclassified pictures to fix.
 */
export async function mislabelledLibrary(root: string): Promise<RecogniseLibrary> {
  const lib = await recogniseLibrary(root)
  let seed = 200
  for (const { shows, label, count } of MISLABELLED) {
    for (let i = 0; i < count; i++) {
      const file = await writeColourImage(join(root, 'mislabelled', `${label}-${seed}.png`), shows, { seed })
      seed++
      await lib.service['images.addRecognised'](lib.datasetId, { path: file }, label)
    }
  }
  const images = await lib.service['images.list']({ datasetId: lib.datasetId })
  await lib.service['images.setSplit'](
    lib.datasetId,
    images.map((i) => i.id),
    'validation',
  )
  return lib
}

/** The recognise library whose dataset holds `perLabel` real pictures of each colour, split 60 / 20 / 20. */
export async function splitColourLibrary(root: string, perLabel = 5): Promise<RecogniseLibrary> {
  const lib = await recogniseLibrary(root)
  let seed = 400
  for (const colour of ['red', 'green', 'blue']) {
    for (let i = 0; i < perLabel; i++) {
      const file = await writeColourImage(join(root, 'split', `${colour}-${seed}.png`), colour, { seed })
      seed++
      await lib.service['images.addRecognised'](lib.datasetId, { path: file }, colour)
    }
  }
  await lib.service['splits.apply']({ datasetId: lib.datasetId, validation: 0.2, test: 0.2, seed: 1 })
  return lib
}
