import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          // each network of a group trains in its own worker thread (see networkWorkerEntry())
          'network-worker-entry': resolve(__dirname, 'src/core/engine/network-worker-entry.ts'),
          // each run trains in its own utility process (see src/main/trainer-process.ts)
          trainer: resolve(__dirname, 'src/trainer/main.ts'),
        },
        // chunks sit beside the entries: code in a chunk finds the worker and trainer entries as ./<name>.js
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload cannot load ES modules: emit one CommonJS file.
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
    plugins: [vue()],
  },
})
