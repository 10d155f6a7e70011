import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../../src/core/service'
import { dispatch } from '../../../../src/core/service/dispatch'
import { loadTrainingTensors } from '../../../../src/core/dataset/tensor-cache'
import { openDatabase } from '../../../../src/core/store/db'
import type { AugmentPreview } from '../../../../src/shared/types'
import { makeAsymmetricFolder } from '../../../helpers/labelled-folder'
import { tempDir } from '../../../helpers/temp'

/** A data URL's pixels, as bytes, with the PNG's size and channels. */
async function pixelsOf(url: string): Promise<{ data: Buffer; width: number; channels: number }> {
  const png = Buffer.from(url.replace(/^data:image\/png;base64,/, ''), 'base64')
  const { channels } = await sharp(png).metadata()
  const { data, info } = await sharp(png)
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data, width: info.width, channels }
}

/** The picture mirrored left to right (S × S × C bytes). */
function mirrored(pixels: Uint8Array, size: number, channels: number): Uint8Array {
  const out = new Uint8Array(pixels.length)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < channels; c++) {
        out[(y * size + x) * channels + c] = pixels[(y * size + (size - 1 - x)) * channels + c]!
      }
    }
  }
  return out
}

describe('runs.previewAugmentation on a real library', () => {
  const dir = tempDir()
  let service: CohortService
  let datasetId: number
  const flipOnly = { crop: 'off', flip: true, brightness: 0, contrast: 0 } as const

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    await makeAsymmetricFolder(join(dir.path, 'shapes'), { left: 6, right: 6 })
    await service['imports.folder']({ folder: join(dir.path, 'shapes'), dataset: 'shapes' })
    datasetId = (await service['datasets.list']()).find((d) => d.name === 'shapes')!.id
    await service['splits.apply']({ datasetId, validation: 0.25, test: 0, seed: 1 })
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  it('gives the same preview for the same seed, and other pictures or views for another', async () => {
    const request = { augment: 'standard', imageSize: 24, channels: 3, count: 4, views: 3, seed: 7 } as const
    const first = await service['runs.previewAugmentation'](datasetId, request)
    const again = await service['runs.previewAugmentation'](datasetId, request)
    expect(again).toEqual(first)
    expect(first.pictures).toHaveLength(4)
    expect(first.pictures.every((p) => p.views.length === 3)).toBe(true)
    expect(new Set(first.pictures.map((p) => p.imageId)).size).toBe(4)
    const other = await service['runs.previewAugmentation'](datasetId, { ...request, seed: 8 })
    expect(other).not.toEqual(first)
  })

  it('shows training pictures only, decoded exactly as the trainer gets them', async () => {
    const preview = await service['runs.previewAugmentation'](datasetId, {
      augment: 'none',
      imageSize: 16,
      channels: 1,
      count: 8,
      views: 2,
    })
    const db = openDatabase(service.paths.db)
    try {
      const tensors = await loadTrainingTensors(
        { db, cacheDir: service.paths.cache },
        {
          datasetId,
          imageSize: 16,
          channels: 1,
        },
      )
      const frame = 16 * 16
      for (const picture of preview.pictures) {
        const index = Array.from(tensors.train.ids).indexOf(picture.imageId)
        expect(index, 'a picture of the training split').toBeGreaterThanOrEqual(0)
        expect(picture.label).toBe(tensors.classNames[tensors.train.labels[index]!])
        const original = await pixelsOf(picture.original)
        expect(original).toMatchObject({ width: 16, channels: 1 })
        expect(Uint8Array.from(original.data)).toEqual(
          tensors.train.pixels.subarray(index * frame, (index + 1) * frame),
        )
        // augmentation off: every view is the resized picture itself, byte for byte
        for (const view of picture.views) expect((await pixelsOf(view)).data).toEqual(original.data)
      }
    } finally {
      db.close()
    }
  })

  it('with mirror images on, some views are the mirror image and the others the picture itself', async () => {
    const preview = await service['runs.previewAugmentation'](datasetId, {
      augment: flipOnly,
      imageSize: 20,
      channels: 3,
      count: 8,
      views: 4,
      seed: 3,
    })
    let flipped = 0
    for (const picture of preview.pictures) {
      const original = (await pixelsOf(picture.original)).data
      for (const url of picture.views) {
        const view = (await pixelsOf(url)).data
        if (view.equals(original)) continue
        expect(Uint8Array.from(view)).toEqual(mirrored(original, 20, 3))
        flipped++
      }
    }
    // half the views of 8 × 4 are mirrored on average; none at all would mean flips do nothing
    expect(flipped).toBeGreaterThan(4)
    expect(flipped).toBeLessThan(28)
  })

  it('refuses bad arguments with a message that names them', async () => {
    const ask = (request: unknown, id: unknown = datasetId) =>
      dispatch(service, 'runs.previewAugmentation', [id, request], () => {})
    const base = { augment: 'safe', imageSize: 32, channels: 3 }
    const cases: [unknown, RegExp][] = [
      [{ ...base, count: 9 }, /the number of pictures must be a whole number from 1 to 8/],
      [{ ...base, views: 5 }, /the number of views must be a whole number from 1 to 4/],
      [{ ...base, views: 1.5 }, /the number of views must be a whole number/],
      [{ ...base, augment: 'mirror' }, /augmentation must be "safe", "light", "standard", "none"/],
      [{ ...base, imageSize: 4 }, /the image size must be a whole number from 8 to 256/],
      [{ ...base, channels: 2 }, /channels must be 1 \(grey\) or 3 \(colour\)/],
      [{ ...base, seed: -1 }, /the seed must be a whole number/],
      [{ ...base, extra: true }, /extra/],
      [
        { ...base, augment: { ...flipOnly, brightness: 2 } },
        /brightness jitter must be a number from 0 to 1/,
      ],
    ]
    for (const [request, message] of cases) {
      const answer = await ask(request)
      expect(answer.ok, JSON.stringify(request)).toBe(false)
      if (!answer.ok) expect(answer.error.message).toMatch(message)
    }
    // a padding the schema allows but the picture size does not: said before anything is decoded
    const pad = await ask({ ...base, imageSize: 8, augment: { ...flipOnly, crop: 'reflect', pad: 8 } })
    expect(pad).toMatchObject({
      ok: false,
      error: { name: 'AugmentError', message: expect.stringMatching(/crop padding .* from 0 to 7 pixels/) },
    })
    const missing = await ask(base, 999)
    expect(missing.ok).toBe(false)
    if (!missing.ok) expect(missing.error.message).toMatch(/dataset/i)
  })

  it('says so for a dataset without labelled pictures', async () => {
    const empty = await service['datasets.create']('nothing labelled')
    await expect(
      service['runs.previewAugmentation'](empty.id, { augment: 'safe', imageSize: 32, channels: 3 }),
    ).rejects.toThrow(/'nothing labelled' has no labelled pictures to preview yet; label some pictures first/)
  })

  it('leaves out a picture whose file is gone or changed, says why, and shows the others', async () => {
    const files = await makeAsymmetricFolder(join(dir.path, 'fragile'), { a: 2, b: 1 }, 12)
    await service['imports.folder']({ folder: join(dir.path, 'fragile'), dataset: 'fragile' })
    const fragile = (await service['datasets.list']()).find((d) => d.name === 'fragile')!.id
    rmSync(files[0]!)
    writeFileSync(files[2]!, 'not a picture any more')
    const request = { augment: 'safe', imageSize: 12, channels: 3, count: 3 } as const
    const preview: AugmentPreview = await service['runs.previewAugmentation'](fragile, request)
    expect(preview.pictures).toHaveLength(1)
    expect(preview.skipped.map((s) => [s.path, s.reason]).sort()).toEqual(
      [
        [files[0], 'the file no longer exists'],
        [files[2], 'the file has changed since it was imported; import it again'],
      ].sort(),
    )
    rmSync(files[1]!)
    await expect(service['runs.previewAugmentation'](fragile, request)).rejects.toThrow(
      /None of the pictures tried could be read: .*no longer exists/,
    )
  })
})
