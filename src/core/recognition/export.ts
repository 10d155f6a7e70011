/**
 * Moving model bundles in and out of the library: export copies a run's trained networks to a folder of the
 * user's (loadable by Cohort and by TensorFlow.js in a browser); import validates a bundle fully and copies
 * it into the library so it can be used for recognition like a run's own model.
 */
import { randomBytes } from 'node:crypto'
import { copyFile, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelCopyReport } from '../../shared/types'
import { MODEL_FILE } from '../engine/model-files'
import {
  disposeModelBundle,
  METADATA_FILE,
  ModelBundleError,
  readModelBundle,
  type ModelMetadata,
} from '../engine/model-metadata'

export class ModelExportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelExportError'
  }
}

/** Loads every network of the bundle (then lets them go): the files are complete and match the metadata. */
export async function verifyModelBundle(dir: string): Promise<ModelMetadata> {
  const bundle = await readModelBundle(dir)
  disposeModelBundle(bundle)
  return bundle.metadata
}

/** The bundle's files, relative to its folder: each network's model.json and weights, metadata.json last. */
async function bundleFiles(dir: string, metadata: ModelMetadata): Promise<string[]> {
  const files: string[] = []
  for (const n of metadata.networks) {
    const manifest = JSON.parse(await readFile(join(dir, n.dir, MODEL_FILE), 'utf8')) as {
      weightsManifest: { paths: string[] }[]
    }
    files.push(join(n.dir, MODEL_FILE))
    for (const group of manifest.weightsManifest) for (const p of group.paths) files.push(join(n.dir, p))
  }
  // last, so a copy interrupted part-way is not mistaken for a complete bundle
  files.push(METADATA_FILE)
  return files
}

async function isMissingOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return true
    if (code === 'ENOTDIR') throw new ModelExportError(`${dir} is a file, not a folder.`)
    throw new ModelExportError(`Cannot open ${dir}: ${(err as Error).message}`)
  }
}

/** Copies a verified bundle into `outDir` (new or empty); on failure nothing half-written is left there. */
async function copyBundle(srcDir: string, outDir: string): Promise<ModelCopyReport> {
  const metadata = await verifyModelBundle(srcDir)
  const files = await bundleFiles(srcDir, metadata)
  await mkdir(outDir, { recursive: true })
  let bytes = 0
  try {
    for (const f of files) {
      await mkdir(join(outDir, f, '..'), { recursive: true })
      await copyFile(join(srcDir, f), join(outDir, f))
      bytes += (await stat(join(outDir, f))).size
    }
  } catch (err) {
    for (const entry of await readdir(outDir)) await rm(join(outDir, entry), { recursive: true, force: true })
    throw new ModelExportError(`Copying the model to ${outDir} failed: ${(err as Error).message}`)
  }
  return { dir: outDir, files: files.length, bytes, metadata }
}

/** Copies the bundle in `srcDir` to `outDir`, which must be new or empty (nothing of the user's is overwritten). */
export async function exportBundle(srcDir: string, outDir: string): Promise<ModelCopyReport> {
  if (!(await isMissingOrEmpty(outDir))) {
    throw new ModelExportError(`${outDir} is not empty; export the model to a new or empty folder.`)
  }
  return copyBundle(srcDir, outDir)
}

/**
 * Validates the bundle in `dir` fully (metadata and every network's weights) and copies it into a new folder
 * under `modelsDir`, so the library keeps working if the original folder goes away.
 */
export async function importBundle(dir: string, modelsDir: string): Promise<ModelCopyReport> {
  try {
    await stat(dir)
  } catch {
    throw new ModelBundleError(`There is no folder ${dir} to import a model from.`)
  }
  const name = `imported-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`
  return copyBundle(dir, join(modelsDir, name))
}
