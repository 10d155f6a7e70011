import { afterEach, describe, expect, it } from 'vitest'
import { NetworkGroup, NetworkGroupError } from '../../../src/core/engine/network-group'
import type { NetworkConfig } from '../../../src/core/engine/protocol'

const SIZE = 8
const CLASSES = 3
const configs: NetworkConfig[] = [
  {
    spec: { arch: 'cnn', inputSize: SIZE, channels: 1, classes: CLASSES, width: 0.5, seed: 1 },
    optimizer: { kind: 'adam', lr: 1e-2 },
  },
  {
    spec: { arch: 'resnet-8', inputSize: SIZE, channels: 1, classes: CLASSES, width: 0.5, seed: 2 },
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  },
]

/** A separable toy problem: the class is which third of the image (left, middle, right) is bright. */
function toyBatch(batch: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const x = new Float32Array(batch * SIZE * SIZE)
  const labels = new Int32Array(batch)
  for (let n = 0; n < batch; n++) {
    const label = (n + seed) % CLASSES
    labels[n] = label
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const bright = Math.floor((c * CLASSES) / SIZE) === label
        x[(n * SIZE + r) * SIZE + c] = (bright ? 1 : 0) + 0.1 * Math.sin(n * 31 + r * 7 + c * 3 + seed)
      }
    }
  }
  return { x, labels }
}

const mean = (logits: Float32Array[]) =>
  logits[0]!.map((_, i) => logits.reduce((s, z) => s + z[i]!, 0) / logits.length)

const groups: NetworkGroup[] = []
function group(parallel: boolean, cs = configs): NetworkGroup {
  const g = new NetworkGroup(cs, { parallel, backend: 'wasm' })
  groups.push(g)
  return g
}

/** Reaches into a parallel group for its worker threads, to kill one as a crash would. */
function threads(g: NetworkGroup): Array<{ terminate(): Promise<number>; threadId: number }> {
  const workers = (
    g as unknown as { workers: Array<{ worker: { terminate(): Promise<number>; threadId: number } }> }
  ).workers
  return workers.map((w) => w.worker)
}

afterEach(async () => {
  await Promise.all(groups.splice(0).map((g) => g.dispose()))
})

describe('NetworkGroup', () => {
  it('gives the same losses, logits and teacher in parallel workers and in-process', async () => {
    const results = []
    for (const parallel of [false, true]) {
      const g = group(parallel)
      const steps = []
      for (let s = 0; s < 3; s++) {
        const { x, labels } = toyBatch(6, s)
        steps.push(await g.step([x, x.map((v) => 1 - v)], labels, mean, 1, 2))
      }
      results.push(steps)
    }
    const [inProcess, parallel] = results
    inProcess!.forEach((step, s) => {
      const other = parallel![s]!
      step.losses.forEach((l, i) => {
        expect(other.losses[i]!.ce).toBeCloseTo(l.ce, 4)
        expect(other.losses[i]!.kd).toBeCloseTo(l.kd, 4)
      })
      expect(Array.from(other.teacher)).toEqual(Array.from(step.teacher))
    })
    // By the third step the teacher has pulled the networks apart from zero KD.
    expect(inProcess![2]!.losses[0]!.kd).toBeGreaterThan(0)
  })

  it.each([false, true])(
    'parallel %s: calls the teacher once per step with every network’s logits',
    async (parallel) => {
      const g = group(parallel)
      const calls: Float32Array[][] = []
      const { x, labels } = toyBatch(5, 0)
      for (let s = 0; s < 2; s++) {
        const result = await g.step(
          [x, x],
          labels,
          (logits, y) => {
            calls.push(logits.map((z) => z.slice()))
            expect(Array.from(y)).toEqual(Array.from(labels))
            return logits[1]!
          },
          0.5,
          3,
        )
        expect(calls).toHaveLength(s + 1)
        expect(calls[s]!).toHaveLength(2)
        calls[s]!.forEach((z, i) => {
          expect(z).toHaveLength(5 * CLASSES)
          expect(Array.from(z)).toEqual(Array.from(result.logits[i]!))
        })
      }
    },
  )

  it('reduces the loss on a separable toy problem', async () => {
    const g = group(false)
    const first = toyBatch(12, 0)
    const before = (await g.step([first.x, first.x], first.labels, mean, 1, 2)).losses
    let after = before
    for (let s = 1; s <= 25; s++) {
      const { x, labels } = toyBatch(12, s)
      after = (await g.step([x, x], labels, mean, 1, 2)).losses
    }
    after.forEach((l, i) => expect(l.ce).toBeLessThan(before[i]!.ce * 0.5))
    const { x, labels } = toyBatch(12, 99)
    const logits = await g.predict(x)
    for (const z of logits) {
      const predicted = Array.from(labels, (_, n) => {
        const row = Array.from(z.subarray(n * CLASSES, (n + 1) * CLASSES))
        return row.indexOf(Math.max(...row))
      })
      expect(predicted).toEqual(Array.from(labels))
    }
  })

  it('moves weights between groups (checkpoints) and predicts the same after', async () => {
    const source = group(true)
    const { x, labels } = toyBatch(6, 1)
    await source.step([x, x], labels, mean, 1, 2)
    const weights = await source.getWeights()
    expect(weights[0]!.names.length).toBe(weights[0]!.values.length)
    const target = group(
      false,
      configs.map((c) => ({ ...c, spec: { ...c.spec, seed: 9 } })),
    )
    await target.setWeights(weights)
    const [a, b] = [await source.predict(x), await target.predict(x)]
    a.forEach((z, i) => z.forEach((v, j) => expect(b[i]![j]!).toBeCloseTo(v, 5)))
    await expect(target.setWeights([weights[1]!, weights[0]!])).rejects.toThrow(
      /these weights are for a network/,
    )
  })

  it('sets learning rates and rejects nonsense', async () => {
    const g = group(false)
    await g.setLearningRate([0.001, 0.01])
    await expect(g.setLearningRate(-1)).rejects.toThrow(/learning rate must be positive/)
  })

  it('a failing teacher fails the step without leaving workers blocked', async () => {
    const g = group(true)
    const { x, labels } = toyBatch(4, 0)
    await expect(
      g.step(
        [x, x],
        labels,
        () => {
          throw new Error('teacher exploded')
        },
        1,
        2,
      ),
    ).rejects.toThrow('teacher exploded')
    const next = await g.step([x, x], labels, mean, 1, 2)
    expect(next.losses).toHaveLength(2)
  })

  it('a network that rejects its view fails the step at once; the others are released and go on', async () => {
    const g = group(true)
    const { x, labels } = toyBatch(4, 0)
    await g.ready()
    const started = Date.now()
    await expect(g.step([x, x.subarray(1)], labels, mean, 1, 2)).rejects.toThrow(
      /network 2 \(resnet-8\): expected images of 8×8×1/,
    )
    expect(Date.now() - started).toBeLessThan(5000)
    expect((await g.step([x, x], labels, mean, 1, 2)).losses).toHaveLength(2)
  })

  it('a worker that dies mid-step surfaces as a clear error, and dispose ends every thread', async () => {
    const g = group(true)
    const { x, labels } = toyBatch(4, 0)
    await g.ready()
    const [first, second] = threads(g)
    const step = g.step(
      [x, x],
      labels,
      (logits) => {
        void first!.terminate()
        return logits[0]!
      },
      1,
      2,
    )
    await expect(step).rejects.toThrow(NetworkGroupError)
    await expect(g.step([x, x], labels, mean, 1, 2)).rejects.toThrow(/network 1 \(cnn\) stopped unexpectedly/)
    await g.dispose()
    expect(second!.threadId).toBe(-1)
  })

  it('reports a network that cannot be created, naming it', async () => {
    const bad: NetworkConfig[] = [
      configs[0]!,
      { ...configs[1]!, spec: { ...configs[1]!.spec, inputSize: 2 } },
    ]
    await expect(group(true, bad).ready()).rejects.toThrow(/network 2 \(resnet-8\): .*at least 4 pixels/)
  })
})
