import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import prettier from 'eslint-config-prettier'

/**
 * The layers of docs/ARCHITECTURE.md and what each may import (besides itself and npm packages). Every
 * name is unique in src, so an import is known by the layer name after its `../` steps.
 */
const LAYERS = {
  shared: { dir: 'src/shared', may: [] },
  paths: { dir: 'src/core/paths.ts', may: [] },
  files: { dir: 'src/core/files', may: ['shared'] },
  store: { dir: 'src/core/store', may: ['shared'] },
  dataset: { dir: 'src/core/dataset', may: ['store', 'files', 'shared'] },
  engine: { dir: 'src/core/engine', may: ['files', 'shared'] },
  training: { dir: 'src/core/training', may: ['engine', 'paths', 'shared'] },
  recognition: { dir: 'src/core/recognition', may: ['engine', 'dataset', 'store', 'files', 'shared'] },
  suggestions: {
    dir: 'src/core/suggestions',
    may: ['recognition', 'dataset', 'store', 'engine', 'training', 'shared'],
  },
  service: {
    dir: 'src/core/service',
    may: ['store', 'dataset', 'engine', 'training', 'recognition', 'suggestions', 'files', 'paths', 'shared'],
  },
  trainer: {
    dir: 'src/trainer',
    may: ['training', 'engine', 'dataset', 'store', 'suggestions', 'paths', 'shared'],
  },
  experiment: {
    dir: 'src/experiment',
    may: ['training', 'engine', 'dataset', 'suggestions', 'paths', 'shared'],
  },
  main: { dir: 'src/main', may: ['service', 'shared'] },
  preload: { dir: 'src/preload', may: ['shared'] },
  server: { dir: 'src/server', may: ['service', 'shared'] },
  cli: { dir: 'src/cli', may: ['service', 'server', 'experiment', 'shared'] },
  renderer: { dir: 'src/renderer', may: ['shared'] },
}
/** Files allowed one more layer than their folder, and why (docs/ARCHITECTURE.md lists them). */
const EXCEPTIONS = [
  // `cohort doctor` checks and restores the library file while it is closed, before any service opens it
  { files: ['src/cli/commands/doctor.ts'], layer: 'cli', also: ['store'] },
]
const SHELL_PACKAGES = ['main', 'preload'] // only the Electron shell may import electron
const SQL_MESSAGE = 'SQL lives in src/core/store: call (or add) a typed repository function there.'

const layerPattern = (names) => `^(\\.\\./)+(core/)?(${names.join('|')})(/|$)`
const filesOf = (dir) => (dir.endsWith('.ts') ? [dir] : [`${dir}/**/*.{ts,vue}`])

function layerRules(layer, may) {
  const forbidden = Object.keys(LAYERS).filter((name) => name !== layer && !may.includes(name))
  const message = `${layer} may import only ${may.length ? may.join(', ') : 'packages'} (docs/ARCHITECTURE.md, Folders).`
  const patterns = [{ regex: layerPattern(forbidden), message }]
  if (!SHELL_PACKAGES.includes(layer)) {
    patterns.push({
      regex: '^electron(/|$)',
      message: `Only the Electron shell imports electron, not ${layer}.`,
    })
  }
  if (layer === 'shared')
    patterns.push({ regex: '^(?!zod$)[^.]', message: 'shared imports nothing but zod.' })
  const syntax = [
    {
      selector: `ImportExpression[source.value=/${layerPattern(forbidden).replaceAll('/', '\\/')}/]`,
      message,
    },
  ]
  if (layer !== 'store') {
    syntax.push(
      { selector: "CallExpression[callee.property.name='prepare']", message: SQL_MESSAGE },
      {
        selector: "CallExpression[callee.property.name='exec'][callee.object.name='db']",
        message: SQL_MESSAGE,
      },
    )
  }
  return {
    'no-restricted-imports': ['error', { patterns }],
    'no-restricted-syntax': ['error', ...syntax],
  }
}

const layerBlocks = [
  ...Object.entries(LAYERS).map(([layer, { dir, may }]) => ({
    files: filesOf(dir),
    rules: layerRules(layer, may),
  })),
  ...EXCEPTIONS.map(({ files, layer, also }) => ({
    files,
    rules: layerRules(layer, [...LAYERS[layer].may, ...also]),
  })),
]

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'coverage/**', 'test-results/**', 'resources/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      // TypeScript checks names itself (DOM and Node types included); typescript-eslint advises this off
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
    },
  },
  ...layerBlocks,
  prettier,
)
