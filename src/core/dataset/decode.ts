import { setImmediate as nextTurn } from 'node:timers/promises'
import sharp, { type Metadata, type Sharp } from 'sharp'
import type { RejectReason } from '../../shared/types'
import { REJECT_MESSAGES } from '../../shared/types'

/** Larger images are refused before any pixel is decoded: a 50000×50000 "bomb" would need gigabytes. */
export const DEFAULT_MAX_PIXELS = 100_000_000
/**
 * BMPs are unpacked in JavaScript (libvips has no BMP loader), on the thread that imports: 3 bytes of memory
 * and tens of nanoseconds per pixel. A 12.5 MB 1-bit BMP declares 100 megapixels, so BMPs get a lower limit.
 */
export const MAX_BMP_PIXELS = 25_000_000
/** Pixels unpacked between yields to the event loop (a few milliseconds of work). */
const BMP_PIXELS_PER_TURN = 1 << 16

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'heif' | 'bmp'

/** A file that cannot become an image of the library, with the reason a person can act on. */
export class ImageRejectedError extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {
    super(`${REJECT_MESSAGES[reason]}: ${detail}`)
    this.name = 'ImageRejectedError'
  }
}

export interface DecodeOptions {
  maxPixels?: number
}

export interface DecodedImage<T> extends ImageFacts {
  /** whatever `render` produced from the fully decoded, upright image */
  output: T
}

/**
 * Recognises the container from its first bytes. Trusting the bytes rather than the file name means a
 * renamed file is still read and a text file called `cat.jpg` is refused as 'not-an-image'; it also lets a
 * decode failure of a recognised format be reported as 'corrupt' rather than 'not-an-image'.
 */
export function sniffFormat(bytes: Buffer): ImageFormat | 'svg' | 'heic' | null {
  const b = bytes
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'png'
  if (b.length >= 6 && b.toString('latin1', 0, 4) === 'GIF8') return 'gif'
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP')
    return 'webp'
  if (b.length >= 4 && (b.toString('latin1', 0, 4) === 'II*\0' || b.toString('latin1', 0, 4) === 'MM\0*'))
    return 'tiff'
  if (b.length >= 14 && b.toString('latin1', 0, 2) === 'BM') return 'bmp'
  if (b.length >= 12 && b.toString('latin1', 4, 8) === 'ftyp') {
    const brand = b.toString('latin1', 8, 12)
    if (brand === 'avif' || brand === 'avis') return 'avif'
    if (brand === 'heic' || brand === 'heix' || brand === 'hevc' || brand === 'hevx') return 'heic'
    if (brand === 'mif1' || brand === 'msf1') return 'heif'
  }
  const head = b.toString('utf8', 0, Math.min(b.length, 512)).trimStart()
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg'
  return null
}

export interface ImageFacts {
  format: ImageFormat
  /** after EXIF orientation */
  width: number
  height: number
}

/**
 * Reads only the header: format and upright size, with every refusal that needs no pixels (empty, unknown,
 * SVG, HEIC, over the pixel limit). Enough on its own when these exact bytes were fully decoded before.
 */
export async function inspectImage(bytes: Buffer, options: DecodeOptions = {}): Promise<ImageFacts> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS
  if (bytes.length === 0) throw new ImageRejectedError('empty', '0 bytes')
  const sniffed = sniffFormat(bytes)
  if (sniffed === null)
    throw new ImageRejectedError('not-an-image', 'the content is not a known image format')
  if (sniffed === 'svg') {
    // vector drawings may reference external files and render at any size: not a photo to learn from
    throw new ImageRejectedError('not-an-image', 'SVG drawings are not imported; export them as PNG')
  }
  if (sniffed === 'heic') throw heicRejection()
  if (sniffed === 'bmp') {
    const header = readBmpHeader(bytes)
    checkPixels(header.width, header.height, Math.min(maxPixels, MAX_BMP_PIXELS), 'BMP files are')
    return { format: 'bmp', width: header.width, height: header.height }
  }
  let meta: Metadata
  try {
    // the header only; the pixel limit is checked below with a clearer message than libvips gives
    meta = await sharp(bytes, { limitInputPixels: false }).metadata()
  } catch (err) {
    throw new ImageRejectedError('corrupt', `unreadable ${sniffed} header (${firstLine(err)})`)
  }
  const width = meta.width ?? 0
  const height = meta.height ?? 0
  checkPixels(width, height, maxPixels)
  if (meta.compression === 'hevc') throw heicRejection()
  const format: ImageFormat = sniffed === 'heif' && meta.compression === 'av1' ? 'avif' : sniffed
  return (meta.orientation ?? 1) >= 5 ? { format, width: height, height: width } : { format, width, height }
}

/**
 * Decodes every pixel of an image (so truncated or corrupt data is caught, not just a valid header), applies
 * the EXIF orientation and hands the upright image to `render` (e.g. the thumbnail encoder).
 * Throws ImageRejectedError for anything that is not a readable image within the pixel limit.
 */
export async function decodeImage<T>(
  bytes: Buffer,
  render: (upright: Sharp) => Promise<T>,
  options: DecodeOptions = {},
): Promise<DecodedImage<T>> {
  const facts = await inspectImage(bytes, options)
  try {
    const image =
      facts.format === 'bmp'
        ? sharp(await unpackBmp(bytes, readBmpHeader(bytes)), {
            raw: { width: facts.width, height: facts.height, channels: 3 },
          })
        : sharp(bytes, {
            failOn: 'truncated',
            limitInputPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
            animated: false,
          }).rotate()
    return { ...facts, output: await render(image) }
  } catch (err) {
    throw classifyDecodeError(err, facts.format)
  }
}

function heicRejection(): ImageRejectedError {
  return new ImageRejectedError(
    'not-an-image',
    'HEIC (HEVC) photos cannot be decoded here; convert them to JPEG',
  )
}

function checkPixels(width: number, height: number, maxPixels: number, whose = 'the limit is'): void {
  if (width <= 0 || height <= 0) throw new ImageRejectedError('corrupt', `invalid size ${width} × ${height}`)
  if (width * height > maxPixels) {
    const limit = whose === 'the limit is' ? 'the limit is' : `${whose} limited to`
    throw new ImageRejectedError(
      'too-many-pixels',
      `${width} × ${height} is ${megapixels(width * height)} megapixels, ${limit} ${megapixels(maxPixels)}`,
    )
  }
}

function classifyDecodeError(err: unknown, format: string): ImageRejectedError {
  if (err instanceof ImageRejectedError) return err
  const message = firstLine(err)
  if (/pixel limit/i.test(message)) return new ImageRejectedError('too-many-pixels', message)
  return new ImageRejectedError('corrupt', `${format}: ${message}`)
}

function megapixels(pixels: number): string {
  return String(Math.round(pixels / 1e5) / 10)
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return message.split('\n')[0] ?? message
}

// libvips as shipped with sharp has no BMP loader, so uncompressed BMPs are unpacked here.
interface BmpHeader {
  width: number
  height: number
  topDown: boolean
  bitsPerPixel: number
  pixelOffset: number
  palette: Buffer
  paletteEntrySize: number
}

function readBmpHeader(bytes: Buffer): BmpHeader {
  if (bytes.length < 26) throw new ImageRejectedError('corrupt', 'bmp: the header is truncated')
  const pixelOffset = bytes.readUInt32LE(10)
  const dibSize = bytes.readUInt32LE(14)
  let width: number
  let rawHeight: number
  let bitsPerPixel: number
  let compression = 0
  let colorsUsed = 0
  if (dibSize === 12) {
    width = bytes.readUInt16LE(18)
    rawHeight = bytes.readInt16LE(20)
    bitsPerPixel = bytes.readUInt16LE(24)
  } else if (dibSize >= 40 && bytes.length >= 54) {
    width = bytes.readInt32LE(18)
    rawHeight = bytes.readInt32LE(22)
    bitsPerPixel = bytes.readUInt16LE(28)
    compression = bytes.readUInt32LE(30)
    colorsUsed = bytes.readUInt32LE(46)
  } else {
    throw new ImageRejectedError('corrupt', `bmp: unknown header size ${dibSize}`)
  }
  // BI_BITFIELDS with 32 bits is laid out like plain 32-bit BGRX in practice (the default masks)
  const plain = compression === 0 || (compression === 3 && bitsPerPixel === 32)
  if (!plain || ![1, 4, 8, 24, 32].includes(bitsPerPixel)) {
    throw new ImageRejectedError(
      'not-an-image',
      `bmp with ${bitsPerPixel} bits per pixel and compression ${compression} is not supported; save it as PNG`,
    )
  }
  const paletteEntrySize = dibSize === 12 ? 3 : 4
  const paletteStart = 14 + dibSize
  const paletteCount = bitsPerPixel <= 8 ? colorsUsed || 2 ** bitsPerPixel : 0
  const palette = bytes.subarray(
    paletteStart,
    Math.min(bytes.length, paletteStart + paletteCount * paletteEntrySize),
  )
  return {
    width,
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    bitsPerPixel,
    pixelOffset,
    palette,
    paletteEntrySize,
  }
}

/** Unpacks to RGB, yielding to the event loop every BMP_PIXELS_PER_TURN pixels so the app stays responsive. */
async function unpackBmp(bytes: Buffer, h: BmpHeader): Promise<Buffer> {
  const stride = Math.floor((h.bitsPerPixel * h.width + 31) / 32) * 4
  if (h.pixelOffset + stride * h.height > bytes.length) {
    throw new ImageRejectedError('corrupt', 'bmp: the pixel data is truncated')
  }
  // not Buffer.alloc: zero-filling tens of megabytes at once would block as long as the unpacking itself;
  // every byte is written below
  const out = Buffer.allocUnsafe(h.width * h.height * 3)
  // palette as RGB triples; indices past the palette stay black
  const lut = new Uint8Array(256 * 3)
  const paletteSize = Math.min(256, Math.floor(h.palette.length / h.paletteEntrySize))
  for (let i = 0; i < paletteSize; i++) {
    const p = i * h.paletteEntrySize
    lut[i * 3] = h.palette[p + 2]!
    lut[i * 3 + 1] = h.palette[p + 1]!
    lut[i * 3 + 2] = h.palette[p]!
  }
  const bpp = h.bitsPerPixel
  const mask = (1 << Math.min(bpp, 8)) - 1
  let sinceYield = 0
  for (let y = 0; y < h.height; y++) {
    sinceYield += h.width
    if (sinceYield >= BMP_PIXELS_PER_TURN) {
      sinceYield = 0
      await nextTurn()
    }
    const row = h.pixelOffset + stride * (h.topDown ? y : h.height - 1 - y)
    let o = y * h.width * 3
    if (bpp >= 24) {
      const step = bpp / 8
      for (let x = 0, p = row; x < h.width; x++, p += step, o += 3) {
        out[o] = bytes[p + 2]!
        out[o + 1] = bytes[p + 1]!
        out[o + 2] = bytes[p]!
      }
    } else {
      for (let x = 0, bit = 0; x < h.width; x++, bit += bpp, o += 3) {
        const l = ((bytes[row + (bit >> 3)]! >> (8 - bpp - (bit & 7))) & mask) * 3
        out[o] = lut[l]!
        out[o + 1] = lut[l + 1]!
        out[o + 2] = lut[l + 2]!
      }
    }
  }
  return out
}
