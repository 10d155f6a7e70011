import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { createCohortService, type CohortService } from '../../../../src/core/service'
import { tempDir } from '../../../helpers/temp'

describe('images served to the renderer by id', () => {
  const dir = tempDir()
  let service: CohortService
  let ids: Record<string, number>

  beforeAll(async () => {
    const folder = join(dir.path, 'pics', 'x')
    mkdirSync(folder, { recursive: true })
    const red = { create: { width: 30, height: 20, channels: 3 as const, background: '#ff0000' } }
    await sharp(red).png().toFile(join(folder, 'a.png'))
    await sharp({ create: { ...red.create, background: '#00ff00' } })
      .tiff()
      .toFile(join(folder, 'b.tiff'))
    service = await createCohortService({ home: join(dir.path, 'home') })
    await service['imports.folder']({ folder: join(dir.path, 'pics'), dataset: 'pics' })
    const images = await service['images.list']({ datasetId: 1 })
    ids = Object.fromEntries(images.map((i) => [i.format, i.id]))
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  it('serves the thumbnail and the original of a known image', async () => {
    const thumb = await service.imageFile(`cohort-image://image/${ids.png}/thumb`)
    expect(thumb?.contentType).toBe('image/jpeg')
    expect((await sharp(thumb!.data).metadata()).width).toBe(30)
    const full = await service.imageFile(`cohort-image://image/${ids.png}/full`)
    expect(full?.contentType).toBe('image/png')
  })

  it('re-encodes formats browsers cannot show (TIFF) as JPEG', async () => {
    const full = await service.imageFile(`cohort-image://image/${ids.tiff}/full`)
    expect(full?.contentType).toBe('image/jpeg')
    expect((await sharp(full!.data).metadata()).format).toBe('jpeg')
  })

  it('re-makes a thumbnail when the cache was cleared', async () => {
    rmSync(service.paths.thumbnails, { recursive: true, force: true })
    const thumb = await service.imageFile(`cohort-image://image/${ids.png}/thumb`)
    expect(thumb?.contentType).toBe('image/jpeg')
  })

  it('answers null for unknown ids and anything that is not an image URL', async () => {
    for (const url of [
      'cohort-image://image/999/thumb',
      'cohort-image://image/1/original',
      'cohort-image://image/../../etc/passwd',
      'cohort-image://image/1/thumb/../../x',
      'file:///etc/passwd',
      `cohort-image://image/${ids.png}/thumb?path=/etc/passwd`,
    ]) {
      expect(await service.imageFile(url), url).toBeNull()
    }
  })
})
