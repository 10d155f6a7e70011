import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  AUGMENT_PRESETS,
  AugmentError,
  augmentPixels,
  type AugmentPolicy,
  checkPolicy,
  defaultPad,
  type ImageBatch,
} from '../../../../src/core/training/augment'
import { normaliseBatch } from '../../../../src/core/engine/input'
import { Random } from '../../../../src/core/training/random'

beforeAll(async () => {
  await tf.setBackend('cpu')
})

const unit = { mean: [0], std: [1] } // output = x / 255, easy to read
const grey = (rows: number[][][]): ImageBatch => ({
  pixels: Uint8Array.from(rows.flat(2)),
  shape: [rows.length, rows[0]!.length, rows[0]![0]!.length, 1],
})
/** Output of a 1-channel batch as [B][H][W] pixel values 0…255. */
const asPixels = (out: Float32Array, [B, H, W]: number[]) =>
  Array.from({ length: B! }, (_, b) =>
    Array.from({ length: H! }, (_, y) =>
      Array.from({ length: W! }, (_, x) => Math.round(out[(b * H! + y) * W! + x]! * 255)),
    ),
  )
const only = (over: Partial<AugmentPolicy>): AugmentPolicy => ({ ...AUGMENT_PRESETS.none, ...over })

// 3×3 image 1…9 (×10 to be visible as bytes)
const nine = [
  [10, 20, 30],
  [40, 50, 60],
  [70, 80, 90],
]

describe('augmentPixels', () => {
  it('with no augmentation only normalises: (x/255 − mean[c]) / std[c] per channel', () => {
    const batch: ImageBatch = { pixels: Uint8Array.from([0, 255, 51, 255, 0, 102]), shape: [1, 1, 2, 3] }
    const out = augmentPixels(batch, AUGMENT_PRESETS.none, Random.fromSeed(0), {
      mean: [0, 0.5, 0.2],
      std: [1, 0.5, 0.1],
    })
    const expected = [0, 1, 0, 1, -1, 2]
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5))
  })

  it('the default preset shifts but never mirrors: a mirrored digit or arrow is another label', () => {
    expect(AUGMENT_PRESETS.safe).toEqual({ crop: 'reflect', flip: false, brightness: 0, contrast: 0 })
    // an asymmetric picture wider than the shift: every view is a shift of it, never its mirror image
    const arrow = [
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 9, 0, 0, 0],
      [0, 0, 0, 0, 0, 9, 0, 0],
      [0, 9, 9, 9, 9, 9, 9, 0],
      [0, 0, 0, 0, 0, 9, 0, 0],
      [0, 0, 0, 0, 9, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]
    const many = grey(new Array(40).fill(arrow))
    const out = asPixels(
      augmentPixels(many, { ...AUGMENT_PRESETS.safe, pad: 1 }, Random.fromSeed(3), unit),
      [40, 8, 8],
    )
    for (const img of out) {
      // the arrow's head (a 9 above and below the shaft's right end) stays to the right of its tail
      const shaft = img.findIndex((row) => row.filter((v) => v > 0).length >= 5)
      const cols = img[shaft]!.map((v, x) => (v > 0 ? x : -1)).filter((x) => x >= 0)
      const head = img[shaft - 1]!.findIndex((v) => v > 0)
      expect(head).toBeGreaterThan((cols[0]! + cols.at(-1)!) / 2)
    }
  })

  it('flips exactly the images whose draw is below ½', () => {
    const batch = grey([nine, nine, nine, nine, nine, nine])
    const out = asPixels(augmentPixels(batch, only({ flip: true }), Random.fromSeed(11), unit), [6, 3, 3])
    const replay = Random.fromSeed(11)
    const flips = out.map(() => replay.next() < 0.5)
    expect(flips).toContain(true)
    expect(flips).toContain(false)
    const mirrored = nine.map((row) => [...row].reverse())
    out.forEach((img, b) => expect(img).toEqual(flips[b] ? mirrored : nine))
  })

  it('zero padding: a shifted crop shows black where the image ends', () => {
    const B = 9
    const out = asPixels(
      augmentPixels(grey(new Array(B).fill(nine)), only({ crop: 'zero', pad: 1 }), Random.fromSeed(5), unit),
      [B, 3, 3],
    )
    const replay = Random.fromSeed(5)
    const seen = new Set<string>()
    for (let b = 0; b < B; b++) {
      const oy = replay.int(3) - 1
      const ox = replay.int(3) - 1
      seen.add(`${oy},${ox}`)
      const expected = nine.map((_, y) => nine.map((__, x) => nine[y + oy]?.[x + ox] ?? 0))
      expect(out[b]).toEqual(expected)
    }
    expect(seen.size).toBeGreaterThan(3) // several offsets were really exercised
  })

  it('reflect padding mirrors without repeating the edge (hand-computed shifts)', () => {
    const out = asPixels(
      augmentPixels(
        grey(new Array(12).fill(nine)),
        only({ crop: 'reflect', pad: 1 }),
        Random.fromSeed(3),
        unit,
      ),
      [12, 3, 3],
    )
    const replay = Random.fromSeed(3)
    const reflect = (i: number) => (i < 0 ? -i : i > 2 ? 4 - i : i)
    for (const img of out) {
      const oy = replay.int(3) - 1
      const ox = replay.int(3) - 1
      expect(img).toEqual(nine.map((_, y) => nine.map((__, x) => nine[reflect(y + oy)]![reflect(x + ox)]!)))
      if (oy === -1 && ox === 0) expect(img[0]).toEqual([40, 50, 60]) // row −1 reflects to row 1
      if (oy === 0 && ox === 1) expect(img.map((r) => r[2])).toEqual([20, 50, 80]) // column 3 reflects to column 1
    }
  })

  it('brightness and contrast: factor × pixel, then around the image mean, clamped', () => {
    const img = [[[100, 200]]] // 1×1×2, one channel
    const policy = only({ brightness: 0.5, contrast: 0.5 })
    const out = augmentPixels(grey(img), policy, Random.fromSeed(8), unit)
    const replay = Random.fromSeed(8)
    const bright = replay.uniform(0.5, 1.5)
    const contrast = replay.uniform(0.5, 1.5)
    const v = [100, 200].map((p) => (p * bright) / 255)
    const mean = (v[0]! + v[1]!) / 2
    const expected = v.map((x) => Math.min(1, Math.max(0, (x - mean) * contrast + mean)))
    out.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 5))
  })

  it('is deterministic per seed, differs between networks, never NaN, stays in range, keeps the shape', () => {
    const r = Random.fromSeed(99)
    const batch: ImageBatch = {
      pixels: Uint8Array.from({ length: 4 * 16 * 16 * 3 }, () => r.int(256)),
      shape: [4, 16, 16, 3],
    }
    const norm = { mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] }
    const policy = { ...AUGMENT_PRESETS.standard, brightness: 1, contrast: 1 }
    const a = augmentPixels(batch, policy, Random.stream(1, 0), norm)
    expect(augmentPixels(batch, policy, Random.stream(1, 0), norm)).toEqual(a)
    expect(augmentPixels(batch, policy, Random.stream(1, 1), norm)).not.toEqual(a)
    expect(a.length).toBe(batch.pixels.length)
    a.forEach((v, i) => {
      const c = i % 3
      expect(Number.isFinite(v)).toBe(true)
      expect(v).toBeGreaterThanOrEqual((0 - norm.mean[c]!) / norm.std[c]! - 1e-5)
      expect(v).toBeLessThanOrEqual((1 - norm.mean[c]!) / norm.std[c]! + 1e-5)
    })
  })

  it('continues the stream across batches (a resumed stream gives the same next batch)', () => {
    const batch = grey([nine, nine])
    const r = Random.stream(4, 2)
    augmentPixels(batch, AUGMENT_PRESETS.standard, r, unit)
    const saved = r.state()
    const next = augmentPixels(batch, AUGMENT_PRESETS.standard, r, unit)
    expect(augmentPixels(batch, AUGMENT_PRESETS.standard, Random.restore(saved), unit)).toEqual(next)
  })

  it('rejects bad input with a specific message', () => {
    const batch = grey([nine])
    expect(() =>
      augmentPixels({ ...batch, shape: [2, 3, 3, 1] }, AUGMENT_PRESETS.none, Random.fromSeed(0), unit),
    ).toThrow(/has 9 bytes but its shape \[2,3,3,1\] needs 18/)
    expect(() =>
      augmentPixels(batch, AUGMENT_PRESETS.none, Random.fromSeed(0), { mean: [0], std: [0] }),
    ).toThrow(/std must be positive/)
    expect(() =>
      augmentPixels(batch, AUGMENT_PRESETS.none, Random.fromSeed(0), { mean: [0, 0], std: [1, 1] }),
    ).toThrow(/one mean and one std per channel \(1 channels\)/)
    expect(() => augmentPixels(batch, only({ crop: 'zero', pad: 3 }), Random.fromSeed(0), unit)).toThrow(
      AugmentError,
    )
    expect(() => augmentPixels(batch, only({ brightness: 2 }), Random.fromSeed(0), unit)).toThrow(
      /brightness jitter/,
    )
  })
})

describe('normaliseBatch', () => {
  it('gives a float32 [B,H,W,C] tensor and leaks nothing inside tidy', () => {
    const batch = grey([nine, nine])
    const before = tf.memory().numTensors
    tf.tidy(() => {
      const t = normaliseBatch(batch, { mean: [0], std: [1 / 255] })
      expect(t.shape).toEqual([2, 3, 3, 1])
      expect(t.dtype).toBe('float32')
      expect(Array.from(normaliseBatch(batch, { mean: [0], std: [1 / 255] }).dataSync())).toEqual(
        nine
          .flat()
          .concat(nine.flat())
          .map((v) => expect.closeTo(v, 3)),
      )
    })
    expect(tf.memory().numTensors).toBe(before)
  })

  it('gives exactly the numbers training validates with (augmentPixels with policy none)', () => {
    const pixels = Uint8Array.from({ length: 256 * 3 }, (_, i) => (i * 7) % 256)
    const batch: ImageBatch = { pixels, shape: [2, 8, 16, 3] }
    const norm = { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] }
    const trained = augmentPixels(batch, AUGMENT_PRESETS.none, Random.fromSeed(0), norm)
    const recognised = tf.tidy(() => normaliseBatch(batch, norm).dataSync())
    expect(Array.from(recognised)).toEqual(Array.from(trained))
  })
})

describe('defaultPad', () => {
  it('pads 4 px at 32 px, in proportion elsewhere', () => {
    expect([8, 28, 32, 64, 256].map(defaultPad)).toEqual([1, 4, 4, 8, 32])
  })
})

describe('checkPolicy', () => {
  it('refuses, before any picture is decoded, what augmentPixels would refuse at that size', () => {
    expect(() => checkPolicy(AUGMENT_PRESETS.standard, 8)).not.toThrow()
    // the default padding at 8 px is 1: a crop of an 8 px picture fits
    expect(() => checkPolicy(only({ crop: 'reflect' }), 8)).not.toThrow()
    expect(() => checkPolicy(only({ crop: 'reflect', pad: 8 }), 8)).toThrow(
      /crop padding must be a whole number from 0 to 7 pixels \(got 8\)/,
    )
    expect(() => checkPolicy(only({ contrast: -0.1 }), 32)).toThrow(/contrast jitter must be from 0 to 1/)
    // the same rule as the batch check: a pad too wide for the picture fails both alike
    const batch = grey([nine])
    expect(() => augmentPixels(batch, only({ crop: 'zero', pad: 3 }), Random.fromSeed(0), unit)).toThrow(
      /from 0 to 2 pixels \(got 3\)/,
    )
    expect(() => checkPolicy(only({ crop: 'zero', pad: 3 }), 3)).toThrow(/from 0 to 2 pixels \(got 3\)/)
  })
})
