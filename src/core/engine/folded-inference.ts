/**
 * Inference with every BatchNorm that follows a convolution folded into that convolution: at predict time
 * BatchNorm is a fixed per-channel affine map, so w' = w·γ/√(var+ε) and b' = (b − mean)·γ/√(var+ε) + β give
 * the same logits with one fused conv (+ bias, + the ReLU/ReLU6 after it) instead of conv, BatchNorm and
 * activation as separate ops over the activation. The model itself is untouched (exports and checkpoints
 * stay plain TF.js Layers models); the folded weights live beside it, one set per model, refolded only when
 * a source variable was reassigned (training, setWeights), and freed by releaseFolded.
 */
import * as tf from '@tensorflow/tfjs'
import type { LayerVariable } from '@tensorflow/tfjs-layers'

type Layer = tf.layers.Layer
type Activation = 'linear' | 'relu' | 'relu6'

/** tfjs-layers keeps these protected; read exactly as the stock layers' `call` does. */
interface ConvFields {
  kernel?: LayerVariable
  depthwiseKernel?: LayerVariable
  bias: LayerVariable | null
}
interface BatchNormFields {
  gamma: LayerVariable | null
  beta: LayerVariable | null
  movingMean: LayerVariable
  movingVariance: LayerVariable
}
interface ConvConfig {
  strides: number[]
  padding: 'same' | 'valid'
  dataFormat: string
  dilationRate: number | number[]
  activation: string
}

interface LayerStep {
  kind: 'layer'
  layer: Layer
  inputs: number[]
  output: number
}

/** conv (or depthwise conv) → BatchNorm [→ ReLU or ReLU6] as one fused convolution. */
interface FoldedStep {
  kind: 'folded'
  conv: Layer
  bn: Layer
  depthwise: boolean
  strides: [number, number]
  padding: 'same' | 'valid'
  activation: Activation
  epsilon: number
  inputs: [number]
  output: number
  /** the folded filter and bias, and the variables' data they were computed from */
  filter?: tf.Tensor4D
  bias?: tf.Tensor1D
  source?: object[]
}

type Step = LayerStep | FoldedStep

const CONVOLUTIONS = new Set(['Conv2D', 'DepthwiseConv2D'])

/** The activation a ReLU-like layer applies, if it can be fused into a convolution. */
function fusableActivation(layer: Layer): Activation | undefined {
  const config = layer.getConfig() as { maxValue?: number | null; activation?: string }
  const kind = layer.getClassName()
  if (kind === 'ReLU') {
    if (config.maxValue == null) return 'relu'
    return config.maxValue === 6 ? 'relu6' : undefined
  }
  if (kind === 'Activation' && (config.activation === 'relu' || config.activation === 'relu6'))
    return config.activation
  return undefined
}

/** The one node a layer is applied at, or undefined when it is shared (applied more than once). */
function onlyNode(layer: Layer) {
  return layer.inboundNodes.length === 1 ? layer.inboundNodes[0]! : undefined
}

/**
 * The model's layers as steps in order, with foldable runs merged; undefined for a graph this interpreter
 * does not cover (several inputs or outputs, shared or nested layers): such a model predicts as it is.
 */
function planSteps(model: tf.LayersModel): { steps: Step[]; input: number; output: number } | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return undefined
  const consumers = new Map<number, Layer[]>()
  for (const layer of model.layers) {
    const node = onlyNode(layer)
    if (!node || 'layers' in layer) return undefined
    for (const t of node.inputTensors) consumers.set(t.id, [...(consumers.get(t.id) ?? []), layer])
  }
  const outputId = model.outputs[0]!.id
  /** The layer reading `id`, when it is its only reader and `id` is not the model's output. */
  const soleConsumer = (id: number) => {
    const readers = consumers.get(id)
    return id !== outputId && readers?.length === 1 ? readers[0] : undefined
  }
  const merged = new Set<Layer>()
  const steps: Step[] = []
  for (const layer of model.layers) {
    if (merged.has(layer) || layer.getClassName() === 'InputLayer') continue
    const node = onlyNode(layer)!
    const inputs = node.inputTensors.map((t) => t.id)
    const output = node.outputTensors[0]!.id
    const folded = foldable(layer, inputs, output, soleConsumer)
    if (folded) {
      for (const l of [folded.bn, ...(folded.relu ? [folded.relu] : [])]) merged.add(l)
      steps.push(folded.step)
    } else {
      if (node.outputTensors.length !== 1) return undefined
      steps.push({ kind: 'layer', layer, inputs, output })
    }
  }
  return { steps, input: model.inputs[0]!.id, output: outputId }
}

/** A convolution followed only by a channels-last BatchNorm (and maybe a ReLU), as one folded step. */
function foldable(
  conv: Layer,
  inputs: number[],
  output: number,
  soleConsumer: (id: number) => Layer | undefined,
): { step: FoldedStep; bn: Layer; relu?: Layer } | undefined {
  if (!CONVOLUTIONS.has(conv.getClassName()) || inputs.length !== 1) return undefined
  const c = conv.getConfig() as unknown as ConvConfig
  const dilations = Array.isArray(c.dilationRate) ? c.dilationRate : [c.dilationRate]
  if (c.activation !== 'linear' || c.dataFormat !== 'channelsLast' || dilations.some((d) => d !== 1))
    return undefined
  const bn = soleConsumer(output)
  if (!bn || bn.getClassName() !== 'BatchNormalization') return undefined
  const b = bn.getConfig() as { axis: number; epsilon: number }
  if (b.axis !== -1 && b.axis !== 3) return undefined
  let end = onlyNode(bn)!.outputTensors[0]!.id
  const next = soleConsumer(end)
  const activation = next ? fusableActivation(next) : undefined
  if (activation) end = onlyNode(next!)!.outputTensors[0]!.id
  const [sh, sw] = c.strides as [number, number]
  return {
    bn,
    relu: activation ? next : undefined,
    step: {
      kind: 'folded',
      conv,
      bn,
      depthwise: conv.getClassName() === 'DepthwiseConv2D',
      strides: [sh, sw],
      padding: c.padding,
      activation: activation ?? 'linear',
      epsilon: b.epsilon,
      inputs: [inputs[0]!],
      output: end,
    },
  }
}

/** The variables a folded step reads, in a fixed order (absent γ, β or bias as null). */
function sources(step: FoldedStep): (LayerVariable | null)[] {
  const conv = step.conv as unknown as ConvFields
  const bn = step.bn as unknown as BatchNormFields
  const kernel = step.depthwise ? conv.depthwiseKernel! : conv.kernel!
  return [kernel, conv.bias, bn.gamma, bn.beta, bn.movingMean, bn.movingVariance]
}

/** The identity of a variable's current data: assign (training, setWeights) gives it a new one. */
const dataOf = (v: LayerVariable | null) => (v ? (v.read() as tf.Tensor).dataId : null) as object

/** Computes (or keeps) a step's folded filter and bias, in double precision. */
function refold(step: FoldedStep): void {
  const vars = sources(step)
  const now = vars.map(dataOf)
  if (step.source && step.source.every((d, i) => d === now[i])) return
  tf.dispose([step.filter, step.bias])
  const [kernel, bias, gamma, beta, mean, variance] = vars.map((v) =>
    v ? ((v.read() as tf.Tensor).dataSync() as Float32Array) : undefined,
  )
  const shape = vars[0]!.shape as [number, number, number, number]
  // a conv's filter is [kh, kw, ci, co]; a depthwise one [kh, kw, ci, multiplier] for ci·multiplier outputs
  const channels = step.depthwise ? shape[2] * shape[3] : shape[3]
  const scale = new Float64Array(channels)
  const shift = new Float32Array(channels)
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance![c]! + step.epsilon)
    shift[c] = ((bias ? bias[c]! : 0) - mean![c]!) * scale[c]! + (beta ? beta[c]! : 0)
  }
  const filter = new Float32Array(kernel!.length)
  for (let i = 0; i < filter.length; i++) filter[i] = kernel![i]! * scale[i % channels]!
  step.filter = tf.keep(tf.tensor4d(filter, shape))
  step.bias = tf.keep(tf.tensor1d(shift))
  step.source = now
}

function runFolded(step: FoldedStep, x: tf.Tensor4D): tf.Tensor {
  refold(step)
  const args = {
    x,
    filter: step.filter!,
    strides: step.strides,
    pad: step.padding,
    bias: step.bias!,
    activation: step.activation,
  }
  return step.depthwise ? tf.fused.depthwiseConv2d(args) : tf.fused.conv2d(args)
}

export class FoldedInference {
  private constructor(
    private readonly steps: Step[],
    private readonly input: number,
    private readonly output: number,
  ) {}

  /** The folded path of a model, or undefined when its graph is not one this interpreter covers. */
  static plan(model: tf.LayersModel): FoldedInference | undefined {
    const plan = planSteps(model)
    return plan && new FoldedInference(plan.steps, plan.input, plan.output)
  }

  /** How many convolutions carry a folded BatchNorm. */
  get foldedCount(): number {
    return this.steps.filter((s) => s.kind === 'folded').length
  }

  /** Logits of a batch (the caller tidies); each intermediate is freed after its last reader. */
  run(x: tf.Tensor): tf.Tensor {
    const values = new Map<number, tf.Tensor>([[this.input, x]])
    const uses = new Map<number, number>()
    for (const s of this.steps) for (const id of s.inputs) uses.set(id, (uses.get(id) ?? 0) + 1)
    for (const step of this.steps) {
      const inputs = step.inputs.map((id) => values.get(id)!)
      const y =
        step.kind === 'folded'
          ? runFolded(step, inputs[0] as tf.Tensor4D)
          : (step.layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: false }) as tf.Tensor)
      values.set(step.output, y)
      for (const id of step.inputs) {
        const left = uses.get(id)! - 1
        uses.set(id, left)
        if (left === 0 && id !== this.input) values.get(id)!.dispose()
      }
    }
    return values.get(this.output)!
  }

  dispose(): void {
    for (const s of this.steps) {
      if (s.kind !== 'folded') continue
      tf.dispose([s.filter, s.bias])
      s.filter = s.bias = s.source = undefined
    }
  }
}

/** One folded path per model (null: the model predicts as it is). */
const cache = new WeakMap<tf.LayersModel, FoldedInference | null>()

function foldedFor(model: tf.LayersModel): FoldedInference | null {
  let folded = cache.get(model)
  if (folded === undefined) {
    folded = FoldedInference.plan(model) ?? null
    cache.set(model, folded)
  }
  return folded
}

/**
 * The model's logits in inference mode through its folded path, in batches of `batchSize` (as
 * `model.predict` does, to bound memory). The result is the caller's to dispose.
 */
export function foldedPredict(model: tf.LayersModel, x: tf.Tensor, batchSize = 32): tf.Tensor {
  const folded = foldedFor(model)
  if (!folded) return model.predict(x, { batchSize }) as tf.Tensor
  const n = x.shape[0]!
  if (n <= batchSize) return tf.tidy(() => folded.run(x))
  return tf.tidy(() => {
    const parts: tf.Tensor[] = []
    for (let start = 0; start < n; start += batchSize) {
      const part = tf.slice(x, start, Math.min(batchSize, n - start))
      parts.push(folded.run(part))
      part.dispose()
    }
    return tf.concat(parts)
  })
}

/** Frees the folded weights of a model (call before or after disposing the model). */
export function releaseFolded(model: tf.LayersModel): void {
  cache.get(model)?.dispose()
  cache.delete(model)
}
