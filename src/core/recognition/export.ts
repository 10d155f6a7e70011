/**
 * Moving model bundles in and out of the library: export copies a run's trained networks to a folder of the
 * user's (loadable by Cohort and by TensorFlow.js in a browser); import validates a bundle fully and copies
 * it into the library so it can be used for recognition like a run's own model.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelCopyReport } from '../../shared/types'
import { MODEL_FILE } from '../engine/model-files'
import { plainErrorText } from '../files/read'
import {
  bundleFromFiles,
  disposeModelBundle,
  METADATA_FILE,
  ModelBundleError,
  readBundleFiles,
  type BundleFiles,
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
  return (await verifiedBundleFiles(dir)).metadata
}

/** The bundle's files, read and checked once, after every network loaded from exactly those bytes. */
async function verifiedBundleFiles(dir: string): Promise<BundleFiles> {
  const files = await readBundleFiles(dir)
  disposeModelBundle(await bundleFromFiles(files))
  return files
}

/** The verified bytes to write, relative to the bundle folder: each network's files, metadata.json last. */
function bundleContents(files: BundleFiles): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = []
  for (const [i, network] of files.networks.entries()) {
    const dir = files.metadata.networks[i]!.dir
    out.push({ path: join(dir, MODEL_FILE), bytes: network.modelJson })
    for (const w of network.weights) out.push({ path: join(dir, w.path), bytes: w.bytes })
  }
  // last, so a copy interrupted part-way is not mistaken for a complete bundle
  out.push({ path: METADATA_FILE, bytes: files.metadataBytes })
  return out
}

async function isMissingOrEmpty(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return true
    if (code === 'ENOTDIR') throw new ModelExportError(`${dir} is a file, not a folder.`)
    throw new ModelExportError(`Cannot open ${dir}: ${plainErrorText(err)}`)
  }
}

/** Copies a verified bundle into `outDir` (new or empty); on failure nothing half-written is left there. */
async function copyBundle(srcDir: string, outDir: string): Promise<ModelCopyReport> {
  // the very bytes that were checked and loaded are written: a file swapped meanwhile is never copied
  const verified = await verifiedBundleFiles(srcDir)
  const files = bundleContents(verified)
  const metadata = verified.metadata
  await mkdir(outDir, { recursive: true }).catch((err: unknown) => {
    throw new ModelExportError(`Cannot make the folder ${outDir}: ${plainErrorText(err)}`)
  })
  let bytes = 0
  try {
    for (const f of files) {
      await mkdir(join(outDir, f.path, '..'), { recursive: true })
      await writeFile(join(outDir, f.path), f.bytes, { flag: 'wx' })
      bytes += f.bytes.length
    }
  } catch (err) {
    for (const entry of await readdir(outDir)) await rm(join(outDir, entry), { recursive: true, force: true })
    throw new ModelExportError(`Copying the model to ${outDir} failed: ${plainErrorText(err)}`)
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
