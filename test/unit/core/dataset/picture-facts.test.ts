import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCohortService, type CohortService } from '../../../../src/core/service'
import { evenSample, isGreyRgb, medianSide, pictureFacts } from '../../../../src/core/dataset/picture-facts'
import { openDatabase } from '../../../../src/core/store/db'
import { makeLabelledFolder } from '../../../helpers/labelled-folder'
import { tempDir } from '../../../helpers/temp'

/** Grey PNGs (one channel), `size` px, a different shade per picture, `perLabel` per label. */
async function greyFolder(root: string, perLabel: Record<string, number>, size: number): Promise<void> {
  let shade = 0
  for (const [label, count] of Object.entries(perLabel)) {
    mkdirSync(join(root, label), { recursive: true })
    for (let i = 0; i < count; i++) {
      shade = (shade + 37) % 256
      const pixels = Buffer.alloc(size * size, shade)
      pixels[i % pixels.length] = 255 - shade
      await sharp(pixels, { raw: { width: size, height: size, channels: 1 } })
        .png()
        .toFile(join(root, label, `${label}-${i}.png`))
    }
  }
}

describe('the pure parts', () => {
  it('medianSide takes the shorter side of each picture', () => {
    expect(medianSide([])).toBeNull()
    expect(medianSide([{ width: 28, height: 40 }])).toBe(28)
    expect(medianSide([28, 30, 200].map((s) => ({ width: s, height: s })))).toBe(30)
    expect(medianSide([28, 30].map((s) => ({ width: s, height: s })))).toBe(29)
  })
  it('isGreyRgb allows JPEG-sized channel noise and no real colour', () => {
    expect(isGreyRgb(Uint8Array.from([10, 10, 10, 200, 202, 201]))).toBe(true)
    expect(isGreyRgb(Uint8Array.from([10, 10, 10, 200, 180, 200]))).toBe(false)
  })
  it('evenSample spreads over the whole list', () => {
    expect(evenSample([1, 2, 3], 5)).toEqual([1, 2, 3])
    expect(evenSample([...Array(10).keys()], 3)).toEqual([0, 5, 9])
  })
})

describe('pictureFacts on a real library', () => {
  const dir = tempDir()
  let service: CohortService
  const ids: Record<string, number> = {}

  beforeAll(async () => {
    service = await createCohortService({ home: join(dir.path, 'home') })
    await greyFolder(join(dir.path, 'grey'), { a: 6, b: 6 }, 28)
    await makeLabelledFolder(join(dir.path, 'colour'), { a: 6, b: 6 }, 40)
    for (const name of ['grey', 'colour']) {
      await service['imports.folder']({ folder: join(dir.path, name), dataset: name })
      ids[name] = (await service['datasets.list']()).find((d) => d.name === name)!.id
      await service['splits.apply']({ datasetId: ids[name]!, validation: 0.25, test: 0, seed: 1 })
    }
  })
  afterAll(() => {
    service.close()
    dir.cleanup()
  })

  it('finds grey 28 px pictures grey at 28, and coloured 40 px ones colour at 40', async () => {
    const db = openDatabase(service.paths.db)
    try {
      const grey = await pictureFacts(db, ids.grey!)
      expect(grey).toMatchObject({ medianSide: 28, greyscale: true })
      expect(grey.pictures).toBe(12)
      expect(grey.sampled).toBe(12)
      const colour = await pictureFacts(db, ids.colour!)
      expect(colour).toMatchObject({ medianSide: 40, greyscale: false })
    } finally {
      db.close()
    }
  })

  it('runs.plan chooses 28 px grey for the grey pictures, says why, and keeps what the person set', async () => {
    const plan = await service['runs.plan']({ dataset: ids.grey! })
    expect(plan.settings).toMatchObject({ imageSize: 28, channels: 1, batchSize: 32 })
    expect(plan.chosen.imageSize).toMatch(/own size/)
    expect(plan.chosen.channels).toMatch(/grey/)
    expect(plan.chosen.epochs).toMatch(/optimiser steps/)
    expect(plan.predictedSeconds).toBeGreaterThan(0)
    expect(plan.steps).toBe(Number(plan.settings.epochs) * 1)

    const given = await service['runs.plan']({ dataset: ids.grey!, imageSize: 16, channels: 3, epochs: 3 })
    expect(given.settings).toMatchObject({ imageSize: 16, channels: 3, epochs: 3 })
    expect(given.chosen.imageSize).toBeUndefined()
    expect(given.chosen.epochs).toBeUndefined()

    const colour = await service['runs.plan']({ dataset: ids.colour! })
    expect(colour.settings).toMatchObject({ imageSize: 32, channels: 3 })
  })

  it('reports a bad setting by name before looking at any picture', async () => {
    await expect(service['runs.plan']({ dataset: ids.grey!, epochs: 0 })).rejects.toThrow(/epochs/)
  })
})
