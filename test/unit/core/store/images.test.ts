import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDataset } from '../../../../src/core/store/datasets'
import { countImages, getImage } from '../../../../src/core/store/image-queries'
import { setImageStatus } from '../../../../src/core/store/images'
import { addImages, tempLibrary, type TempLibrary } from './fixture'

describe('image status', () => {
  let lib: TempLibrary
  let ds: number
  beforeEach(() => {
    lib = tempLibrary()
    ds = createDataset(lib.db, 'pets').id
  })
  afterEach(() => lib.cleanup())

  it('marks images missing and back, counting only real changes', () => {
    const ids = addImages(lib.db, ds, 3)
    expect(setImageStatus(lib.db, ids.slice(0, 2), 'missing')).toBe(2)
    expect(setImageStatus(lib.db, ids, 'missing')).toBe(1)
    expect(countImages(lib.db, { datasetId: ds, status: 'missing' })).toBe(3)
    expect(setImageStatus(lib.db, [ids[0]!], 'ok')).toBe(1)
    expect(getImage(lib.db, ids[0]!)?.status).toBe('ok')
    expect(setImageStatus(lib.db, [], 'ok')).toBe(0)
  })

  it('rejects ids that are not image ids', () => {
    expect(() => setImageStatus(lib.db, [1, 0], 'missing')).toThrow(
      '0 is not an image id (a positive whole number).',
    )
  })
})
