import { execFileSync } from 'node:child_process'
import { mkdir, open, symlink, writeFile } from 'node:fs/promises'
import { deflateSync } from 'node:zlib'
import { dirname, join } from 'node:path'
import sharp from 'sharp'

/** Deterministic noise so every generated image has its own bytes (and its own hash). */
export function noise(width: number, height: number, channels: 1 | 3 | 4, seed: number): Buffer {
  const out = Buffer.alloc(width * height * channels)
  let s = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    out[i] = ((s >>> 0) & 0xff) ^ ((i / channels) % 256)
  }
  return out
}

export function rawImage(width: number, height: number, channels: 1 | 3 | 4, seed: number) {
  return sharp(noise(width, height, channels, seed), { raw: { width, height, channels } })
}

/** An uncompressed BMP, bottom-up, 24-bit BGR or 8-bit with a grey palette (libvips cannot write BMP). */
export function encodeBmp(pixels: Buffer, width: number, height: number, bits: 24 | 8): Buffer {
  const stride = Math.floor((bits * width + 31) / 32) * 4
  const paletteBytes = bits === 8 ? 256 * 4 : 0
  const offset = 14 + 40 + paletteBytes
  const out = Buffer.alloc(offset + stride * height)
  out.write('BM', 0, 'latin1')
  out.writeUInt32LE(out.length, 2)
  out.writeUInt32LE(offset, 10)
  out.writeUInt32LE(40, 14)
  out.writeInt32LE(width, 18)
  out.writeInt32LE(height, 22)
  out.writeUInt16LE(1, 26)
  out.writeUInt16LE(bits, 28)
  for (let i = 0; i < paletteBytes / 4; i++) out.fill(i, 54 + i * 4, 54 + i * 4 + 3)
  for (let y = 0; y < height; y++) {
    const row = offset + stride * (height - 1 - y)
    for (let x = 0; x < width; x++) {
      if (bits === 8) out[row + x] = pixels[y * width + x]!
      else {
        const p = (y * width + x) * 3
        out[row + x * 3] = pixels[p + 2]!
        out[row + x * 3 + 1] = pixels[p + 1]!
        out[row + x * 3 + 2] = pixels[p]!
      }
    }
  }
  return out
}

function crc32(buf: Buffer): number {
  let crc = 0xffffffff
  for (const byte of buf) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([length, body, crc])
}

/** A valid, tiny PNG whose header declares width × height: a decompression bomb if decoded. */
export function pngDeclaring(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8
  ihdr[9] = 2
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(4096))),
    pngChunk('IEND', Buffer.alloc(0)),
  ])
}

/** What importing the messy folder must report, written out by hand from the tree below. */
export const MESSY_EXPECTED = {
  imported: 22,
  duplicates: 3,
  skipped: 11,
  classes: { birds: 3, cats: 15, dogs: 2 },
  unlabelled: 2,
  conflicts: [
    { path: 'birds/loose1-again.jpg', existingLabel: null, newLabel: 'birds' },
    { path: 'dogs/from-cats.jpg', existingLabel: 'cats', newLabel: 'dogs' },
  ],
  rejected: {
    'outside-link.jpg': 'outside-symlink',
    'dogs/outside-dir': 'outside-symlink',
    'dogs/truncated.jpg': 'corrupt',
    'dogs/flipped.png': 'corrupt',
    'dogs/truncated.tiff': 'corrupt',
    'dogs/notes.jpg': 'not-an-image',
    'dogs/drawing.svg': 'not-an-image',
    'dogs/empty.jpg': 'empty',
    'dogs/bomb.png': 'too-many-pixels',
    'dogs/huge.jpg': 'too-large',
    'dogs/pipe.jpg': 'unreadable',
    'dogs/broken.jpg': 'unreadable',
  },
  /** relative path → upright width × height */
  sizes: {
    'cats/rotated.jpg': [20, 40],
    'cats/wide.png': [4000, 3],
    'cats/one-pixel.png': [1, 1],
    'cats/cat24.bmp': [13, 7],
  },
} as const

export interface MessyFolder {
  root: string
  outside: string
}

/**
 * Builds, under `base`, a folder as people really have them: every format, odd names, nested folders,
 * loose files, duplicates within and across labels, broken and hostile files, system files, a symlink
 * loop and symlinks leading outside. `base/outside` holds what the outside links point to.
 */
export async function createMessyFolder(base: string): Promise<MessyFolder> {
  const root = join(base, 'messy')
  const outside = join(base, 'outside')
  const put = async (rel: string, data: Buffer | string): Promise<string> => {
    const file = join(root, rel)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, data)
    return file
  }
  let seed = 1
  const jpeg = (w = 30, h = 20) => rawImage(w, h, 3, seed++).jpeg({ quality: 85 }).toBuffer()
  const png = (w = 30, h = 20, channels: 1 | 3 | 4 = 3) => rawImage(w, h, channels, seed++).png().toBuffer()

  await mkdir(outside, { recursive: true })
  await writeFile(join(outside, 'secret.jpg'), await jpeg())

  // root: two loose (unlabelled) images, system files, a hidden folder of originals, an outside link
  const loose1 = await jpeg()
  await put('loose1.jpg', loose1)
  await put('loose2.png', await png())
  await put('.DS_Store', 'Bud1')
  await put('Thumbs.db', 'thumbs')
  await put('desktop.ini', '[.ShellClassInfo]')
  await put('readme.txt', 'my photos')
  await put('.originals/bird2.png', await png())
  await put('.originals/album/bird3.jpg', await jpeg())
  await put('__MACOSX/cats/._cat1.jpg', 'AppleDouble')
  await symlink(join(outside, 'secret.jpg'), join(root, 'outside-link.jpg'))

  // birds: followed symlinks (a file and a folder) into the hidden originals, and an unlabelled image again
  await put('birds/bird.jpg', await jpeg())
  await symlink('../.originals/bird2.png', join(root, 'birds/bird2.png'))
  await symlink('../.originals/album', join(root, 'birds/album'))
  await put('birds/loose1-again.jpg', loose1)

  // cats: every format and odd names, a duplicate and a symlink to it, a loop back to the root
  const cat1 = await jpeg()
  await put('cats/cat1-copy.jpg', cat1)
  await put('cats/cat1.jpg', cat1)
  await symlink('cat1.jpg', join(root, 'cats/cat-link.jpg'))
  await put('cats/cat with spaces.png', await png(24, 24, 4))
  await put(`cats/chat l'été "quoted".webp`, await rawImage(30, 20, 3, seed++).webp().toBuffer())
  await put('cats/猫🐱.gif', await rawImage(30, 20, 3, seed++).gif().toBuffer())
  await put('cats/cat.tiff', await rawImage(30, 20, 3, seed++).tiff().toBuffer())
  await put('cats/cat.avif', await rawImage(32, 32, 3, seed++).avif({ effort: 0 }).toBuffer())
  await put('cats/cat24.bmp', encodeBmp(noise(13, 7, 3, seed++), 13, 7, 24))
  await put('cats/cat8.bmp', encodeBmp(noise(9, 5, 1, seed++), 9, 5, 8))
  await put(
    'cats/rotated.jpg',
    await rawImage(40, 20, 3, seed++).jpeg().withMetadata({ orientation: 6 }).toBuffer(),
  )
  await put('cats/cmyk.jpg', await rawImage(30, 20, 3, seed++).toColourspace('cmyk').jpeg().toBuffer())
  await put('cats/grey.png', await png(20, 20, 1))
  await put('cats/png16.png', await rawImage(20, 20, 3, seed++).toColourspace('rgb16').png().toBuffer())
  await put('cats/one-pixel.png', await png(1, 1))
  await put('cats/wide.png', await png(4000, 3))
  await put('cats/deep/deeper/nested.jpg', await jpeg())
  await symlink('..', join(root, 'cats/loop'))
  await put('cats/._cat1.jpg', 'AppleDouble')
  await put('cats/cat1.xmp', '<x:xmpmeta/>')
  await put('cats/labels.csv', 'file,label')

  // dogs: a duplicate, a cross-label conflict, a folder named like an image, and every kind of bad file
  const dog1 = await jpeg()
  await put('dogs/dog1.jpg', dog1)
  await put('dogs/dog1 (1).jpg', dog1)
  await put('dogs/from-cats.jpg', cat1)
  await put('dogs/folder.jpg/dog2.png', await png())
  const whole = await jpeg(64, 64)
  await put('dogs/truncated.jpg', whole.subarray(0, Math.floor(whole.length * 0.6)))
  const flipped = Buffer.from(await png(64, 64))
  for (let i = flipped.length >> 1; i < (flipped.length >> 1) + 40; i++) flipped[i]! ^= 0x55
  await put('dogs/flipped.png', flipped)
  const tiff = await rawImage(64, 64, 3, seed++).tiff().toBuffer()
  await put('dogs/truncated.tiff', tiff.subarray(0, tiff.length >> 1))
  await put('dogs/notes.jpg', 'this is not a picture\n')
  await put('dogs/drawing.svg', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
  await put('dogs/empty.jpg', '')
  await put('dogs/bomb.png', pngDeclaring(50_000, 50_000))
  // sparse: 300 MiB on paper, nothing on disk
  const huge = await open(await put('dogs/huge.jpg', ''), 'r+')
  await huge.truncate(300 * 2 ** 20)
  await huge.close()
  execFileSync('mkfifo', [join(root, 'dogs/pipe.jpg')])
  await symlink('does-not-exist.jpg', join(root, 'dogs/broken.jpg'))
  await symlink(outside, join(root, 'dogs/outside-dir'))
  await put('dogs/meta.json', '{}')
  return { root, outside }
}

/** A 1-bit (black and white) BMP: 100 megapixels fit in 12.5 MB, the shape of a pixel bomb sharp cannot see. */
export function oneBitBmp(width: number, height: number): Buffer {
  const stride = Math.floor((width + 31) / 32) * 4
  const offset = 14 + 40 + 8
  const out = Buffer.alloc(offset + stride * height, 0x5a)
  out.write('BM', 0, 'latin1')
  out.writeUInt32LE(out.length, 2)
  out.writeUInt32LE(0, 6)
  out.writeUInt32LE(offset, 10)
  out.writeUInt32LE(40, 14)
  out.writeInt32LE(width, 18)
  out.writeInt32LE(height, 22)
  out.writeUInt16LE(1, 26)
  out.writeUInt16LE(1, 28)
  out.writeUInt32LE(0, 30)
  out.writeUInt32LE(stride * height, 34)
  out.fill(0, 38, 54)
  // palette: black, white
  out.writeUInt32LE(0x000000, 54)
  out.writeUInt32LE(0xffffff, 58)
  return out
}
