// `npm start`: build the app and open it in Electron.
// better-sqlite3 is a native module compiled for Node (the CLI and tests use it); Electron has its own
// ABI, so a second copy is compiled for Electron here, on first start, into .electron-native/, and
// handed to the app through COHORT_SQLITE_BINDING. Node's copy stays untouched, so `npm test` keeps working.
import { execFileSync, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const electronVersion = require('electron/package.json').version
const nativeDir = join(
  root,
  '.electron-native',
  `electron-${electronVersion}-${process.platform}-${process.arch}`,
)
const binding = join(nativeDir, 'build', 'Release', 'better_sqlite3.node')

function run(cmd, args, cwd) {
  execFileSync(cmd, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' })
}

if (!existsSync(binding)) {
  console.log(`Preparing better-sqlite3 for Electron ${electronVersion} (first start only)…`)
  rmSync(nativeDir, { recursive: true, force: true })
  mkdirSync(nativeDir, { recursive: true })
  const source = dirname(require.resolve('better-sqlite3/package.json'))
  cpSync(source, nativeDir, { recursive: true, filter: (p) => !p.includes(`${join(source, 'build')}`) })
  const common = ['--runtime=electron', `--target=${electronVersion}`, `--arch=${process.arch}`]
  try {
    // a prebuilt binary when one exists for this platform…
    run('npx', ['--yes', 'prebuild-install', ...common], nativeDir)
  } catch {
    // …otherwise compile against Electron's headers
    run(
      'npx',
      ['--yes', 'node-gyp', 'rebuild', '--release', ...common, '--dist-url=https://electronjs.org/headers'],
      nativeDir,
    )
  }
}

const env = { ...process.env, COHORT_SQLITE_BINDING: binding }
if (process.argv.includes('--dev')) {
  // `npm run dev`: electron-vite's dev server with hot reload launches Electron itself
  const dev = spawn('npx', ['electron-vite', 'dev'], {
    cwd: root,
    stdio: 'inherit',
    env,
    shell: process.platform === 'win32',
  })
  dev.on('exit', (code) => process.exit(code ?? 0))
} else {
  run('npx', ['electron-vite', 'build'], root)
  const electron = require('electron') // the path of the Electron binary (downloaded on first launch)
  const child = spawn(electron, [root], { stdio: 'inherit', env })
  child.on('exit', (code) => process.exit(code ?? 0))
}
