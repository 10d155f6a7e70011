/**
 * Milliseconds per call of the convolution kernels on the shapes of a real training step (resnet-8 at batch
 * 128 on 28×28×1, cnn at batch 64 on 32×32×3): forward, input gradient and filter gradient, each through
 * its tfjs kernel function (copies in and out included), for Cohort's native kernels now, the JavaScript /
 * XNNPACK kernels they replace and, optionally, an earlier build of the native kernels (its TypeScript side
 * in `old`, a directory holding that version's index.ts, kernels.ts and pool.ts, and its .wasm), all in one
 * process, interleaved, medians of `repeats`. Every call gets a new filter tensor, as in training.
 *   COHORT_THREADS=1 npx tsx bench/conv-kernels.ts [repeats=7] [old-dir old.wasm]
 * COHORT_BENCH_SHAPES=all adds the step's other convolutions; COHORT_BENCH_THREADS=2 adds the current kernels
 * on 2 threads; COHORT_BENCH_WASMS=a.wasm,b.wasm other builds of them.
 */
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import { initBackend } from '../src/core/engine/backend'
import * as current from '../src/core/engine/native/index'
import { NativeKernels } from '../src/core/engine/native/kernels'

type Shape4 = [number, number, number, number]
interface ConvShape {
  name: string
  x: Shape4
  filter: Shape4
  stride?: number
}
const SHAPES: ConvShape[] = [
  { name: 'resnet 28x28x16', x: [128, 28, 28, 16], filter: [3, 3, 16, 16] },
  { name: 'resnet 14x14x32', x: [128, 14, 14, 32], filter: [3, 3, 32, 32] },
  { name: 'resnet 7x7x64', x: [128, 7, 7, 64], filter: [3, 3, 64, 64] },
  { name: 'cnn 16x16x32>64', x: [64, 16, 16, 32], filter: [3, 3, 32, 64] },
  { name: 'cnn 8x8x64>128', x: [64, 8, 8, 64], filter: [3, 3, 64, 128] },
]
// The step's other convolutions (COHORT_BENCH_SHAPES=all): first layers, stride 2, 1×1 (mobilenet's too).
if (process.env.COHORT_BENCH_SHAPES === 'all') {
  SHAPES.push(
    { name: 'resnet stem', x: [128, 28, 28, 1], filter: [3, 3, 1, 16] },
    { name: 'resnet s2 3x3', x: [128, 28, 28, 16], filter: [3, 3, 16, 32], stride: 2 },
    { name: 'resnet s2 1x1', x: [128, 28, 28, 16], filter: [1, 1, 16, 32], stride: 2 },
    { name: 'resnet s2 7x7', x: [128, 14, 14, 32], filter: [3, 3, 32, 64], stride: 2 },
    { name: 'cnn stem', x: [64, 32, 32, 3], filter: [3, 3, 3, 32] },
    { name: 'mobile 1x1 up', x: [64, 16, 16, 24], filter: [1, 1, 24, 144] },
    { name: 'mobile 1x1 dn', x: [64, 16, 16, 144], filter: [1, 1, 144, 24] },
  )
}
const OPS = ['forward', 'input', 'filter'] as const
type Op = (typeof OPS)[number]

const repeats = Number(process.argv[2] ?? 7)
const oldDir = process.argv[3]
const oldWasm = process.argv[4]
const threads = Number(process.env.COHORT_THREADS ?? 1)

process.env.COHORT_NATIVE = '0'
await initBackend('wasm')
const backend = tf.backend()
const kernelOf = (name: string) => tf.getKernel(name, 'wasm')!.kernelFunc
const js: Record<Op, tf.KernelFunc> = {
  forward: kernelOf('Conv2D'),
  input: kernelOf('Conv2DBackpropInput'),
  filter: kernelOf('Conv2DBackpropFilter'),
}

type NativeModule = typeof current
function nativeFuncs(mod: NativeModule, kernels: NativeKernels): Record<Op, tf.KernelFunc> {
  mod.registerNativeKernels(kernels)
  const find = (name: string) => mod.NATIVE_KERNELS.find((k) => k.kernelName === name)?.kernelFunc
  return {
    forward: find('Conv2D') ?? mod.conv2dForward('Conv2D'),
    input: find('Conv2DBackpropInput')!,
    filter: find('Conv2DBackpropFilter')!,
  }
}

const variants: Array<[string, Record<Op, tf.KernelFunc>]> = [['js/xnnpack', js]]
// The old build first: its fallbacks are then the JavaScript kernels, as in the product.
if (oldDir && oldWasm) {
  const mod = (await import(pathToFileURL(path.resolve(oldDir, 'index.ts')).href)) as NativeModule
  const oldKernels = (await import(pathToFileURL(path.resolve(oldDir, 'kernels.ts')).href)) as {
    NativeKernels: typeof NativeKernels
  }
  variants.push(['old', nativeFuncs(mod, oldKernels.NativeKernels.load(threads, oldWasm))])
}
// Other builds of the current sources' kernels (COHORT_BENCH_WASMS=a.wasm,b.wasm), to compare tunings.
const builds = [undefined, ...(process.env.COHORT_BENCH_WASMS?.split(',') ?? [])]
const currentKernels = new Map<Record<Op, tf.KernelFunc>, NativeKernels>()
for (const file of builds) {
  const kernels = NativeKernels.load(threads, file)
  const funcs = nativeFuncs(current, kernels)
  currentKernels.set(funcs, kernels)
  variants.push([file ? path.basename(file, '.wasm') : 'new', funcs])
}
// The current build at other thread counts too (COHORT_BENCH_THREADS=2), interleaved with the rest.
for (const count of process.env.COHORT_BENCH_THREADS?.split(',').map(Number) ?? []) {
  const kernels = NativeKernels.load(count)
  const funcs = nativeFuncs(current, kernels)
  currentKernels.set(funcs, kernels)
  variants.push([`new ×${count}`, funcs])
}

// Give the pool threads time to start before timing.
await new Promise((resolve) => setTimeout(resolve, 1000))

function call(
  f: tf.KernelFunc,
  op: Op,
  stride: number,
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  dy: tf.Tensor4D,
): number {
  const attrs = { strides: stride, pad: 'same', dataFormat: 'NHWC', dilations: 1 }
  const start = performance.now()
  const out =
    op === 'forward'
      ? f({ inputs: { x, filter: w }, backend, attrs } as never)
      : op === 'input'
        ? f({ inputs: { dy, filter: w }, backend, attrs: { ...attrs, inputShape: x.shape } } as never)
        : f({ inputs: { x, dy }, backend, attrs: { ...attrs, filterShape: w.shape } } as never)
  const ms = performance.now() - start
  for (const info of Array.isArray(out) ? out : [out]) backend.disposeData(info.dataId)
  return ms
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!
console.log(`threads ${threads}, median of ${repeats} (ms)`)
console.log(['shape', 'op', ...variants.map(([n]) => n)].map((s) => s.padEnd(16)).join(''))
for (const shape of SHAPES) {
  const x = tf.randomNormal(shape.x, 0, 1, 'float32', 1) as tf.Tensor4D
  const w = tf.randomNormal(shape.filter, 0, 0.1, 'float32', 2) as tf.Tensor4D
  const stride = shape.stride ?? 1
  const [n, h, wd] = shape.x
  const dyShape: Shape4 = [n, Math.ceil(h / stride), Math.ceil(wd / stride), shape.filter[3]]
  const dy = tf.randomNormal(dyShape, 0, 1, 'float32', 3) as tf.Tensor4D
  for (const op of OPS) {
    const times = variants.map(() => [] as number[])
    for (let r = -1; r < repeats; r++) {
      variants.forEach(([, funcs], i) => {
        const kernels = currentKernels.get(funcs)
        if (kernels) current.registerNativeKernels(kernels)
        // A new filter every call, as in training (XNNPACK re-creates its operator for new weights).
        const filter = tf.add(w, 0) as tf.Tensor4D
        const ms = call(funcs[op], op, stride, x, filter, dy)
        filter.dispose()
        if (r >= 0) times[i]!.push(ms)
      })
    }
    console.log([shape.name, op, ...times.map((t) => median(t).toFixed(1))].map((s) => s.padEnd(16)).join(''))
  }
  tf.dispose([x, w, dy])
}
process.exit(0)
