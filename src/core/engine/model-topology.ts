/**
 * Checks a TF.js Layers `model.json` before TensorFlow.js sees it: a bundle is untrusted input, and tfjs
 * allocates whatever a topology declares (a 1 KB file declaring a 4M-unit dense layer costs gigabytes).
 * Only the layer classes Cohort's zoo writes are accepted; every layer's output shape and weight shapes are
 * computed here from its config, so the parameter count, the weights manifest and the weights' byte size
 * must all agree, and stay under a cap, before a single tensor is made. Plain data in, plain data out.
 */

/** Far above any zoo network Cohort trains (resnet-20 at width 4 with 1000 classes has 4.6 M). */
export const MAX_NETWORK_PARAMS = 16_000_000
/** The zoo's deepest network has under 150 layers. */
export const MAX_LAYERS = 1000
/** model.json of the zoo's largest network is ~40 KB. */
export const MAX_MODEL_JSON_BYTES = 4 * 1024 * 1024

/** A refusal naming what is wrong; the caller says which file. */
export class TopologyError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TopologyError'
  }
}

export interface WeightSpec {
  name: string
  shape: number[]
  dtype: 'float32'
}

export interface CheckedModel {
  /** the topology exactly as given (checked), for tfjs */
  modelTopology: object
  /** the manifest's weights, in file order */
  weightSpecs: WeightSpec[]
  /** weights file names relative to the model's folder, in order */
  weightPaths: string[]
  params: number
  /** 4 bytes per parameter */
  weightBytes: number
}

export interface ExpectedModel {
  /** the image the network takes: [size, size, channels] */
  input: [number, number, number]
  classes: number
}

/** Shape of one image's tensor (no batch dimension). */
type Shape = number[]

const CLASS_OF_TOPOLOGY = 'Model'
/** Initialisers tfjs may construct from a config (never run when weights are given, but deserialised). */
const INITIALISERS = new Set([
  'VarianceScaling',
  'Zeros',
  'Ones',
  'Constant',
  'RandomNormal',
  'RandomUniform',
  'TruncatedNormal',
  'GlorotNormal',
  'GlorotUniform',
  'HeNormal',
  'HeUniform',
  'LeCunNormal',
  'LeCunUniform',
])

const refuse = (text: string): never => {
  throw new TopologyError(text)
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    refuse(`${what} is not a positive whole number`)
  return v as number
}

/** A pair like kernel_size [3, 3] (a single number means both). */
function pair(v: unknown, what: string): [number, number] {
  if (typeof v === 'number') return [positiveInt(v, what), v]
  if (!Array.isArray(v) || v.length !== 2) return refuse(`${what} is not a pair of whole numbers`)
  return [positiveInt(v[0], what), positiveInt(v[1], what)]
}

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1)
}

/** Output length of a windowed dimension, as tfjs computes it. */
function windowed(length: number, window: number, stride: number, padding: unknown, what: string): number {
  if (padding === 'same') return Math.ceil(length / stride)
  if (padding === 'valid') {
    const out = Math.ceil((length - window + 1) / stride)
    if (out < 1) refuse(`${what}'s window (${window}) is larger than its input (${length})`)
    return out
  }
  return refuse(`${what}'s padding ${JSON.stringify(padding)} is not "same" or "valid"`)
}

/** Every nested `class_name` in a layer's config must be a known initialiser; regularisers and constraints none. */
function checkNested(config: Record<string, unknown>, layer: string): void {
  for (const [key, value] of Object.entries(config)) {
    if (/_(regularizer|constraint)$/.test(key) && value !== null && value !== undefined) {
      refuse(`layer ${layer} has a ${key}, which Cohort's networks never have`)
    }
    if (isObject(value) && 'class_name' in value) {
      const name = value['class_name']
      if (typeof name !== 'string' || !INITIALISERS.has(name)) {
        refuse(`layer ${layer}'s ${key} ${JSON.stringify(name)} is not an initialiser Cohort knows`)
      }
    }
  }
}

function channelsLast(config: Record<string, unknown>, layer: string): void {
  const format = config['data_format']
  if (format !== undefined && format !== 'channels_last') {
    refuse(`layer ${layer} uses data format ${JSON.stringify(format)}; Cohort's networks are channels-last`)
  }
}

function image(shape: Shape, layer: string): [number, number, number] {
  if (shape.length !== 3) refuse(`layer ${layer} needs an image-shaped input, not [${shape.join('×')}]`)
  return shape as [number, number, number]
}

/** A (depthwise) convolution's window over its image input: kernel size, input channels, output size. */
function convolution(config: Record<string, unknown>, input: Shape, layer: string) {
  channelsLast(config, layer)
  const [h, w, c] = image(input, layer)
  const [kh, kw] = pair(config['kernel_size'], `layer ${layer}'s kernel size`)
  const [sh, sw] = pair(config['strides'] ?? 1, `layer ${layer}'s strides`)
  const [dh, dw] = pair(config['dilation_rate'] ?? 1, `layer ${layer}'s dilation`)
  const pad = config['padding']
  const outH = windowed(h, (kh - 1) * dh + 1, sh, pad, `layer ${layer}`)
  const outW = windowed(w, (kw - 1) * dw + 1, sw, pad, `layer ${layer}`)
  return { kh, kw, c, outH, outW }
}

interface LayerRule {
  /** the output shape and the layer's weights (name → shape) for its input shapes */
  apply(
    config: Record<string, unknown>,
    inputs: Shape[],
    layer: string,
  ): { output: Shape; weights: [string, Shape][] }
  inputs: 'one' | 'many' | 'none'
}

/** What each zoo layer class does to shapes and which weights it owns (src/core/engine/zoo.ts). */
const LAYERS: Record<string, LayerRule> = {
  InputLayer: {
    inputs: 'none',
    apply(config, _inputs, layer) {
      const shape = config['batch_input_shape']
      if (!Array.isArray(shape) || shape.length !== 4 || shape[0] !== null) {
        refuse(`input layer ${layer} does not take a batch of images`)
      }
      const dims = (shape as unknown[]).slice(1).map((d) => positiveInt(d, `input layer ${layer}'s size`))
      if (config['dtype'] !== undefined && config['dtype'] !== 'float32')
        refuse(`input layer ${layer} is not float32`)
      return { output: dims, weights: [] }
    },
  },
  Conv2D: {
    inputs: 'one',
    apply(config, [input], layer) {
      const { kh, kw, c, outH, outW } = convolution(config, input!, layer)
      const filters = positiveInt(config['filters'], `layer ${layer}'s filters`)
      const output = [outH, outW, filters]
      const weights: [string, Shape][] = [['kernel', [kh, kw, c, filters]]]
      if (config['use_bias'] !== false) weights.push(['bias', [filters]])
      return { output, weights }
    },
  },
  DepthwiseConv2D: {
    inputs: 'one',
    apply(config, [input], layer) {
      const { kh, kw, c, outH, outW } = convolution(config, input!, layer)
      const multiplier = positiveInt(config['depth_multiplier'] ?? 1, `layer ${layer}'s depth multiplier`)
      const output = [outH, outW, c * multiplier]
      const weights: [string, Shape][] = [['depthwise_kernel', [kh, kw, c, multiplier]]]
      if (config['use_bias'] !== false) weights.push(['bias', [c * multiplier]])
      return { output, weights }
    },
  },
  BatchNormalization: {
    inputs: 'one',
    apply(config, [input], layer) {
      const axis = config['axis'] ?? -1
      if (axis !== -1 && axis !== input!.length)
        refuse(`layer ${layer} normalises axis ${String(axis)}, not the channels`)
      const c = input![input!.length - 1]!
      const weights: [string, Shape][] = []
      if (config['scale'] !== false) weights.push(['gamma', [c]])
      if (config['center'] !== false) weights.push(['beta', [c]])
      weights.push(['moving_mean', [c]], ['moving_variance', [c]])
      return { output: input!, weights }
    },
  },
  ReLU: { inputs: 'one', apply: (_config, [input]) => ({ output: input!, weights: [] }) },
  Add: {
    inputs: 'many',
    apply(_config, inputs, layer) {
      const first = inputs[0]!.join('×')
      if (inputs.some((s) => s.join('×') !== first)) refuse(`layer ${layer} adds tensors of different shapes`)
      return { output: inputs[0]!, weights: [] }
    },
  },
  MaxPooling2D: {
    inputs: 'one',
    apply(config, [input], layer) {
      channelsLast(config, layer)
      const [h, w, c] = image(input!, layer)
      const [ph, pw] = pair(config['pool_size'] ?? 2, `layer ${layer}'s pool size`)
      const [sh, sw] = pair(config['strides'] ?? [ph, pw], `layer ${layer}'s strides`)
      const pad = config['padding'] ?? 'valid'
      return {
        output: [windowed(h, ph, sh, pad, `layer ${layer}`), windowed(w, pw, sw, pad, `layer ${layer}`), c],
        weights: [],
      }
    },
  },
  GlobalAveragePooling2D: {
    inputs: 'one',
    apply(config, [input], layer) {
      channelsLast(config, layer)
      return { output: [image(input!, layer)[2]], weights: [] }
    },
  },
  Dense: {
    inputs: 'one',
    apply(config, [input], layer) {
      const units = positiveInt(config['units'], `layer ${layer}'s units`)
      const last = input![input!.length - 1]!
      const weights: [string, Shape][] = [['kernel', [last, units]]]
      if (config['use_bias'] !== false) weights.push(['bias', [units]])
      return { output: [...input!.slice(0, -1), units], weights }
    },
  },
}

/** The tensors a layer is called on: `[[name, node, index, kwargs], …]` of its single call. */
function inboundNames(layer: Record<string, unknown>, name: string): string[] {
  const nodes = layer['inbound_nodes']
  if (!Array.isArray(nodes)) return refuse(`layer ${name} has no inbound list`)
  if (nodes.length === 0) return []
  if (nodes.length !== 1 || !Array.isArray(nodes[0])) return refuse(`layer ${name} is used more than once`)
  return (nodes[0] as unknown[]).map((ref) => {
    if (!Array.isArray(ref) || typeof ref[0] !== 'string' || ref[1] !== 0 || ref[2] !== 0) {
      return refuse(`layer ${name} has a malformed input reference`)
    }
    return ref[0] as string
  })
}

function singleRef(list: unknown, what: string): string {
  if (
    !Array.isArray(list) ||
    list.length !== 1 ||
    !Array.isArray(list[0]) ||
    typeof list[0][0] !== 'string'
  ) {
    return refuse(`the model must have exactly one ${what}`)
  }
  return list[0][0] as string
}

/**
 * Checks a parsed model.json: topology, shapes against `expected`, the weights manifest against the weights
 * the topology implies, and the parameter cap. Throws TopologyError with the first problem.
 */
export function checkModelJson(json: unknown, expected?: ExpectedModel): CheckedModel {
  if (!isObject(json)) return refuse('it is not a JSON object')
  const topology = json['modelTopology']
  const manifest = json['weightsManifest']
  if (!isObject(topology) || !Array.isArray(manifest)) {
    return refuse('it is not a TensorFlow.js Layers model (no topology or weights manifest)')
  }
  if (topology['class_name'] !== CLASS_OF_TOPOLOGY) {
    refuse(`its topology is a ${JSON.stringify(topology['class_name'])}, not a Model`)
  }
  const config = topology['config']
  if (!isObject(config) || !Array.isArray(config['layers'])) return refuse('its topology has no layer list')
  const layers = config['layers'] as unknown[]
  if (layers.length > MAX_LAYERS) refuse(`it has ${layers.length} layers; the limit is ${MAX_LAYERS}`)

  const shapes = new Map<string, Shape>()
  const expectedWeights = new Map<string, Shape>()
  for (const raw of layers) {
    if (!isObject(raw) || !isObject(raw['config'])) return refuse('a layer is malformed')
    const name = raw['name']
    if (typeof name !== 'string' || !name || raw['config']['name'] !== name)
      refuse('a layer has no consistent name')
    const label = JSON.stringify(name)
    if (shapes.has(name as string)) refuse(`two layers are named ${label}`)
    const className = raw['class_name']
    const rule =
      typeof className === 'string' && Object.hasOwn(LAYERS, className) ? LAYERS[className] : undefined
    if (!rule) {
      return refuse(
        `layer ${label} is a ${JSON.stringify(className)}, which is not a layer of Cohort's networks (${Object.keys(LAYERS).join(', ')})`,
      )
    }
    checkNested(raw['config'], label)
    const inputs = inboundNames(raw, label).map(
      (from) =>
        shapes.get(from) ?? refuse(`layer ${label} uses ${JSON.stringify(from)} before it is defined`),
    )
    const arity = rule.inputs
    if ((arity === 'none') !== (inputs.length === 0)) refuse(`layer ${label} has the wrong number of inputs`)
    if (arity === 'one' && inputs.length !== 1) refuse(`layer ${label} takes one input`)
    if (arity === 'many' && inputs.length < 2) refuse(`layer ${label} needs at least two inputs`)
    const { output, weights } = rule.apply(raw['config'], inputs, label)
    shapes.set(name as string, output)
    for (const [weight, shape] of weights) expectedWeights.set(`${name as string}/${weight}`, shape)
  }

  const inputName = singleRef(config['input_layers'], 'input')
  const outputName = singleRef(config['output_layers'], 'output')
  const input = shapes.get(inputName) ?? refuse(`its input ${JSON.stringify(inputName)} is not a layer`)
  const output = shapes.get(outputName) ?? refuse(`its output ${JSON.stringify(outputName)} is not a layer`)
  if (input.length !== 3 || output.length !== 1) {
    refuse(`it takes [${input.join('×')}] and gives [${output.join('×')}]; a classifier of images is needed`)
  }
  if (expected && (input.join('×') !== expected.input.join('×') || output[0] !== expected.classes)) {
    refuse(
      `it takes [${input.join('×')}] and gives ${output[0]} outputs, but the bundle's metadata says ` +
        `${expected.input.join('×')} images and ${expected.classes} classes: the folder mixes different models`,
    )
  }

  let params = 0
  for (const shape of expectedWeights.values()) params += size(shape)
  if (params > MAX_NETWORK_PARAMS) {
    refuse(
      `it declares ${params.toLocaleString('en')} parameters; the limit is ${MAX_NETWORK_PARAMS.toLocaleString('en')}`,
    )
  }

  const weightSpecs: WeightSpec[] = []
  const weightPaths: string[] = []
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group['paths']) || !Array.isArray(group['weights'])) {
      return refuse('its weights manifest is malformed')
    }
    for (const p of group['paths'] as unknown[]) {
      if (typeof p !== 'string' || !p) refuse('a weights path in its manifest is not a file name')
      weightPaths.push(p as string)
    }
    for (const w of group['weights'] as unknown[]) {
      if (!isObject(w) || typeof w['name'] !== 'string' || !Array.isArray(w['shape'])) {
        return refuse('a weight in its manifest is malformed')
      }
      const name = w['name']
      const want =
        expectedWeights.get(name) ??
        refuse(`its manifest lists a weight ${JSON.stringify(name)} no layer has`)
      if (w['dtype'] !== 'float32') refuse(`weight ${name} is ${JSON.stringify(w['dtype'])}, not float32`)
      if (w['quantization'] !== undefined) refuse(`weight ${name} is quantised`)
      const shape = w['shape'] as unknown[]
      if (shape.join('×') !== want.join('×')) {
        refuse(`weight ${name} has shape [${shape.join('×')}] but its layer needs [${want.join('×')}]`)
      }
      if (weightSpecs.some((s) => s.name === name)) refuse(`weight ${name} is listed twice`)
      weightSpecs.push({ name, shape: [...want], dtype: 'float32' })
    }
  }
  if (weightSpecs.length !== expectedWeights.size) {
    const missing = [...expectedWeights.keys()].find((n) => !weightSpecs.some((s) => s.name === n))
    refuse(`its manifest has no weight ${missing ?? '?'}`)
  }
  if (weightPaths.length === 0 && params > 0) refuse('its manifest names no weights file')
  return { modelTopology: topology, weightSpecs, weightPaths, params, weightBytes: params * 4 }
}
