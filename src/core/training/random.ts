/**
 * A small seeded random stream (xoshiro128**). Training must be reproducible from a seed and resumable from a
 * checkpoint, so the whole generator state is four 32-bit words that can be saved and restored exactly.
 */

/** The complete state of a stream: save it in a checkpoint, give it to `Random.restore` to continue. */
export type RandomState = [number, number, number, number]

export class RandomStateError extends Error {
  override name = 'RandomStateError'
}

/** splitmix32: spreads a (possibly tiny, possibly sequential) seed over all 32 bits. */
function splitmix32(x: number): number {
  x = (x + 0x9e3779b9) | 0
  let z = x
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RandomStateError(`${what} must be a whole number between 0 and 4294967295 (got ${seed})`)
  }
}

export class Random {
  private s: Uint32Array

  private constructor(state: ArrayLike<number>) {
    this.s = Uint32Array.from(state)
  }

  /** A stream from a seed (a whole number 0 … 2³²−1). */
  static fromSeed(seed: number): Random {
    return Random.stream(seed, 0)
  }

  /**
   * Stream number `index` derived from `seed`: network i of a run uses stream(seed, i), so every network has
   * its own independent draws and adding a network does not change the draws of the others.
   */
  static stream(seed: number, index: number): Random {
    checkSeed(seed, 'seed')
    checkSeed(index, 'stream index')
    let x = splitmix32(seed) ^ Math.imul(index + 1, 0x632be5ab)
    const words: number[] = []
    for (let i = 0; i < 4; i++) {
      x = splitmix32(x + i)
      words.push(x)
    }
    // xoshiro's only bad state is all zeros
    if (!words.some((w) => w !== 0)) words[0] = 1
    return new Random(words)
  }

  /** Continue exactly where `state()` was taken. */
  static restore(state: RandomState): Random {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
    ) {
      throw new RandomStateError('a random stream state must be four whole numbers between 0 and 4294967295')
    }
    if (state.every((w) => w === 0)) throw new RandomStateError('a random stream state cannot be all zeros')
    return new Random(state)
  }

  state(): RandomState {
    return [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!]
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s
    const [s0, s1, s2, s3] = [s[0]!, s[1]!, s[2]!, s[3]!]
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    const n2 = s2 ^ s0
    const n3 = s3 ^ s1
    s[0] = s0 ^ n3
    s[1] = s1 ^ n2
    s[2] = n2 ^ t
    s[3] = rotl(n3, 11)
    return result
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x100000000
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next()
  }

  /** Uniform integer in 0 … n−1, without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) {
      throw new RangeError(`int(n) needs a whole number n between 1 and 4294967296 (got ${n})`)
    }
    // reject the top partial block so every value is equally likely
    const limit = 0x100000000 - (0x100000000 % n)
    for (;;) {
      const x = this.nextUint32()
      if (x < limit) return x % n
    }
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const tmp = items[i]!
      items[i] = items[j]!
      items[j] = tmp
    }
    return items
  }
}
