import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import sharp, { type Sharp } from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importFolder } from '../../../../src/core/dataset/import'
import {
  clearTensorCache,
  datasetStatistics,
  loadTrainingTensors,
  tensorCacheFile,
  TrainingDataError,
  type LoadTrainingTensorsOptions,
  type TensorCacheProgress,
  type TensorSplit,
  type TrainingTensors,
} from '../../../../src/core/dataset/tensor-cache'
import { openDatabase, type Db } from '../../../../src/core/store/db'

const S = 8
type Rgb = [number, number, number]

function solid(width: number, height: number, [r, g, b]: Rgb): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
}

/** Raw RGB with each pixel given by `colour(x, y)`. */
function painted(width: number, height: number, colour: (x: number, y: number) => Rgb): Sharp {
  const px = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px.set(colour(x, y), (y * width + x) * 3)
  return sharp(px, { raw: { width, height, channels: 3 } })
}

/** A 16-bit RGB PNG written by hand: sharp's own rgb16 output does not scale 8-bit values up. */
function png16(width: number, height: number, rgb: Rgb): Buffer {
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const out = Buffer.alloc(body.length + 8)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body), body.length + 4)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 16 // bits per sample
  header[9] = 2 // truecolour
  const row = Buffer.alloc(1 + width * 6) // filter byte 0, then big-endian samples
  for (let x = 0; x < width; x++) rgb.forEach((v, k) => row.writeUInt16BE(v, 1 + x * 6 + k * 2))
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(new Array<Buffer>(height).fill(row)))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

/**
 * The test pictures, by file under the imported folder. Label folders are named so that name order
 * ('Mango' < 'apple' < 'zebra', code points) differs from import order.
 */
async function writePictures(root: string): Promise<void> {
  const put = async (rel: string, image: Sharp): Promise<void> => {
    await mkdir(join(root, rel, '..'), { recursive: true })
    await image.toFile(join(root, rel))
  }
  await put('zebra/blue-wide.png', solid(40, 20, [20, 40, 200]).png())
  await writeFile(join(root, 'zebra', 'blue-16bit.png'), png16(20, 40, [20 * 257, 40 * 257, 200 * 257]))
  await put('zebra/grey.jpg', solid(30, 30, [90, 90, 90]).jpeg({ quality: 95 }))
  await put(
    'apple/transparent.png',
    sharp({
      create: { width: 16, height: 16, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    }).png(),
  )
  // stored landscape, left half black: upright (EXIF 6 = turn 90° clockwise) the black half is on top
  await put(
    'apple/rotated.jpg',
    painted(40, 20, (x) => (x < 20 ? [0, 0, 0] : [255, 255, 255]))
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 }),
  )
  // red | green | green | blue quarters: a centre-cropped square at S px sees only green
  await put(
    'Mango/bands.png',
    painted(80, 20, (x) => (x < 20 ? [255, 0, 0] : x < 60 ? [0, 255, 0] : [0, 0, 255])).png(),
  )
  await put('Mango/red.png', solid(12, 12, [250, 10, 10]).png())
  await put('Mango/held-out.png', solid(12, 12, [1, 2, 3]).png())
  await put('loose.png', solid(12, 12, [4, 5, 6]).png())
}

interface Library {
  base: string
  db: Db
  datasetId: number
  cacheDir: string
  /** image id by file name (without folder) */
  ids: Record<string, number>
  load: (options?: Partial<LoadTrainingTensorsOptions>) => Promise<TrainingTensors>
  cleanup: () => Promise<void>
}

/** A real library: pictures on disk, imported, split by SQL (held-out.png stays unassigned). */
async function library(): Promise<Library> {
  const base = await mkdtemp(join(tmpdir(), 'cohort-tensors-'))
  const folder = join(base, 'pictures')
  await writePictures(folder)
  const db = openDatabase(join(base, 'library.sqlite'))
  await importFolder({ db, thumbnailsDir: join(base, 'thumbs') }, { folder, dataset: 'things' })
  const datasetId = db.prepare<[], { id: number }>('SELECT id FROM datasets').get()!.id
  const ids: Record<string, number> = {}
  for (const row of db
    .prepare<[], { id: number; path: string }>('SELECT id, source_path AS path FROM images')
    .all())
    ids[row.path.split('/').pop()!] = row.id
  const setSplit = db.prepare<[string, number]>('UPDATE images SET split = ? WHERE id = ?')
  for (const name of ['blue-wide.png', 'transparent.png', 'bands.png', 'red.png', 'loose.png'])
    setSplit.run('train', ids[name]!)
  for (const name of ['blue-16bit.png', 'rotated.jpg']) setSplit.run('validation', ids[name]!)
  setSplit.run('test', ids['grey.jpg']!)
  const cacheDir = join(base, 'cache')
  return {
    base,
    db,
    datasetId,
    cacheDir,
    ids,
    load: (options = {}) =>
      loadTrainingTensors({ db, cacheDir }, { datasetId, imageSize: S, channels: 3, ...options }),
    cleanup: async () => {
      db.close()
      await rm(base, { recursive: true, force: true })
    },
  }
}

/** The S×S×C frame of image `id` in a split. */
function frameOf(split: TensorSplit, id: number, channels = 3): Uint8Array {
  const i = split.ids.indexOf(id)
  expect(i, `image ${id} in split`).toBeGreaterThanOrEqual(0)
  const frame = S * S * channels
  return split.pixels.subarray(i * frame, (i + 1) * frame)
}

function pixel(frame: Uint8Array, x: number, y: number, channels = 3): number[] {
  const o = (y * S + x) * channels
  return Array.from(frame.subarray(o, o + channels))
}

function everyPixel(frame: Uint8Array, expected: number[], tolerance = 0): void {
  const c = expected.length
  for (let o = 0; o < frame.length; o += c) {
    for (let k = 0; k < c; k++) {
      if (Math.abs(frame[o + k]! - expected[k]!) > tolerance) {
        throw new Error(
          `pixel ${o / c} is [${Array.from(frame.subarray(o, o + c))}], expected [${expected}] ± ${tolerance}`,
        )
      }
    }
  }
}

describe('loadTrainingTensors', () => {
  let lib: Library
  let first: TrainingTensors
  const progress: TensorCacheProgress[] = []

  beforeAll(async () => {
    lib = await library()
    first = await lib.load({ onProgress: (p) => progress.push(p) })
  })
  afterAll(async () => {
    await lib.cleanup()
  })

  it('gives each split its labelled images in content order, with classes in name order', () => {
    const { ids } = lib
    expect(first.classNames).toEqual(['Mango', 'apple', 'zebra'])
    expect([first.imageSize, first.channels]).toEqual([S, 3])
    const hashOf = new Map(
      lib.db
        .prepare<[], { id: number; hash: string }>('SELECT id, hash FROM images')
        .all()
        .map((r) => [r.id, r.hash]),
    )
    const inContentOrder = (names: string[]) =>
      names.map((n) => ids[n]!).sort((a, b) => (hashOf.get(a)! < hashOf.get(b)! ? -1 : 1))
    const train = ['blue-wide.png', 'transparent.png', 'bands.png', 'red.png']
    // ids come from the order an import finished decoding in; content order is the same in every library
    expect(inContentOrder(train)).not.toEqual(train.map((n) => ids[n]!).sort((a, b) => a - b))
    expect(Array.from(first.train.ids)).toEqual(inContentOrder(train))
    expect(Array.from(first.validation.ids)).toEqual(inContentOrder(['blue-16bit.png', 'rotated.jpg']))
    expect(Array.from(first.test.ids)).toEqual([ids['grey.jpg']!])
    const labelOf = (split: TensorSplit, name: string): string =>
      first.classNames[split.labels[split.ids.indexOf(ids[name]!)]!]!
    expect(labelOf(first.train, 'bands.png')).toBe('Mango')
    expect(labelOf(first.train, 'transparent.png')).toBe('apple')
    expect(labelOf(first.train, 'blue-wide.png')).toBe('zebra')
    expect(labelOf(first.test, 'grey.jpg')).toBe('zebra')
    for (const split of [first.train, first.validation, first.test]) {
      expect(split.pixels.length).toBe(split.ids.length * S * S * 3)
      expect(split.labels.length).toBe(split.ids.length)
    }
  })

  it('leaves out unlabelled, unassigned images (the loose file, the held-out one)', () => {
    const all = [first.train, first.validation, first.test].flatMap((s) => Array.from(s.ids))
    expect(all).toHaveLength(7)
    expect(all).not.toContain(lib.ids['loose.png'])
    expect(all).not.toContain(lib.ids['held-out.png'])
  })

  it('keeps a solid colour exact everywhere, also from a 16-bit PNG, and close from a JPEG', async () => {
    const sixteen = lib.db.prepare<[number], { path: string }>(
      'SELECT source_path AS path FROM images WHERE id = ?',
    )
    expect((await sharp(sixteen.get(lib.ids['blue-16bit.png']!)!.path).metadata()).depth).toBe('ushort')
    everyPixel(frameOf(first.train, lib.ids['blue-wide.png']!), [20, 40, 200])
    everyPixel(frameOf(first.train, lib.ids['red.png']!), [250, 10, 10])
    everyPixel(frameOf(first.validation, lib.ids['blue-16bit.png']!), [20, 40, 200])
    everyPixel(frameOf(first.test, lib.ids['grey.jpg']!), [90, 90, 90], 2)
  })

  it('flattens transparency onto white', () => {
    everyPixel(frameOf(first.train, lib.ids['transparent.png']!), [255, 255, 255])
  })

  it('applies the EXIF orientation before cropping', () => {
    const frame = frameOf(first.validation, lib.ids['rotated.jpg']!)
    for (let x = 0; x < S; x++) {
      expect(
        pixel(frame, x, 0).every((v) => v < 30),
        `top row x=${x}`,
      ).toBe(true)
      expect(
        pixel(frame, x, S - 1).every((v) => v > 225),
        `bottom row x=${x}`,
      ).toBe(true)
    }
  })

  it('scales to cover the square and crops the centre, keeping the aspect ratio', () => {
    // squeezing instead of cropping would put red in the first and blue in the last column
    everyPixel(frameOf(first.train, lib.ids['bands.png']!), [0, 255, 0], 3)
  })

  it('reports progress from 0 to all decoded images', () => {
    expect(progress[0]).toEqual({ done: 0, total: 7 })
    expect(progress.at(-1)).toEqual({ done: 7, total: 7 })
    expect(first.cache).toMatchObject({ decoded: 7, reused: 0, dropped: 0, rebuilt: null, skipped: [] })
  })

  it('decodes nothing the second time and leaves the cache file untouched', async () => {
    const file = tensorCacheFile(lib.cacheDir, lib.datasetId, S, 3)
    const before = await stat(file)
    const bytes = await readFile(file)
    const second = await lib.load()
    expect(second.cache).toMatchObject({ decoded: 0, reused: 7, dropped: 0, rebuilt: null })
    expect((await stat(file)).mtimeMs).toBe(before.mtimeMs)
    expect((await readFile(file)).equals(bytes)).toBe(true)
    for (const split of ['train', 'validation', 'test'] as const) {
      expect(second[split].pixels).toEqual(first[split].pixels)
      expect(second[split].labels).toEqual(first[split].labels)
    }
  })

  it('greyscale: one channel per pixel, a grey value kept, colours to distinct single values', async () => {
    const grey = await lib.load({ channels: 1 })
    expect(grey.cache.decoded).toBe(7) // its own file: 3-channel pixels are not reused
    expect(grey.train.pixels.length).toBe(grey.train.ids.length * S * S)
    everyPixel(frameOf(grey.test, lib.ids['grey.jpg']!, 1), [90], 2)
    everyPixel(frameOf(grey.train, lib.ids['transparent.png']!, 1), [255])
    const red = frameOf(grey.train, lib.ids['red.png']!, 1)
    const blue = frameOf(grey.train, lib.ids['blue-wide.png']!, 1)
    everyPixel(red, [red[0]!])
    everyPixel(blue, [blue[0]!])
    expect(red[0]).not.toBe(blue[0])
    expect((await lib.load({ channels: 1 })).cache.decoded).toBe(0)
  })
})

describe('loadTrainingTensors keeps the cache in step with the library', () => {
  let lib: Library

  beforeAll(async () => {
    lib = await library()
    await lib.load()
  })
  afterAll(async () => {
    await lib.cleanup()
  })

  it('relabelling and re-splitting change labels and splits without decoding', async () => {
    const { db, ids } = lib
    const appleId = db.prepare<[], { id: number }>("SELECT id FROM labels WHERE name = 'apple'").get()!.id
    db.prepare('UPDATE images SET label_id = ? WHERE id = ?').run(appleId, ids['red.png'])
    db.prepare("UPDATE images SET split = 'test' WHERE id = ?").run(ids['bands.png'])
    const after = await lib.load()
    expect(after.cache).toMatchObject({ decoded: 0, reused: 7 })
    expect(after.classNames[after.train.labels[after.train.ids.indexOf(ids['red.png']!)]!]).toBe('apple')
    expect(Array.from(after.test.ids)).toContain(ids['bands.png'])
    everyPixel(frameOf(after.test, ids['bands.png']!), [0, 255, 0], 3)
  })

  it('an image moved out of training and back is not decoded again', async () => {
    const { db, ids } = lib
    db.prepare("UPDATE images SET split = 'unassigned' WHERE id = ?").run(ids['grey.jpg'])
    expect((await lib.load()).cache).toMatchObject({ decoded: 0, dropped: 0, reused: 6 })
    db.prepare("UPDATE images SET split = 'test' WHERE id = ?").run(ids['grey.jpg'])
    expect((await lib.load()).cache).toMatchObject({ decoded: 0, reused: 7 })
  })

  it('decodes only an added image and drops a deleted one', async () => {
    const { db, base } = lib
    const extra = join(base, 'more')
    await mkdir(join(extra, 'zebra'), { recursive: true })
    await solid(10, 10, [7, 77, 177])
      .png()
      .toFile(join(extra, 'zebra', 'new.png'))
    await importFolder({ db, thumbnailsDir: join(base, 'thumbs') }, { folder: extra, dataset: 'things' })
    const added = db
      .prepare<[], { id: number }>("SELECT id FROM images WHERE source_path LIKE '%new.png'")
      .get()!.id
    db.prepare("UPDATE images SET split = 'train' WHERE id = ?").run(added)
    const grown = await lib.load()
    expect(grown.cache).toMatchObject({ decoded: 1, reused: 7, dropped: 0 })
    everyPixel(frameOf(grown.train, added), [7, 77, 177])

    db.prepare('DELETE FROM images WHERE id = ?').run(lib.ids['red.png'])
    const shrunk = await lib.load()
    expect(shrunk.cache).toMatchObject({ decoded: 0, reused: 7, dropped: 1 })
    expect(Array.from(shrunk.train.ids)).not.toContain(lib.ids['red.png'])
    expect((await lib.load()).cache).toMatchObject({ decoded: 0, dropped: 0 })
  })

  it('rebuilds a truncated cache file, and one whose pixels were altered', async () => {
    const file = tensorCacheFile(lib.cacheDir, lib.datasetId, S, 3)
    const good = await readFile(file)
    await writeFile(file, good.subarray(0, good.length - 5))
    const fromTruncated = await lib.load()
    expect(fromTruncated.cache.rebuilt).toMatch(/bytes of pixels where 7 images need/)
    expect(fromTruncated.cache).toMatchObject({ decoded: 7, reused: 0 })
    expect((await readFile(file)).equals(good)).toBe(true)

    const flipped = Buffer.from(good)
    flipped[flipped.length - 1]! ^= 0xff
    await writeFile(file, flipped)
    expect((await lib.load()).cache).toMatchObject({
      rebuilt: 'pixels do not match their checksum',
      decoded: 7,
    })

    await writeFile(file, 'garbage')
    expect((await lib.load()).cache).toMatchObject({ rebuilt: 'not a tensor cache file', decoded: 7 })
    expect((await lib.load()).cache).toMatchObject({ rebuilt: null, decoded: 0 })
  })

  it('fails listing an uncached image whose file is gone, or skips it on request; cached ones need no file', async () => {
    const { ids } = lib
    const paths = lib.db
      .prepare<[], { id: number; path: string }>('SELECT id, source_path AS path FROM images')
      .all()
    const pathOf = (id: number): string => paths.find((p) => p.id === id)!.path
    await clearTensorCache(lib.cacheDir, lib.datasetId)
    // transparent.png is cached first, then its file goes: it must still load from the cache
    await lib.load()
    await unlink(pathOf(ids['transparent.png']!))
    expect((await lib.load()).cache.decoded).toBe(0)

    expect(await clearTensorCache(lib.cacheDir, lib.datasetId)).toBe(1)
    const error = await lib.load().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TrainingDataError)
    const e = error as TrainingDataError
    expect(e.code).toBe('unreadable-images')
    expect(e.message).toContain(
      `1 image of dataset 'things' cannot be read for training: ${pathOf(ids['transparent.png']!)} (the file no longer exists)`,
    )
    expect(e.images).toEqual([
      {
        id: ids['transparent.png'],
        path: pathOf(ids['transparent.png']!),
        reason: 'the file no longer exists',
      },
    ])
    // everything else was decoded and saved before failing
    const skipped = await lib.load({ unreadable: 'skip' })
    expect(skipped.cache).toMatchObject({ decoded: 0, reused: 6 })
    expect(skipped.cache.skipped.map((s) => s.id)).toEqual([ids['transparent.png']])
    expect(Array.from(skipped.train.ids)).not.toContain(ids['transparent.png'])
    // an edited file is refused too: its pixels would be filed under the old bytes' hash
    await solid(12, 12, [0, 0, 0]).png().toFile(pathOf(ids['transparent.png']!))
    await expect(lib.load()).rejects.toThrow(/has changed since it was imported/)
  })
})

describe('loadTrainingTensors cancellation and bad requests', () => {
  let lib: Library

  beforeAll(async () => {
    lib = await library()
  })
  afterAll(async () => {
    await lib.cleanup()
  })

  it('stops at once when already cancelled', async () => {
    const error = await lib.load({ signal: AbortSignal.abort() }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'TrainingDataError', code: 'cancelled' })
    await expect(stat(tensorCacheFile(lib.cacheDir, lib.datasetId, S, 3))).rejects.toThrow()
  })

  it('stops taking images when cancelled midway, keeps what it decoded, and resumes from there', async () => {
    const controller = new AbortController()
    const error = await lib
      .load({
        signal: controller.signal,
        concurrency: 1,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.done === 2) controller.abort()
        },
      })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'cancelled' })
    const resumed = await lib.load()
    expect(resumed.cache).toMatchObject({ reused: 2, decoded: 5 })
  })

  it('refuses bad sizes, channels and datasets with a clear sentence', async () => {
    const { db, cacheDir, datasetId } = lib
    await expect(lib.load({ imageSize: 2 })).rejects.toThrow(
      /image size must be a whole number of pixels from 4 to 1024, not 2/,
    )
    await expect(lib.load({ imageSize: 8.5 })).rejects.toThrow(TrainingDataError)
    await expect(lib.load({ channels: 2 as 3 })).rejects.toThrow(
      /1 \(greyscale\) or 3 \(colour\) channels, not 2/,
    )
    await expect(
      loadTrainingTensors({ db, cacheDir }, { datasetId: 999, imageSize: S, channels: 3 }),
    ).rejects.toThrow(/No dataset with id 999/)
    db.prepare("UPDATE images SET split = 'unassigned' WHERE dataset_id = ?").run(datasetId)
    await expect(lib.load()).rejects.toThrow(/has no labelled images in the train, validation or test split/)
  })
})

describe('datasetStatistics', () => {
  it('gives per-channel mean and std in [0, 1] units', () => {
    const grey = datasetStatistics(new Uint8Array([0, 255, 0, 255]), 1)
    expect(grey.mean[0]).toBeCloseTo(0.5, 12)
    expect(grey.std[0]).toBeCloseTo(0.5, 12)
    // pixel 1 = (0, 51, 255), pixel 2 = (255, 51, 255)
    const rgb = datasetStatistics(new Uint8Array([0, 51, 255, 255, 51, 255]), 3)
    expect(rgb.mean[0]).toBeCloseTo(0.5, 12)
    expect(rgb.mean[1]).toBeCloseTo(0.2, 12)
    expect(rgb.mean[2]).toBeCloseTo(1, 12)
    expect(rgb.std[0]).toBeCloseTo(0.5, 12)
    // constant channels get std 1, so normalising never divides by zero
    expect(rgb.std.slice(1)).toEqual([1, 1])
  })

  it('matches the direct formula on random pixels', () => {
    const px = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919 + ((i * i) % 251)) % 256)
    const stats = datasetStatistics(px, 3)
    for (let c = 0; c < 3; c++) {
      const values = Array.from(
        px.filter((_, i) => i % 3 === c),
        (v) => v / 255,
      )
      const mean = values.reduce((a, b) => a + b, 0) / values.length
      const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length)
      expect(stats.mean[c]).toBeCloseTo(mean, 10)
      expect(stats.std[c]).toBeCloseTo(std, 10)
    }
  })

  it('refuses empty or ragged pixels', () => {
    expect(() => datasetStatistics(new Uint8Array(0), 1)).toThrow(/non-empty/)
    expect(() => datasetStatistics(new Uint8Array(4), 3)).toThrow(/3-channel pixels; got 4 values/)
  })
})
