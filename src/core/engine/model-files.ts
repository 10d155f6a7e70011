/**
 * Saving and loading networks as TensorFlow.js Layers models (`model.json` + `weights.bin`) with plain
 * file IO, so it works on every backend (tfjs-node's `file://` handler is not always installed) and the
 * files load unchanged in a browser with `tf.loadLayersModel`.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'

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

/** Loads a model saved by saveModel (or any single-shard TF.js Layers model). */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  let json: {
    modelTopology?: object
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]
  }
  try {
    json = JSON.parse(await readFile(join(dir, MODEL_FILE), 'utf8'))
  } catch (err) {
    throw new ModelFileError(`Cannot read a model from ${dir}: ${(err as Error).message}`)
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFileError(
      `${join(dir, MODEL_FILE)} is not a TensorFlow.js Layers model (no topology or weights manifest).`,
    )
  }
  const specs: tf.io.WeightsManifestEntry[] = []
  const buffers: Buffer[] = []
  for (const group of json.weightsManifest) {
    specs.push(...group.weights)
    for (const p of group.paths) {
      const file = join(dir, p)
      if (!file.startsWith(dir))
        throw new ModelFileError(`A weights path in ${MODEL_FILE} leaves the model folder: ${p}`)
      try {
        buffers.push(await readFile(file))
      } catch (err) {
        throw new ModelFileError(`Cannot read the weights file ${file}: ${(err as Error).message}`)
      }
    }
  }
  const all = Buffer.concat(buffers)
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * bytesPer(s.dtype), 0)
  if (all.length !== expected) {
    throw new ModelFileError(
      `The weights in ${dir} are ${all.length} bytes but the model needs ${expected}: the files are damaged or mismatched.`,
    )
  }
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.length) as ArrayBuffer
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }),
  )
}

function bytesPer(dtype: string): number {
  return dtype === 'float32' || dtype === 'int32'
    ? 4
    : dtype === 'bool' || dtype === 'uint8'
      ? 1
      : dtype === 'float16'
        ? 2
        : 4
}

async function atomicWrite(file: string, data: Buffer): Promise<void> {
  const temp = `${file}.tmp`
  await writeFile(temp, data)
  await rename(temp, file)
}
