import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chooseImages, writeFashionMnistFolder } from '../../src/core/dataset/fashion-mnist'
import { FASHION_MNIST_CLASSES, readFashionMnist, type FashionMnist } from '../../src/core/dataset/idx'
import { importFolder } from '../../src/core/dataset/import'
import { openDatabase } from '../../src/core/store/db'

const SAMPLE = join(import.meta.dirname, '..', '..', 'resources', 'sample', 'fashion-mnist')
const FRAME = 28 * 28

async function greyPixels(file: string): Promise<Buffer> {
  const meta = await sharp(file).metadata()
  expect([meta.width, meta.height, meta.channels, meta.space]).toEqual([28, 28, 1, 'b-w'])
  // sharp hands grey PNGs out as RGB unless asked for the one channel
  const { data } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true })
  return data
}

describe('Fashion-MNIST from the Debian package', () => {
  let data: FashionMnist
  let base: string

  beforeAll(async () => {
    data = await readFashionMnist()
    base = await mkdtemp(join(tmpdir(), 'cohort-fmnist-'))
  })
  afterAll(async () => {
    await rm(base, { recursive: true, force: true })
  })

  it('has 60000 training and 10000 test images of 28×28 with labels 0 … 9', () => {
    expect(data.train.images.length).toBe(60000 * FRAME)
    expect(data.train.labels.length).toBe(60000)
    expect(data.test.images.length).toBe(10000 * FRAME)
    expect(data.test.labels.length).toBe(10000)
    expect(Math.max(...data.train.labels, ...data.test.labels)).toBe(9)
    expect(Math.min(...data.train.labels, ...data.test.labels)).toBe(0)
    expect(data.classNames).toEqual([...FASHION_MNIST_CLASSES])
  })

  it('has 6000 training and 1000 test images per class', () => {
    const count = (labels: Uint8Array): number[] => {
      const n = new Array<number>(10).fill(0)
      for (const l of labels) n[l]!++
      return n
    }
    expect(count(data.train.labels)).toEqual(new Array<number>(10).fill(6000))
    expect(count(data.test.labels)).toEqual(new Array<number>(10).fill(1000))
  })

  it('writes a folder that the import pipeline reads back as labelled images', async () => {
    const out = join(base, 'fmnist-test')
    const report = await writeFashionMnistFolder(out, { split: 'test', perClass: 3, seed: 7, source: data })
    expect(report.files).toBe(30)
    expect(report.folders['T-shirt/top']).toBe('T-shirt_top')
    // every file holds exactly the pixels of the IDX image it is named after
    const [index] = report.indices['Ankle boot']!
    expect(data.test.labels[index!]).toBe(9)
    const file = join(out, 'Ankle boot', `${String(index).padStart(4, '0')}.png`)
    expect(
      Buffer.compare(
        await greyPixels(file),
        Buffer.from(data.test.images.subarray(index! * FRAME, (index! + 1) * FRAME)),
      ),
    ).toBe(0)

    const db = openDatabase(join(base, 'library.sqlite'))
    try {
      const imported = await importFolder(
        { db, thumbnailsDir: join(base, 'thumbs') },
        { folder: out, dataset: 'fmnist' },
      )
      expect(imported.rejected).toEqual([])
      expect(imported.imported).toBe(30)
      expect(imported.classes).toEqual(Object.fromEntries(Object.values(report.folders).map((f) => [f, 3])))
    } finally {
      db.close()
    }
  })

  it('refuses a non-empty output folder and bad options', async () => {
    const used = join(base, 'used')
    await mkdir(used)
    await writeFile(join(used, 'old.png'), 'x')
    await expect(writeFashionMnistFolder(used, { split: 'test', perClass: 1, source: data })).rejects.toThrow(
      /is not empty/,
    )
    await expect(
      writeFashionMnistFolder(join(base, 'a'), { split: 'test', perClass: 0, source: data }),
    ).rejects.toThrow(/whole number ≥ 1/)
    await expect(
      writeFashionMnistFolder(join(base, 'b'), { split: 'test', perClass: 1001, source: data }),
    ).rejects.toThrow(/fewer than 1001 images/)
  })

  it('bundles the sample: the first 50 per class of the seed-1 permutation, with its licence, under 1 MB', async () => {
    const chosen = chooseImages(data.train.labels, 10, 50, 1)
    let bytes = 0
    let files = 0
    for (const [c, name] of FASHION_MNIST_CLASSES.entries()) {
      const folder = name.replace('/', '_')
      const names = (await readdir(join(SAMPLE, folder))).sort()
      expect(names).toEqual(chosen[c]!.map((i) => `${String(i).padStart(5, '0')}.png`).sort())
      for (const n of names) bytes += (await stat(join(SAMPLE, folder, n))).size
      files += names.length
    }
    expect(files).toBe(500)
    expect(bytes).toBeLessThan(400_000)
    // spot check: pixels are the IDX image's own
    const first = chosen[4]![0]!
    const coat = await greyPixels(join(SAMPLE, 'Coat', `${String(first).padStart(5, '0')}.png`))
    expect(
      Buffer.compare(coat, Buffer.from(data.train.images.subarray(first * FRAME, (first + 1) * FRAME))),
    ).toBe(0)
    const license = await readFile(join(SAMPLE, 'LICENSE'), 'utf8')
    expect(license).toMatch(/Copyright © 2017 Zalando SE/)
    expect(license).toMatch(/Permission is hereby granted, free of charge/)
  })
})
