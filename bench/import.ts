/**
 * Import benchmark: N JPEGs of 256×256 imported into a fresh library, beside the bare sharp loop over the
 * same files (read + sha256 + full decode + thumbnail encode + write, no database) so the reader sees
 * what the store adds. Run: node --import tsx bench/import.ts [--count N] [--json]
 */
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { link, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import sharp from 'sharp'
import { DEFAULT_CONCURRENCY, importFolder } from '../src/core/dataset/import'
import { THUMBNAIL_SIZE } from '../src/core/dataset/thumbnails'
import { openDatabase } from '../src/core/store/db'

const SIDE = 256
const LABELS = 10

export interface ImportBenchmarkOptions {
  count?: number
  /** where the generated JPEGs are kept between runs */
  cacheDir?: string
}

export interface ImportBenchmarkResult {
  count: number
  seconds: number
  imagesPerSecond: number
  peer: { name: string; seconds: number; imagesPerSecond: number }
  /** how much slower the import is than the bare loop, in percent */
  overheadPercent: number
  concurrency: number
}

export async function runImportBenchmark(
  options: ImportBenchmarkOptions = {},
): Promise<ImportBenchmarkResult> {
  const count = options.count ?? 10_000
  const cacheDir = options.cacheDir ?? join(tmpdir(), `cohort-bench-jpeg-${SIDE}`)
  const files = await ensureJpegs(cacheDir, count)
  const work = await mkdtemp(join(tmpdir(), 'cohort-bench-import-'))
  try {
    const peerSeconds = await timed(() => bareSharpLoop(files, join(work, 'peer-thumbnails')))
    const folder = await linkFolder(files, join(work, 'photos'))
    const db = openDatabase(join(work, 'library.sqlite'))
    let imported = 0
    const seconds = await timed(async () => {
      const report = await importFolder(
        { db, thumbnailsDir: join(work, 'thumbnails') },
        { folder, dataset: 'bench' },
      )
      imported = report.imported
    })
    db.close()
    if (imported !== count) throw new Error(`the benchmark imported ${imported} of ${count} images`)
    return {
      count,
      seconds,
      imagesPerSecond: count / seconds,
      peer: {
        name: 'bare sharp loop (read, hash, decode, thumbnail; no database)',
        seconds: peerSeconds,
        imagesPerSecond: count / peerSeconds,
      },
      overheadPercent: (seconds / peerSeconds - 1) * 100,
      concurrency: DEFAULT_CONCURRENCY,
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

export function printImportBenchmark(r: ImportBenchmarkResult): void {
  const line = (name: string, seconds: number, rate: number): string =>
    `${name.padEnd(66)} ${seconds.toFixed(2).padStart(7)} s ${rate.toFixed(0).padStart(6)} images/s`
  console.log(`import of ${r.count} JPEGs ${SIDE}×${SIDE}, ${r.concurrency} files in flight`)
  console.log(line('importFolder (scan, hash, decode, thumbnail, rows)', r.seconds, r.imagesPerSecond))
  console.log(line(r.peer.name, r.peer.seconds, r.peer.imagesPerSecond))
  console.log(`store overhead: ${r.overheadPercent.toFixed(0)} %`)
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now()
  await fn()
  return (performance.now() - started) / 1000
}

/** Generates (once, cached) varied JPEGs: a per-image gradient with noise, quality 90. */
async function ensureJpegs(dir: string, count: number): Promise<string[]> {
  const files = Array.from({ length: count }, (_, i) => join(dir, `${i}.jpg`))
  await mkdir(dir, { recursive: true })
  await pool(files, DEFAULT_CONCURRENCY, async (file, i) => {
    if (existsSync(file)) return
    const pixels = Buffer.alloc(SIDE * SIDE * 3)
    let s = (i + 1) * 2654435761
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        s = (s * 1103515245 + 12345) >>> 0
        const o = (y * SIDE + x) * 3
        pixels[o] = (x + i * 7) & 0xff
        pixels[o + 1] = (y + i * 13) & 0xff
        pixels[o + 2] = ((x ^ y) + (s >>> 24)) & 0xff
      }
    }
    const jpeg = await sharp(pixels, { raw: { width: SIDE, height: SIDE, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer()
    // through a temporary name, so an interrupted generation never leaves a half file in the cache
    await writeFile(`${file}.tmp`, jpeg)
    await rename(`${file}.tmp`, file)
  })
  return files
}

/** The import's folder: label sub-folders of hard links into the cache (regular files, no copying). */
async function linkFolder(files: readonly string[], folder: string): Promise<string> {
  for (let l = 0; l < LABELS; l++) await mkdir(join(folder, `class-${l}`), { recursive: true })
  await pool(files, 16, (file, i) => link(file, join(folder, `class-${i % LABELS}`, `${i}.jpg`)))
  return folder
}

async function bareSharpLoop(files: readonly string[], thumbnailsDir: string): Promise<void> {
  await mkdir(thumbnailsDir, { recursive: true })
  await pool(files, DEFAULT_CONCURRENCY, async (file) => {
    const bytes = await readFile(file)
    const hash = createHash('sha256').update(bytes).digest('hex')
    const thumbnail = await sharp(bytes, { failOn: 'truncated' })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 80 })
      .toBuffer()
    await writeFile(join(thumbnailsDir, `${hash}.jpg`), thumbnail)
  })
}

async function pool<T>(
  items: readonly T[],
  width: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      await work(items[i]!, i)
    }
  }
  await Promise.all(Array.from({ length: width }, worker))
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2)
  const countArg = args.indexOf('--count')
  const count = countArg >= 0 ? Number(args[countArg + 1]) : 10_000
  if (!Number.isInteger(count) || count < 1) {
    console.error('--count must be a positive whole number')
    process.exit(2)
  }
  const result = await runImportBenchmark({ count })
  if (args.includes('--json')) console.log(JSON.stringify(result, null, 2))
  else printImportBenchmark(result)
}
