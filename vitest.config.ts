import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  plugins: [vue()],
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/integration/**/*.test.ts',
      'test/security/**/*.test.ts',
      'test/e2e/**/*.test.ts',
    ],
    // native addons (sharp, better-sqlite3) and wasm are happiest in forked processes
    pool: 'forks',
    testTimeout: 60_000,
    // the JSON report lets CI print one plain "N passed, N failed" line
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    hookTimeout: 120_000,
  },
})
