import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDataset } from '../../../../src/core/store/datasets'
import { countImages, getImage, listImages } from '../../../../src/core/store/image-queries'
import { setImageStatus } from '../../../../src/core/store/images'
import { createLabel } from '../../../../src/core/store/labels'
import { API_SCHEMAS } from '../../../../src/shared/api-schema'
import { addImage, addImages, tempLibrary, type TempLibrary } from './fixture'

describe('image queries', () => {
  let lib: TempLibrary
  let ds: number
  beforeEach(() => {
    lib = tempLibrary()
    ds = createDataset(lib.db, 'pets').id
  })
  afterEach(() => lib.cleanup())

  it('returns full records with the label name', () => {
    const cat = createLabel(lib.db, ds, 'cat')
    const id = addImage(lib.db, ds, { path: '/p/a.jpg', labelId: cat.id, split: 'train', locked: true })
    expect(getImage(lib.db, id)).toEqual({
      id,
      datasetId: ds,
      sourcePath: '/p/a.jpg',
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      width: 32,
      height: 32,
      format: 'jpeg',
      bytes: 1000,
      labelId: cat.id,
      label: 'cat',
      split: 'train',
      splitLocked: true,
      status: 'ok',
    })
    expect(getImage(lib.db, id + 100)).toBeUndefined()
  })

  it('filters by label, unlabelled, split and status, by id, with offset and limit', () => {
    const cat = createLabel(lib.db, ds, 'cat')
    const other = createDataset(lib.db, 'other').id
    addImages(lib.db, other, 3)
    const cats = addImages(lib.db, ds, 4, { labelId: cat.id, split: 'train' })
    const loose = addImages(lib.db, ds, 3)
    setImageStatus(lib.db, [cats[1]!, loose[0]!], 'missing')
    const ids = (q: Parameters<typeof listImages>[1]): number[] => listImages(lib.db, q).map((i) => i.id)

    expect(ids({ datasetId: ds })).toEqual([...cats, ...loose])
    expect(ids({ datasetId: ds, labelId: cat.id })).toEqual(cats)
    expect(ids({ datasetId: ds, labelId: null })).toEqual(loose)
    expect(ids({ datasetId: ds, split: 'train' })).toEqual(cats)
    expect(ids({ datasetId: ds, status: 'missing' })).toEqual([cats[1], loose[0]])
    expect(ids({ datasetId: ds, labelId: cat.id, status: 'ok' })).toEqual([cats[0], cats[2], cats[3]])
    expect(ids({ datasetId: ds, offset: 2, limit: 3 })).toEqual([cats[2], cats[3], loose[0]])
    expect(ids({ datasetId: ds, offset: 10 })).toEqual([])
    expect(ids({ datasetId: ds, limit: 0 })).toEqual([])

    expect(countImages(lib.db, { datasetId: ds })).toBe(7)
    expect(countImages(lib.db, { datasetId: ds, labelId: null, status: 'ok', limit: 1 })).toBe(2)
    expect(countImages(lib.db, { datasetId: ds, split: 'validation' })).toBe(0)
  })

  it('rejects bad paging values, splits and ids with clear messages', () => {
    expect(() => listImages(lib.db, { datasetId: ds, limit: -1 })).toThrow(
      'The limit of an image page must be a whole number ≥ 0, not -1.',
    )
    expect(() => listImages(lib.db, { datasetId: ds, offset: 1.5 })).toThrow(/offset .* not 1.5/)
    expect(() => listImages(lib.db, { datasetId: ds, split: 'training' as never })).toThrow(
      "Unknown split 'training'; use one of unassigned, train, validation, test.",
    )
  })

  it('lists only the given ids, in the order given, with the other filters, paging and count', () => {
    const cat = createLabel(lib.db, ds, 'cat')
    const other = createDataset(lib.db, 'other').id
    const foreign = addImages(lib.db, other, 2)
    const cats = addImages(lib.db, ds, 3, { labelId: cat.id, split: 'validation' })
    const loose = addImages(lib.db, ds, 2, { split: 'test' })
    const ids = (q: Parameters<typeof listImages>[1]): number[] => listImages(lib.db, q).map((i) => i.id)
    // a run's mistakes, most confident first: not id order, one repeated, one from another dataset
    const wanted = [loose[1]!, cats[0]!, foreign[0]!, cats[2]!, loose[1]!, loose[0]!]

    expect(ids({ datasetId: ds, ids: wanted })).toEqual([loose[1], cats[0], cats[2], loose[0]])
    expect(ids({ datasetId: ds, ids: wanted, offset: 1, limit: 2 })).toEqual([cats[0], cats[2]])
    expect(ids({ datasetId: ds, ids: wanted, offset: 4 })).toEqual([])
    expect(ids({ datasetId: ds, ids: wanted, split: 'validation' })).toEqual([cats[0], cats[2]])
    expect(ids({ datasetId: ds, ids: wanted, labelId: null })).toEqual([loose[1], loose[0]])
    expect(countImages(lib.db, { datasetId: ds, ids: wanted })).toBe(4)
    expect(countImages(lib.db, { datasetId: ds, ids: wanted, labelId: cat.id })).toBe(2)
    expect(ids({ datasetId: ds, ids: [] })).toEqual([])
    expect(countImages(lib.db, { datasetId: ds, ids: [] })).toBe(0)
  })

  it('rejects ids that are not image ids, or too many of them, in the store and in the API schema', () => {
    expect(() => listImages(lib.db, { datasetId: ds, ids: [1, 2.5] })).toThrow(
      '2.5 is not an image id (a positive whole number).',
    )
    const tooMany = Array.from({ length: 50_001 }, (_, i) => i + 1)
    expect(() => countImages(lib.db, { datasetId: ds, ids: tooMany })).toThrow(
      'An image query may name at most 50000 images, not 50001.',
    )
    const schema = API_SCHEMAS['images.list']
    expect(schema.safeParse([{ datasetId: ds, ids: [1, 2, 3] }]).success).toBe(true)
    expect(schema.safeParse([{ datasetId: ds, ids: tooMany.slice(0, 50_000) }]).success).toBe(true)
    expect(schema.safeParse([{ datasetId: ds, ids: [1, 1.5] }]).success).toBe(false)
    expect(schema.safeParse([{ datasetId: ds, ids: ['1'] }]).success).toBe(false)
    expect(schema.safeParse([{ datasetId: ds, ids: [0] }]).success).toBe(false)
    expect(schema.safeParse([{ datasetId: ds, ids: tooMany }]).success).toBe(false)
    expect(API_SCHEMAS['images.count'].safeParse([{ datasetId: ds, ids: tooMany }]).success).toBe(false)
  })

  it('pages a 50k-image grid through indexes, without sorting', () => {
    const cat = createLabel(lib.db, ds, 'cat')
    addImages(lib.db, ds, 50_000, { labelId: cat.id, split: 'train' })
    const plans = [
      { datasetId: ds },
      { datasetId: ds, labelId: cat.id },
      { datasetId: ds, labelId: null },
      { datasetId: ds, split: 'train' as const },
      { datasetId: ds, status: 'missing' as const },
    ].map((q) => {
      const t0 = performance.now()
      const page = listImages(lib.db, { ...q, offset: 49_900, limit: 100 })
      return { q, ms: performance.now() - t0, page: page.length }
    })
    expect(plans[0]!.page).toBe(100)
    // generous: 2 cores are shared with other test runs; a sorting plan would take seconds
    for (const p of plans) expect(p.ms, JSON.stringify(p.q)).toBeLessThan(1000)

    const plan = (sql: string, ...params: unknown[]): string =>
      lib.db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((r) => r.detail)
        .join('; ')
    for (const filter of [
      '',
      'AND label_id = ?',
      'AND label_id IS NULL',
      'AND split = ?',
      'AND status = ?',
    ]) {
      const params = filter.includes('?') ? [ds, 'x'] : [ds]
      const detail = plan(
        `SELECT * FROM images WHERE dataset_id = ? ${filter} ORDER BY id LIMIT 100 OFFSET 49900`,
        ...params,
      )
      expect(detail, filter).toMatch(/USING (COVERING )?INDEX/)
      expect(detail, filter).not.toMatch(/TEMP B-TREE/)
    }
  })
})
