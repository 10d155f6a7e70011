/**
 * Model bundles an attacker (or a damaged copy) could hand Cohort, each a real bundle written by
 * makeTestBundle with one thing changed in its first network. Used by the unit and security tests.
 */
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const HOSTILE_BUNDLES = [
  /** a 1 KB change declaring a 4M-unit dense layer (the weights file is left as it was) */
  'huge-dense',
  /** weights.bin is a link to a file outside the bundle with exactly the right size */
  'symlinked-weights',
  /** the network's folder is a link to a folder outside the bundle */
  'symlinked-network',
  /** the manifest names ../network-0x/w.bin, which shares the network folder's prefix */
  'dotdot-weights',
  /** a layer class tfjs knows but Cohort's zoo never writes */
  'unknown-layer',
  /** the manifest gives a weight another shape of the same size */
  'manifest-mismatch',
] as const
export type HostileBundle = (typeof HOSTILE_BUNDLES)[number]

interface Layer {
  name: string
  class_name: string
  config: Record<string, unknown>
  inbound_nodes: unknown[]
}
interface ModelJson {
  modelTopology: { config: { layers: Layer[] } }
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[]
}

/** Copies the good bundle in `good` to `dir` and makes it hostile; `outside` is a folder beside it. */
export function makeHostileBundle(good: string, dir: string, kind: HostileBundle, outside: string): string {
  rmSync(dir, { recursive: true, force: true })
  cpSync(good, dir, { recursive: true })
  mkdirSync(outside, { recursive: true })
  const net = join(dir, 'network-0')
  const modelFile = join(net, 'model.json')
  const model = JSON.parse(readFileSync(modelFile, 'utf8')) as ModelJson
  const layers = model.modelTopology.config.layers
  const save = (): void => writeFileSync(modelFile, JSON.stringify(model))
  if (kind === 'huge-dense') {
    const logits = layers.findIndex((l) => l.name === 'logits')
    const big: Layer = {
      name: 'big',
      class_name: 'Dense',
      config: { ...layers[logits]!.config, name: 'big', units: 4_000_000 },
      inbound_nodes: layers[logits]!.inbound_nodes,
    }
    layers[logits]!.inbound_nodes = [[['big', 0, 0, {}]]]
    layers.splice(logits, 0, big)
    save()
  } else if (kind === 'symlinked-weights') {
    const stolen = join(outside, 'private.bin')
    renameSync(join(net, 'weights.bin'), stolen)
    symlinkSync(stolen, join(net, 'weights.bin'))
  } else if (kind === 'symlinked-network') {
    const elsewhere = join(outside, 'network-0')
    rmSync(elsewhere, { recursive: true, force: true })
    renameSync(net, elsewhere)
    symlinkSync(elsewhere, net)
  } else if (kind === 'dotdot-weights') {
    mkdirSync(join(dir, 'network-0x'))
    renameSync(join(net, 'weights.bin'), join(dir, 'network-0x', 'w.bin'))
    model.weightsManifest[0]!.paths = ['../network-0x/w.bin']
    save()
  } else if (kind === 'unknown-layer') {
    const relu = layers.find((l) => l.class_name === 'ReLU')!
    relu.class_name = 'Activation'
    relu.config = { activation: 'relu', name: relu.name, trainable: true }
    save()
  } else {
    const conv = model.weightsManifest[0]!.weights.find((w) => w.name === 'conv1/kernel')!
    conv.shape = [...conv.shape].reverse()
    save()
  }
  return dir
}
