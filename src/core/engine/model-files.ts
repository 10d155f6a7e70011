/**
 * Saving and loading networks as TensorFlow.js Layers models (`model.json` + `weights.bin`) with plain
 * file IO, so it works on every backend (tfjs-node's `file://` handler is not always installed) and the
 * files load unchanged in a browser with `tf.loadLayersModel`.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { FileRefusedError, readFileBounded, refusalText } from '../files/read'
import {
  checkModelJson,
  MAX_MODEL_JSON_BYTES,
  TopologyError,
  type CheckedModel,
  type ExpectedModel,
} from './model-topology'

export const MODEL_FILE = 'model.json'
export const WEIGHTS_FILE = 'weights.bin'

export class ModelFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelFileError'
  }
}

/** Writes `dir/model.json` and `dir/weights.bin` (each written to a temporary name, then renamed). */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true })
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData
      const weights =
        data === undefined
          ? Buffer.alloc(0)
          : Buffer.from(tf.io.concatenateArrayBuffers(data as ArrayBuffer | ArrayBuffer[]))
      const modelJson = {
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      }
      await atomicWrite(join(dir, WEIGHTS_FILE), weights)
      await atomicWrite(join(dir, MODEL_FILE), Buffer.from(JSON.stringify(modelJson)))
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          weightDataBytes: weights.length,
        },
      }
    }),
  )
}

/** A network's files as read and checked: the exact bytes to load or to copy, nothing read twice. */
export interface ModelFiles {
  dir: string
  checked: CheckedModel
  /** model.json as read */
  modelJson: Buffer
  /** the weights files, relative to `dir`, in manifest order */
  weights: { path: string; bytes: Buffer }[]
}

/**
 * Reads `dir/model.json` and its weights through the bounded reader, without following symbolic links, and
 * checks the topology, the manifest and the weights' size (see model-topology.ts) before tfjs sees any of it.
 * `expected` (from the bundle's metadata) also checks the input and the number of classes.
 */
export async function readModelFiles(dir: string, expected?: ExpectedModel): Promise<ModelFiles> {
  const modelFile = join(dir, MODEL_FILE)
  let modelJson: Buffer
  try {
    modelJson = await readFileBounded(modelFile, { maxBytes: MAX_MODEL_JSON_BYTES, noFollow: true })
  } catch (err) {
    if (err instanceof FileRefusedError) {
      throw new ModelFileError(`Cannot read a model from ${dir}: ${MODEL_FILE}: ${refusalText(err)}`)
    }
    throw err
  }
  let checked: CheckedModel
  try {
    checked = checkModelJson(JSON.parse(modelJson.toString('utf8')), expected)
  } catch (err) {
    const problem = err instanceof TopologyError ? err.message : 'it is not valid JSON'
    throw new ModelFileError(`This model is not one Cohort can open: ${problem} (${modelFile}).`)
  }
  const weights: ModelFiles['weights'] = []
  let remaining = checked.weightBytes
  const mismatched = (have: string): ModelFileError =>
    new ModelFileError(
      `The weights in ${dir} are ${have} bytes but the model needs ${checked.weightBytes}: the files are damaged or mismatched.`,
    )
  for (const p of checked.weightPaths) {
    const rel = relative(dir, resolve(dir, p))
    // a plain file beside model.json: no folder to be a link, no way out of the model's folder
    if (!rel || isAbsolute(rel) || rel.split(sep).includes('..') || rel.includes(sep)) {
      throw new ModelFileError(`A weights path in ${MODEL_FILE} is not a file in the model folder: ${p}`)
    }
    let bytes: Buffer
    try {
      bytes = await readFileBounded(join(dir, rel), { maxBytes: remaining, noFollow: true })
    } catch (err) {
      if (!(err instanceof FileRefusedError)) throw err
      if (err.reason === 'too-large') throw mismatched('more than those')
      throw new ModelFileError(`Cannot read the weights file ${join(dir, rel)}: ${refusalText(err)}`)
    }
    remaining -= bytes.length
    weights.push({ path: rel, bytes })
  }
  if (remaining !== 0) throw mismatched(String(checked.weightBytes - remaining))
  return { dir, checked, modelJson, weights }
}

/** Builds the tfjs model from files read and checked by readModelFiles. */
export async function modelFromFiles(files: ModelFiles): Promise<tf.LayersModel> {
  const all = Buffer.concat(files.weights.map((w) => w.bytes))
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer
  const { modelTopology, weightSpecs } = files.checked
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology, weightSpecs, weightData }))
}

/** Loads a model saved by saveModel (a TF.js Layers model of the zoo's layers, float32 weights). */
export async function loadModel(dir: string, expected?: ExpectedModel): Promise<tf.LayersModel> {
  return modelFromFiles(await readModelFiles(dir, expected))
}

async function atomicWrite(file: string, data: Buffer): Promise<void> {
  const temp = `${file}.tmp`
  await writeFile(temp, data)
  await rename(temp, file)
}
