import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  decodeIdx,
  IdxError,
  parseIdx,
  readFashionMnist,
  readIdxFile,
} from '../../../../src/core/dataset/idx'

/** An IDX file by hand: 00 00, type, rank, big-endian dims, then the values. */
function idx(dims: number[], values: number[], type = 0x08): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length)
  header[2] = type
  header[3] = dims.length
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i))
  return Buffer.concat([header, Buffer.from(values)])
}

describe('IDX reader', () => {
  const tiny = idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255])
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cohort-idx-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('parses dims and row-major values of a plain buffer', () => {
    const { dims, data } = parseIdx(tiny)
    expect(dims).toEqual([2, 2, 3])
    expect(Array.from(data)).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255])
  })

  it('parses a 1-d label vector', () => {
    expect(parseIdx(idx([4], [9, 0, 3, 7]))).toEqual({ dims: [4], data: new Uint8Array([9, 0, 3, 7]) })
  })

  it('reads gzipped and plain files alike, by content', async () => {
    await writeFile(join(dir, 'tiny.gz'), gzipSync(tiny))
    await writeFile(join(dir, 'tiny-plain.gz'), tiny) // a misleading name changes nothing
    const gz = await readIdxFile(join(dir, 'tiny.gz'))
    const plain = await readIdxFile(join(dir, 'tiny-plain.gz'))
    expect(gz.dims).toEqual([2, 2, 3])
    expect(Array.from(gz.data)).toEqual(Array.from(plain.data))
  })

  it('refuses a bad magic number', () => {
    const bad = Buffer.from(tiny)
    bad[0] = 0x50
    expect(() => parseIdx(bad, 'x.idx')).toThrow(IdxError)
    expect(() => parseIdx(bad, 'x.idx')).toThrow(/x\.idx is not an IDX file: it starts with 50 00 08 03/)
  })

  it('refuses value types other than unsigned bytes, naming the type', () => {
    expect(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d))).toThrow(/float values; only unsigned bytes/)
    expect(() => parseIdx(idx([1], [0], 0x42))).toThrow(/unknown type 0x42/)
  })

  it('refuses truncated data, a truncated header and extra bytes', () => {
    expect(() => parseIdx(tiny.subarray(0, tiny.length - 1))).toThrow(
      /truncated: its header declares 2 × 2 × 3 = 12 values but only 11 bytes follow/,
    )
    expect(() => parseIdx(tiny.subarray(0, 9))).toThrow(/truncated: its header declares 3 dimensions/)
    expect(() => parseIdx(Buffer.concat([tiny, Buffer.from([1, 2])]))).toThrow(/2 bytes more than its header/)
    expect(() => parseIdx(Buffer.from([0, 0]))).toThrow(/too short/)
  })

  it('refuses a truncated gzip stream', async () => {
    const gz = gzipSync(tiny)
    await expect(decodeIdx(gz.subarray(0, gz.length - 6), 'cut.gz')).rejects.toThrow(
      /cut\.gz is a damaged or truncated gzip file/,
    )
  })

  it('names a missing file', async () => {
    await expect(readIdxFile(join(dir, 'nope.gz'))).rejects.toThrow(/nope\.gz: the file does not exist/)
  })

  it('says how to install Fashion-MNIST when its folder is empty', async () => {
    await expect(readFashionMnist(dir)).rejects.toThrow(/Install the Debian package dataset-fashion-mnist/)
  })

  it('checks that Fashion-MNIST images and labels fit together', async () => {
    const fake = join(dir, 'fake')
    await mkdir(fake)
    const twoImages = idx([2, 28, 28], new Array<number>(2 * 28 * 28).fill(7))
    await writeFile(join(fake, 'train-images-idx3-ubyte'), twoImages)
    await writeFile(join(fake, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([3], [0, 1, 2])))
    await writeFile(join(fake, 't10k-images-idx3-ubyte'), twoImages)
    await writeFile(join(fake, 't10k-labels-idx1-ubyte'), idx([2], [0, 10]))
    await expect(readFashionMnist(fake)).rejects.toThrow(/has shape 3 but there are 2 images/)
    await writeFile(join(fake, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([2], [0, 9])))
    await expect(readFashionMnist(fake)).rejects.toThrow(/gives image 1 the class 10/)
    await writeFile(join(fake, 't10k-labels-idx1-ubyte'), idx([2], [3, 4]))
    const data = await readFashionMnist(fake)
    expect(data.train.images.length).toBe(2 * 28 * 28)
    expect(Array.from(data.test.labels)).toEqual([3, 4])
    expect(data.classNames[0]).toBe('T-shirt/top')
  })
})
