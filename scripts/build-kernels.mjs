#!/usr/bin/env node
/**
 * Builds Cohort's native training kernels (native/kernels/*.c) into resources/kernels/cohort-kernels.wasm
 * with Debian's clang-14 and wasm-ld-14 (apt install clang-14 lld-14). The binary is committed, so users
 * never need a compiler; `--check` rebuilds into a temporary file and fails if the committed one differs.
 *
 *   node scripts/build-kernels.mjs           rebuild resources/kernels/cohort-kernels.wasm
 *   node scripts/build-kernels.mjs --check   exit 1 if the committed binary is stale, 2 if clang is missing
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const sourceDir = path.join(root, 'native', 'kernels')
const target = path.join(root, 'resources', 'kernels', 'cohort-kernels.wasm')
const CLANG = process.env.CLANG ?? 'clang-14'
const WASM_LD = process.env.WASM_LD ?? 'wasm-ld-14'

// SIMD128 + shared memory. No relaxed SIMD: clang 14 emits pre-standard opcodes that Node 20 rejects.
const CFLAGS = ['--target=wasm32', '-msimd128', '-matomics', '-mbulk-memory', '-O3', '-nostdlib']
CFLAGS.push('-ffreestanding', '-fno-builtin', '-Wall', '-Wextra', '-Werror')
// Every thread instantiates the module on one shared memory, imported from JavaScript. 2 GiB at most.
const LDFLAGS = ['--no-entry', '--import-memory', '--shared-memory', '--max-memory=2147483648']
LDFLAGS.push('--export-dynamic', '--strip-all')

function tool(name, args) {
  try {
    execFileSync(name, args, { stdio: ['ignore', 'inherit', 'inherit'] })
  } catch (error) {
    if (error.code === 'ENOENT') {
      console.error(`${name} is not installed: apt-get install clang-14 lld-14 (or set CLANG / WASM_LD)`)
      process.exit(2)
    }
    console.error(`${name} failed`)
    process.exit(1)
  }
}

function build(out) {
  const work = mkdtempSync(path.join(tmpdir(), 'cohort-kernels-'))
  try {
    const sources = readdirSync(sourceDir)
      .filter((f) => f.endsWith('.c'))
      .sort()
    const objects = sources.map((file) => {
      const object = path.join(work, file.replace(/\.c$/, '.o'))
      // Relative source paths keep the object files independent of where the repository lives.
      tool(CLANG, [...CFLAGS, '-c', path.join('native', 'kernels', file), '-o', object])
      return object
    })
    tool(WASM_LD, [...LDFLAGS, ...objects, '-o', out])
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

process.chdir(root)
if (process.argv.includes('--check')) {
  const work = mkdtempSync(path.join(tmpdir(), 'cohort-kernels-check-'))
  try {
    const fresh = path.join(work, 'cohort-kernels.wasm')
    build(fresh)
    if (!readFileSync(fresh).equals(readFileSync(target))) {
      console.error(
        `${path.relative(root, target)} is stale: it differs from a build of native/kernels. Run npm run build:kernels and commit it.`,
      )
      process.exit(1)
    }
    console.log(`${path.relative(root, target)} matches native/kernels`)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
} else {
  build(target)
  const size = readFileSync(target).length
  console.log(`built ${path.relative(root, target)} (${size} bytes)`)
}
