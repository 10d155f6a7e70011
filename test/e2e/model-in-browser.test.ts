import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type Server } from 'node:http'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { dirname, join, normalize, sep } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import type { Browser } from 'playwright-core'
import { disposeModelBundle, readModelBundle, type ModelBundle } from '../../src/core/engine/model-metadata'
import { exportBundle } from '../../src/core/recognition/export'
import { readInputPixels, recogniseFiles } from '../../src/core/recognition/recognise'
import { normaliseBatch } from '../../src/core/engine/input'
import type { RecognitionReport } from '../../src/shared/types'
import { launchChromium } from '../helpers/browser'
import { CLASS_NAMES, makeTestBundle, writeColourImage } from '../helpers/model-bundle'
import { tempDir } from '../helpers/temp'

const TF_JS = join(
  dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs/package.json')),
  'dist',
  'tf.min.js',
)
const PAGE =
  '<!doctype html><meta charset="utf-8"><title>Cohort model</title><script src="/tf.min.js"></script>'

/** Serves the page, tf.min.js and the exported model folder under /model/, nothing else. */
function serve(modelDir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const send = (status: number, type: string, body: string | Buffer): void => {
      res.writeHead(status, { 'content-type': type })
      res.end(body)
    }
    if (url.pathname === '/') return send(200, 'text/html', PAGE)
    if (url.pathname === '/tf.min.js') {
      return void readFile(TF_JS).then((b) => send(200, 'text/javascript', b))
    }
    const file = normalize(join(modelDir, decodeURIComponent(url.pathname.slice('/model/'.length))))
    if (!url.pathname.startsWith('/model/') || !file.startsWith(modelDir + sep))
      return send(404, 'text/plain', '')
    readFile(file).then(
      (b) => send(200, file.endsWith('.json') ? 'application/json' : 'application/octet-stream', b),
      () => send(404, 'text/plain', 'not found'),
    )
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

// An exported model loads unchanged in TensorFlow.js in a real Chromium and computes what Cohort computes.
describe('an exported model in a browser', () => {
  const tmp = tempDir()
  const exported = join(tmp.path, 'exported')
  const files: string[] = []
  let bundle: ModelBundle
  let server: Server
  let browser: Browser
  let input: number[]

  beforeAll(async () => {
    await tf.setBackend('cpu')
    const made = await makeTestBundle(join(tmp.path, 'run-final'), { weights: [0.65, 0.35] })
    for (const m of made.models) m.dispose()
    await exportBundle(join(tmp.path, 'run-final'), exported)
    bundle = await readModelBundle(exported)
    let seed = 200
    for (const label of CLASS_NAMES) {
      for (const ext of ['png', 'jpg']) {
        files.push(
          await writeColourImage(join(tmp.path, 'photos', `${label}.${ext}`), label, { seed: seed++ }),
        )
      }
    }
    // the preprocessed input Cohort feeds its networks: the training decode recipe, then normalisation
    const frame = 8 * 8 * 3
    const pixels = new Uint8Array(files.length * frame)
    for (const [i, f] of files.entries())
      pixels.set((await readInputPixels(f, bundle.metadata)) as Uint8Array, i * frame)
    const x = normaliseBatch({ pixels, shape: [files.length, 8, 8, 3] }, bundle.metadata.normalisation)
    input = Array.from(x.dataSync())
    x.dispose()
    server = await serve(exported)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await new Promise((r) => (server ? server.close(r) : r(undefined)))
    if (bundle) disposeModelBundle(bundle)
    tmp.cleanup()
  })

  /** Loads the exported networks in the page and returns each one's softmax and the weighted ensemble's. */
  async function predictInBrowser(): Promise<{
    backend: string
    perNetwork: number[][]
    ensemble: number[]
  }> {
    const page = await browser.newPage()
    const problems: string[] = []
    page.on('pageerror', (e) => problems.push(e.message))
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)
    const result = await page.evaluate(
      async ({ input, count }) => {
        const tfjs = (globalThis as unknown as { tf: typeof tf }).tf
        // the pure-JS backend: exact float32, the same in every browser (webgl may compute in float16)
        await tfjs.setBackend('cpu')
        const metadata = (await (await fetch('/model/metadata.json')).json()) as {
          imageSize: number
          channels: number
          networks: { dir: string }[]
          ensemble: { weights: number[] }
        }
        const s = metadata.imageSize
        const x = tfjs.tensor4d(input, [count, s, s, metadata.channels])
        const logits: tf.Tensor[] = []
        for (const n of metadata.networks) {
          const model = await tfjs.loadLayersModel(`/model/${n.dir}/model.json`)
          logits.push(model.predict(x) as tf.Tensor)
        }
        const fused = tfjs.addN(logits.map((z, i) => z.mul(metadata.ensemble.weights[i]!)))
        return {
          backend: tfjs.getBackend(),
          perNetwork: logits.map((z) => Array.from(tfjs.softmax(z).dataSync())),
          ensemble: Array.from(tfjs.softmax(fused).dataSync()),
        }
      },
      { input, count: files.length },
    )
    await page.close()
    expect(problems).toEqual([])
    return result
  }

  /** Cohort's probabilities per file, in class order. */
  function probabilities(report: RecognitionReport): number[][] {
    return report.results.map((r) => {
      if (!('predictions' in r)) throw new Error(`${r.path}: ${r.error}`)
      return CLASS_NAMES.map((c) => r.predictions.find((p) => p.label === c)!.probability)
    })
  }

  function expectSame(browserProbs: number[], cohort: number[][]): void {
    const classes = CLASS_NAMES.length
    cohort.forEach((row, i) => {
      const page = browserProbs.slice(i * classes, (i + 1) * classes)
      const top = (v: number[]): number => v.indexOf(Math.max(...v))
      expect(top(page), files[i]).toBe(top(row))
      page.forEach((p, j) => expect(Math.abs(p - row[j]!), files[i]).toBeLessThan(1e-4))
    })
  }

  it('gives the same top-1 and probabilities (within 1e-4) per network and for the ensemble', async () => {
    const inBrowser = await predictInBrowser()
    expect(inBrowser.backend).toBe('cpu')
    for (const index of [0, 1]) {
      const report = await recogniseFiles(bundle, files, { network: index, topK: 3 })
      expectSame(inBrowser.perNetwork[index]!, probabilities(report))
    }
    const ensemble = await recogniseFiles(bundle, files, { topK: 3 })
    expectSame(inBrowser.ensemble, probabilities(ensemble))
    // and the answers are the pictures' colours, so the comparison is of a working model
    const labels = ensemble.results.map((r) => ('predictions' in r ? r.predictions[0]!.label : r.error))
    expect(labels).toEqual(files.map((f) => f.split('/').at(-1)!.split('.')[0]))
  })
})
