import sharp, { type Sharp } from 'sharp'
import { describe, expect, it } from 'vitest'
import {
  decodeImage,
  ImageRejectedError,
  inspectImage,
  sniffFormat,
} from '../../../../src/core/dataset/decode'
import { renderThumbnail } from '../../../../src/core/dataset/thumbnails'
import { encodeBmp, noise, oneBitBmp, pngDeclaring, rawImage } from '../../../helpers/messy-folder'

const toRaw = (image: Sharp) => image.raw().toBuffer()

async function rejection(promise: Promise<unknown>): Promise<ImageRejectedError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ImageRejectedError)
  return err as ImageRejectedError
}

describe('sniffFormat', () => {
  it('recognises containers by their bytes, not their names', async () => {
    const image = rawImage(8, 8, 3, 1)
    expect(sniffFormat(await image.clone().jpeg().toBuffer())).toBe('jpeg')
    expect(sniffFormat(await image.clone().png().toBuffer())).toBe('png')
    expect(sniffFormat(await image.clone().webp().toBuffer())).toBe('webp')
    expect(sniffFormat(await image.clone().gif().toBuffer())).toBe('gif')
    expect(sniffFormat(await image.clone().tiff().toBuffer())).toBe('tiff')
    expect(sniffFormat(await image.clone().avif({ effort: 0 }).toBuffer())).toBe('avif')
    expect(sniffFormat(encodeBmp(noise(4, 4, 3, 1), 4, 4, 24))).toBe('bmp')
    expect(sniffFormat(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe(
      'svg',
    )
    expect(sniffFormat(Buffer.from('hello'))).toBeNull()
  })
})

describe('decodeImage', () => {
  it('applies EXIF orientation to the reported size and to the output', async () => {
    const bytes = await rawImage(40, 20, 3, 2).jpeg().withMetadata({ orientation: 6 }).toBuffer()
    const decoded = await decodeImage(bytes, (img) => img.toBuffer({ resolveWithObject: true }))
    expect([decoded.format, decoded.width, decoded.height]).toEqual(['jpeg', 20, 40])
    expect([decoded.output.info.width, decoded.output.info.height]).toEqual([20, 40])
  })

  it('takes the first frame of an animated GIF', async () => {
    const frame = (background: string) =>
      sharp({ create: { width: 10, height: 6, channels: 3, background } })
        .png()
        .toBuffer()
    const gif = await sharp([await frame('#ff0000'), await frame('#0000ff')], { join: { animated: true } })
      .gif()
      .toBuffer()
    const decoded = await decodeImage(gif, (img) =>
      img.removeAlpha().raw().toBuffer({ resolveWithObject: true }),
    )
    expect([decoded.format, decoded.width, decoded.height]).toEqual(['gif', 10, 6])
    expect([decoded.output.info.width, decoded.output.info.height]).toEqual([10, 6])
    expect([...decoded.output.data.subarray(0, 3)]).toEqual([255, 0, 0])
  })

  it('decodes 24-bit and 8-bit BMPs pixel for pixel', async () => {
    const rgb = noise(13, 7, 3, 3)
    const bmp24 = await decodeImage(encodeBmp(rgb, 13, 7, 24), toRaw)
    expect([bmp24.format, bmp24.width, bmp24.height]).toEqual(['bmp', 13, 7])
    expect(bmp24.output.equals(rgb)).toBe(true)
    const grey = noise(9, 5, 1, 4)
    const bmp8 = await decodeImage(encodeBmp(grey, 9, 5, 8), toRaw)
    const expected = Buffer.alloc(9 * 5 * 3)
    grey.forEach((v, i) => expected.fill(v, i * 3, i * 3 + 3))
    expect(bmp8.output.equals(expected)).toBe(true)
  })

  it('rejects a truncated JPEG as corrupt even though its header is valid', async () => {
    const whole = await rawImage(64, 64, 3, 5).jpeg().toBuffer()
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.6))
    expect((await inspectImage(truncated)).width).toBe(64) // the header alone looks fine
    const err = await rejection(decodeImage(truncated, renderThumbnail))
    expect(err.reason).toBe('corrupt')
    expect(err.message).toMatch(/truncated or corrupt/)
  })

  it('rejects a truncated BMP and a compressed BMP with specific reasons', async () => {
    const bmp = encodeBmp(noise(10, 10, 3, 6), 10, 10, 24)
    expect((await rejection(decodeImage(bmp.subarray(0, 200), toRaw))).reason).toBe('corrupt')
    const rle = Buffer.from(bmp)
    rle.writeUInt32LE(1, 30)
    const err = await rejection(decodeImage(rle, toRaw))
    expect([err.reason, err.detail]).toEqual(['not-an-image', expect.stringMatching(/compression 1/)])
  })

  it('refuses a small file declaring 50000×50000 quickly, without decoding', async () => {
    const started = performance.now()
    const err = await rejection(decodeImage(pngDeclaring(50_000, 50_000), renderThumbnail))
    expect(err.reason).toBe('too-many-pixels')
    expect(err.detail).toMatch(/50000 × 50000 is 2500 megapixels, the limit is 100/)
    expect(performance.now() - started).toBeLessThan(500)
    const bigBmp = encodeBmp(Buffer.alloc(0), 1, 1, 24)
    bigBmp.writeInt32LE(20_000, 18)
    bigBmp.writeInt32LE(-20_000, 22)
    expect((await rejection(inspectImage(bigBmp))).reason).toBe('too-many-pixels')
  })

  it('refuses a 12.5 MB 1-bit BMP of 100 megapixels at once: BMPs are unpacked in JavaScript', async () => {
    const started = performance.now()
    const err = await rejection(decodeImage(oneBitBmp(10_000, 10_000), renderThumbnail))
    expect([err.reason, err.detail]).toEqual([
      'too-many-pixels',
      '10000 × 10000 is 100 megapixels, BMP files are limited to 25',
    ])
    expect(performance.now() - started).toBeLessThan(500)
  })

  it('keeps the event loop responsive while it unpacks a large BMP', async () => {
    const bytes = oneBitBmp(6000, 4000)
    let worst = 0
    let last = performance.now()
    const timer = setInterval(() => {
      const now = performance.now()
      worst = Math.max(worst, now - last)
      last = now
    }, 10)
    try {
      const decoded = await decodeImage(bytes, renderThumbnail)
      expect([decoded.width, decoded.height]).toEqual([6000, 4000])
    } finally {
      clearInterval(timer)
    }
    // the whole unpack takes a second or more on a busy machine; no single turn may hold the loop that long
    expect(worst).toBeLessThan(200)
  })

  it('honours a custom pixel limit', async () => {
    const bytes = await rawImage(20, 20, 3, 7).png().toBuffer()
    expect((await rejection(inspectImage(bytes, { maxPixels: 399 }))).reason).toBe('too-many-pixels')
    expect((await inspectImage(bytes, { maxPixels: 400 })).width).toBe(20)
  })

  it('refuses empty files, text, SVG and HEIC with specific reasons', async () => {
    expect((await rejection(decodeImage(Buffer.alloc(0), toRaw))).reason).toBe('empty')
    expect((await rejection(decodeImage(Buffer.from('just text'), toRaw))).reason).toBe('not-an-image')
    const svg = await rejection(decodeImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), toRaw))
    expect([svg.reason, svg.detail]).toEqual(['not-an-image', expect.stringMatching(/SVG/)])
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(16)])
    expect((await rejection(decodeImage(heic, toRaw))).detail).toMatch(/HEIC/)
  })
})
