/**
 * "Label next": orderings of unlabelled pictures from a trained group's answers, and the group's suggested
 * label for each picture. Plain maths on probabilities (no tfjs), so the service, the CLI and the labelling
 * experiment share it.
 *
 * - informative: where the networks disagree most (query by committee): vote entropy of their top labels,
 *   then the mean KL divergence of each network from their consensus, then the consensus's own entropy (so
 *   a single network still orders by its uncertainty).
 * - typical: representative pictures first (after TypiClust, Hacohen et al. 2022: with very few labels,
 *   uncertainty picks lose to typical ones). The features are clustered by k-means; within a cluster the most
 *   typical picture (densest: smallest mean distance to its nearest neighbours) comes first, and the clusters
 *   share the picks in proportion to their size, so the first picks sample the dense regions of the data.
 * - random: a seeded shuffle, reproducible.
 */
import { LABEL_ORDERS, type LabelOrder } from '../../shared/types'
import { Random } from '../training/random'

export { LABEL_ORDERS, type LabelOrder }

export class OrderingError extends Error {
  override name = 'OrderingError'
}

export interface OrderingInput {
  /** one Float32Array per network, row-major n × classes, each row a probability distribution (softmax) */
  probabilities: readonly Float32Array[]
  classes: number
  /** n × dims features for 'typical' (e.g. a penultimate embedding); default: the networks' mean probabilities */
  features?: Float32Array
  dims?: number
  /** seeds 'random' and the sampling and clustering of 'typical' */
  seed: number
}

/** The group's answer for one picture. */
export interface EnsembleAnswer {
  /** class index of the ensemble's most probable label */
  label: number
  /** the ensemble's probability of that label */
  confidence: number
  /** every network's most probable label is the ensemble's */
  agree: boolean
}

/** Natural-log terms below this probability are dropped (0 · log 0 = 0). */
const TINY = 1e-12
/** clusters for 'typical': about √n (a round of ~100 labels on 10,000 pictures), at most this many */
const MAX_CLUSTERS = 200
const KMEANS_ITERATIONS = 10
/** typicality is measured against at most this many pictures of the same cluster (keeps it O(n·m)) */
const TYPICALITY_SAMPLE = 200
/** neighbours whose mean distance defines typicality (TypiClust uses 20) */
const NEIGHBOURS = 20

function pictureCount(probabilities: readonly Float32Array[], classes: number): number {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new OrderingError(`The number of labels must be a whole number of 1 or more (got ${classes}).`)
  }
  if (probabilities.length === 0) throw new OrderingError('An ordering needs at least one network’s answers.')
  const length = probabilities[0]!.length
  if (length % classes !== 0) {
    throw new OrderingError(`${length} probabilities are not whole rows of ${classes} labels.`)
  }
  probabilities.forEach((p, i) => {
    if (p.length !== length) {
      throw new OrderingError(
        `Network ${i} answered for ${p.length / classes} pictures, network 0 for ${length / classes}.`,
      )
    }
  })
  return length / classes
}

function argmax(row: ArrayLike<number>, from: number, classes: number): number {
  let best = 0
  for (let j = 1; j < classes; j++) if (row[from + j]! > row[from + best]!) best = j
  return best
}

/** Row-wise mean of the networks' probabilities (the committee's consensus). */
export function meanProbabilities(probabilities: readonly Float32Array[], classes: number): Float32Array {
  pictureCount(probabilities, classes)
  const out = new Float32Array(probabilities[0]!.length)
  for (const p of probabilities) for (let k = 0; k < p.length; k++) out[k]! += p[k]!
  for (let k = 0; k < out.length; k++) out[k]! /= probabilities.length
  return out
}

/**
 * The group's answer for every picture. `ensemble` is the ensemble's own probabilities (n × classes, e.g.
 * the softmax of the validation-weighted logits that recognition gives); without it, the networks' mean.
 */
export function ensembleAnswer(
  probabilities: readonly Float32Array[],
  classes: number,
  ensemble?: Float32Array,
): EnsembleAnswer[] {
  const n = pictureCount(probabilities, classes)
  const group = ensemble ?? meanProbabilities(probabilities, classes)
  if (group.length !== n * classes) {
    throw new OrderingError(
      `The ensemble answered for ${group.length / classes} pictures, the networks for ${n}.`,
    )
  }
  const answers: EnsembleAnswer[] = []
  for (let i = 0; i < n; i++) {
    const from = i * classes
    const label = argmax(group, from, classes)
    answers.push({
      label,
      confidence: group[from + label]!,
      agree: probabilities.every((p) => argmax(p, from, classes) === label),
    })
  }
  return answers
}

/** How much the networks dispute each picture (higher first in 'informative'), with its parts. */
export interface Disagreement {
  /** entropy (nats) of the networks' votes for their top labels: 0 when all vote alike */
  voteEntropy: number
  /** mean KL(pᵢ ‖ p̄) of each network from the consensus (the generalised Jensen–Shannon divergence) */
  meanKl: number
  /** entropy (nats) of the consensus p̄: the group's own uncertainty */
  entropy: number
}

export function disagreements(probabilities: readonly Float32Array[], classes: number): Disagreement[] {
  const n = pictureCount(probabilities, classes)
  const consensus = meanProbabilities(probabilities, classes)
  const votes = new Float64Array(classes)
  const out: Disagreement[] = []
  for (let i = 0; i < n; i++) {
    const from = i * classes
    votes.fill(0)
    let meanKl = 0
    for (const p of probabilities) {
      votes[argmax(p, from, classes)]! += 1 / probabilities.length
      for (let j = 0; j < classes; j++) {
        const pj = p[from + j]!
        if (pj > TINY) meanKl += pj * Math.log(pj / Math.max(consensus[from + j]!, TINY))
      }
    }
    let voteEntropy = 0
    for (const v of votes) if (v > 0) voteEntropy -= v * Math.log(v)
    let entropy = 0
    for (let j = 0; j < classes; j++) {
      const q = consensus[from + j]!
      if (q > TINY) entropy -= q * Math.log(q)
    }
    out.push({ voteEntropy, meanKl: meanKl / probabilities.length, entropy })
  }
  return out
}

/** Picture indices, most disputed first (ties: lower index first). */
function informativeOrder(probabilities: readonly Float32Array[], classes: number): number[] {
  const scores = disagreements(probabilities, classes)
  // votes are counted in 1/N steps; round so float noise cannot split equal vote entropies
  const round = (x: number) => Math.round(x * 1e9)
  return scores
    .map((_, i) => i)
    .sort((a, b) => {
      const sa = scores[a]!
      const sb = scores[b]!
      return (
        round(sb.voteEntropy) - round(sa.voteEntropy) ||
        sb.meanKl - sa.meanKl ||
        sb.entropy - sa.entropy ||
        a - b
      )
    })
}

function squaredDistance(x: Float32Array, i: number, y: Float32Array, j: number, dims: number): number {
  let s = 0
  for (let d = 0; d < dims; d++) {
    const t = x[i * dims + d]! - y[j * dims + d]!
    s += t * t
  }
  return s
}

/** k-means++ seeding then Lloyd iterations; returns each picture's cluster. O(n · k · dims) per iteration. */
function kMeans(features: Float32Array, n: number, dims: number, k: number, random: Random): Int32Array {
  const centres = new Float32Array(k * dims)
  const nearest = new Float64Array(n).fill(Infinity)
  let chosen = random.int(n)
  for (let c = 0; c < k; c++) {
    centres.set(features.subarray(chosen * dims, (chosen + 1) * dims), c * dims)
    let total = 0
    for (let i = 0; i < n; i++) {
      nearest[i] = Math.min(nearest[i]!, squaredDistance(features, i, centres, c, dims))
      total += nearest[i]!
    }
    if (c + 1 === k) break
    // next centre drawn with probability ∝ squared distance to the nearest centre so far
    let target = random.next() * total
    chosen = n - 1
    for (let i = 0; i < n; i++) {
      target -= nearest[i]!
      if (target < 0) {
        chosen = i
        break
      }
    }
  }
  const cluster = new Int32Array(n)
  const sums = new Float64Array(k * dims)
  const sizes = new Int32Array(k)
  for (let iteration = 0; iteration < KMEANS_ITERATIONS; iteration++) {
    let moved = false
    for (let i = 0; i < n; i++) {
      let best = 0
      let bestDistance = Infinity
      for (let c = 0; c < k; c++) {
        const d = squaredDistance(features, i, centres, c, dims)
        if (d < bestDistance) {
          bestDistance = d
          best = c
        }
      }
      if (iteration === 0 || cluster[i] !== best) moved = true
      cluster[i] = best
    }
    if (!moved) break
    sums.fill(0)
    sizes.fill(0)
    for (let i = 0; i < n; i++) {
      const c = cluster[i]!
      sizes[c]!++
      for (let d = 0; d < dims; d++) sums[c * dims + d]! += features[i * dims + d]!
    }
    for (let c = 0; c < k; c++) {
      if (sizes[c] === 0) continue // an empty cluster keeps its centre
      for (let d = 0; d < dims; d++) centres[c * dims + d] = sums[c * dims + d]! / sizes[c]!
    }
  }
  return cluster
}

/**
 * Typicality of each member of one cluster: 1 / (mean distance to its nearest neighbours among a sample of at
 * most TYPICALITY_SAMPLE members). Higher is denser.
 */
function typicality(features: Float32Array, members: number[], dims: number, random: Random): Float64Array {
  const sample =
    members.length <= TYPICALITY_SAMPLE ? members : random.shuffle([...members]).slice(0, TYPICALITY_SAMPLE)
  const out = new Float64Array(members.length)
  const distances: number[] = []
  members.forEach((i, m) => {
    distances.length = 0
    for (const j of sample)
      if (j !== i) distances.push(Math.sqrt(squaredDistance(features, i, features, j, dims)))
    if (distances.length === 0) {
      out[m] = Infinity // a cluster of one: nothing is more typical of it
      return
    }
    distances.sort((a, b) => a - b)
    const near = distances.slice(0, NEIGHBOURS)
    const mean = near.reduce((s, d) => s + d, 0) / near.length
    out[m] = mean > 0 ? 1 / mean : Infinity
  })
  return out
}

function typicalOrder(features: Float32Array, n: number, dims: number, seed: number): number[] {
  if (n === 0) return []
  const random = Random.fromSeed(seed)
  const k = Math.min(n, MAX_CLUSTERS, Math.max(1, Math.round(Math.sqrt(n))))
  const cluster = kMeans(features, n, dims, k, random)
  const groups: number[][] = Array.from({ length: k }, () => [])
  for (let i = 0; i < n; i++) groups[cluster[i]!]!.push(i)
  const ranked = groups
    .filter((g) => g.length > 0)
    .map((members) => {
      const score = typicality(features, members, dims, random)
      return members.map((i, m) => ({ i, score: score[m]! })).sort((a, b) => b.score - a.score || a.i - b.i)
    })
    .sort((a, b) => b.length - a.length || a[0]!.i - b[0]!.i)
  // each next pick comes from the cluster with the most pictures per pick so far (D'Hondt): picks are shared
  // in proportion to cluster size, so dense regions lead and a lone outlier waits its turn
  const taken = ranked.map(() => 0)
  const order: number[] = []
  while (order.length < n) {
    let best = -1
    for (let c = 0; c < ranked.length; c++) {
      if (taken[c]! >= ranked[c]!.length) continue
      if (best < 0 || ranked[c]!.length * (taken[best]! + 1) > ranked[best]!.length * (taken[c]! + 1))
        best = c
    }
    order.push(ranked[best]![taken[best]!]!.i)
    taken[best]!++
  }
  return order
}

/** Picture indices in the chosen order, best to label first. */
export function orderPictures(order: LabelOrder, input: OrderingInput): number[] {
  const { probabilities, classes, seed } = input
  const n = pictureCount(probabilities, classes)
  switch (order) {
    case 'random':
      return Random.fromSeed(seed).shuffle(Array.from({ length: n }, (_, i) => i))
    case 'informative':
      return informativeOrder(probabilities, classes)
    case 'typical': {
      const features = input.features ?? meanProbabilities(probabilities, classes)
      const dims = input.features ? input.dims : classes
      if (dims === undefined || !Number.isInteger(dims) || dims < 1) {
        throw new OrderingError(
          'Features for the typical ordering need their number of dimensions (dims ≥ 1).',
        )
      }
      if (features.length !== n * dims) {
        throw new OrderingError(
          `${features.length} feature values are not ${n} pictures × ${dims} dimensions.`,
        )
      }
      return typicalOrder(features, n, dims, seed)
    }
    default:
      throw new OrderingError(
        `There is no ordering "${String(order)}"; the orderings are ${LABEL_ORDERS.join(', ')}.`,
      )
  }
}
