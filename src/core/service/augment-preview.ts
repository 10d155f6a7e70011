/**
 * `runs.previewAugmentation`: a few labelled training pictures as the networks get them and as the augmentation
 * changes them. Nothing here re-implements training: the pictures come through the tensor cache's own decoder
 * and the views through the trainer's own `augmentPixels`, so what the Train view shows is what a run does.
 */
import sharp from 'sharp'
import type { AugmentPreview, AugmentPreviewPicture, AugmentPreviewRequest } from '../../shared/types'
import type { Db } from '../store/db'
import { requireDataset } from '../store/datasets'
import { listPreviewCandidates, type PreviewCandidate } from '../store/image-lists'
import { decodeSource } from '../dataset/tensor-cache'
import { augmentPixels, checkPolicy, resolvePolicy } from '../training/augment'
import { Random } from '../training/random'

export const PREVIEW_DEFAULTS = { count: 4, views: 3, seed: 0 } as const
/** Pictures tried per picture shown before giving up on unreadable files: a folder gone missing fails fast. */
const TRIES_PER_PICTURE = 3

export class AugmentPreviewError extends Error {
  override name = 'AugmentPreviewError'
}

interface Decoded {
  picture: PreviewCandidate
  pixels: Uint8Array
}

export async function previewAugmentation(
  db: Db,
  datasetId: number,
  request: AugmentPreviewRequest,
): Promise<AugmentPreview> {
  const { imageSize, channels } = request
  const count = request.count ?? PREVIEW_DEFAULTS.count
  const views = request.views ?? PREVIEW_DEFAULTS.views
  const seed = request.seed ?? PREVIEW_DEFAULTS.seed
  const dataset = requireDataset(db, datasetId)
  const policy = resolvePolicy(request.augment)
  checkPolicy(policy, imageSize) // a bad setting is said before any picture is decoded
  const candidates = listPreviewCandidates(db, dataset.id)
  if (candidates.length === 0) {
    throw new AugmentPreviewError(
      `Dataset '${dataset.name}' has no labelled pictures to preview yet; label some pictures first.`,
    )
  }
  // stream 0 chooses the pictures, stream 1 + v draws view v: a network's views come from a stream of their own too
  const order = Random.stream(seed, 0).shuffle(candidates)
  const { decoded, skipped } = await decodeFirst(order, count, imageSize, channels)
  if (decoded.length === 0) {
    const why = skipped.map((s) => `${s.path} (${s.reason})`).join('; ')
    throw new AugmentPreviewError(`None of the pictures tried could be read: ${why}.`)
  }

  const frame = imageSize * imageSize * channels
  const batch = new Uint8Array(decoded.length * frame)
  decoded.forEach((d, i) => batch.set(d.pixels, i * frame))
  const shape: [number, number, number, number] = [decoded.length, imageSize, imageSize, channels]
  // mean 0, std 1: the trainer's values before normalisation, x / 255, back to bytes below
  const asIs = { mean: Array<number>(channels).fill(0), std: Array<number>(channels).fill(1) }
  const viewBatches = Array.from({ length: views }, (_, v) =>
    toBytes(augmentPixels({ pixels: batch, shape }, policy, Random.stream(seed, 1 + v), asIs)),
  )
  const png = (pixels: Uint8Array, i: number) =>
    pngDataUrl(pixels.subarray(i * frame, (i + 1) * frame), imageSize, channels)
  const pictures = await Promise.all(
    decoded.map(async ({ picture }, i): Promise<AugmentPreviewPicture> => ({
      imageId: picture.id,
      label: picture.label,
      original: await png(batch, i),
      views: await Promise.all(viewBatches.map((view) => png(view, i))),
    })),
  )
  return { imageSize, channels, seed, pictures, skipped }
}

/** The first `count` pictures of `order` that decode, trying a few at a time; the others that failed, with why. */
async function decodeFirst(
  order: readonly PreviewCandidate[],
  count: number,
  imageSize: number,
  channels: 1 | 3,
): Promise<{ decoded: Decoded[]; skipped: AugmentPreview['skipped'] }> {
  const decoded: Decoded[] = []
  const skipped: AugmentPreview['skipped'] = []
  const tries = Math.min(order.length, count * TRIES_PER_PICTURE)
  let next = 0
  while (decoded.length < count && next < tries) {
    const group = order.slice(next, next + Math.min(count - decoded.length, tries - next))
    next += group.length
    const results = await Promise.all(group.map((p) => decodeSource(p, imageSize, channels)))
    results.forEach((result, i) => {
      const picture = group[i]!
      if (typeof result === 'string')
        skipped.push({ imageId: picture.id, path: picture.path, reason: result })
      else decoded.push({ picture, pixels: result })
    })
  }
  return { decoded, skipped }
}

/** augmentPixels' values in [0, 1] as the bytes they came from (exact when nothing changed them). */
function toBytes(values: Float32Array): Uint8Array {
  // a plain loop: Uint8Array.from with a map function went through the iterator and took most of a preview
  const bytes = new Uint8Array(values.length)
  for (let i = 0; i < values.length; i++) bytes[i] = Math.round(values[i]! * 255)
  return bytes
}

async function pngDataUrl(pixels: Uint8Array, size: number, channels: 1 | 3): Promise<string> {
  const raw = sharp(pixels, { raw: { width: size, height: size, channels } })
  // one channel stays one (sharp would write grey pixels as RGB): a smaller file of the very same values
  const png = await (channels === 1 ? raw.toColourspace('b-w') : raw).png().toBuffer()
  return `data:image/png;base64,${png.toString('base64')}`
}
