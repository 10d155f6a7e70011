/**
 * Hostile files and model bundles against the real `cohort` CLI and the real web server: every path a person
 * could hand Cohort (devices, named pipes, /proc files, sparse giants, links out of a bundle, bundles
 * declaring huge layers) ends in bounded time with a plain reason, and the library keeps what it had.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { createCohortService, type CohortService } from '../../src/core/service'
import { startServer, type RunningServer } from '../../src/server'
import { runCli, type CliResult } from '../helpers/cli'
import { HOSTILE_BUNDLES, makeHostileBundle } from '../helpers/hostile-bundles'
import { makeTestBundle, writeColourImage } from '../helpers/model-bundle'
import { makeLabelledFolder } from '../helpers/labelled-folder'
import { tempDir } from '../helpers/temp'

/** Generous for a child that loads TensorFlow.js on 2 shared cores; a hang or a 12 GB read takes far longer. */
const CLI_BOUND_MS = 60_000

function timedCli(home: string, args: string[]): CliResult & { ms: number } {
  const started = performance.now()
  const result = runCli(home, args)
  return { ...result, ms: performance.now() - started }
}

describe('hostile files and model bundles', () => {
  const dir = tempDir('cohort-security-')
  const home = join(dir.path, 'home')
  const bundle = join(dir.path, 'bundle')
  const fifo = join(dir.path, 'pipe.jpg')
  const sparse = join(dir.path, 'sparse.png')
  const picture = join(dir.path, 'red.png')

  beforeAll(async () => {
    await tf.setBackend('cpu')
    const made = await makeTestBundle(bundle, { archs: ['cnn'], epochs: 0 })
    for (const m of made.models) m.dispose()
    await writeColourImage(picture, 'red')
    execFileSync('mkfifo', [fifo])
    writeFileSync(sparse, '')
    truncateSync(sparse, 3 * 1024 ** 3)
    await makeLabelledFolder(join(dir.path, 'pics'), { a: 2, b: 2 })
    const imported = runCli(home, ['import', join(dir.path, 'pics'), '--dataset', 'pics'])
    expect(imported.code, imported.stderr).toBe(0)
  })
  afterAll(() => dir.cleanup())

  /** The library still has its dataset with every picture, and no model was taken in. */
  function libraryIntact(): void {
    const listed = runCli(home, ['datasets', '--json'])
    expect(listed.code, listed.stderr).toBe(0)
    const datasets = JSON.parse(listed.stdout) as { name: string; imageCount: number }[]
    expect(datasets.map((d) => [d.name, d.imageCount])).toEqual([['pics', 4]])
    noModelTaken()
  }
  function noModelTaken(): void {
    const models = join(home, 'models')
    expect(existsSync(models) ? readdirSync(models) : []).toEqual([])
  }
  /** A CLI refusal: exit code 1 in bounded time, one plain line on stderr (no stack trace). */
  function refused(args: string[], message: RegExp): void {
    const r = timedCli(home, args)
    expect(r.ms, args[0]).toBeLessThan(CLI_BOUND_MS)
    expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  }

  it('cohort predict gives each hostile path its own reason and still recognises the good picture', () => {
    const paths = [fifo, '/dev/zero', '/dev/urandom', sparse, '/proc/self/status', picture]
    const r = timedCli(home, ['predict', '--model', bundle, '--json', ...paths])
    expect(r.ms).toBeLessThan(CLI_BOUND_MS)
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as {
      results: { path: string; error?: string; predictions?: unknown[] }[]
    }
    const byPath = new Map(report.results.map((x) => [x.path, x]))
    expect(byPath.get(fifo)!.error).toBe('not a regular file (a named pipe)')
    expect(byPath.get('/dev/zero')!.error).toBe('not a regular file (a device)')
    expect(byPath.get('/dev/urandom')!.error).toBe('not a regular file (a device)')
    expect(byPath.get(sparse)!.error).toBe(
      'the file is larger than the safety limit: 3072 MiB, the limit is 256 MiB',
    )
    expect(byPath.get('/proc/self/status')!.error).toMatch(/^not an image Cohort can read/)
    expect(byPath.get(picture)!.predictions).toHaveLength(3)
  })

  it('cohort import-model, predict and eval refuse a bundle declaring a 4M-unit layer in bounded time', () => {
    const hostile = makeHostileBundle(
      bundle,
      join(dir.path, 'huge'),
      'huge-dense',
      join(dir.path, 'huge-out'),
    )
    const message = /not one Cohort can open: it declares [\d,]+ parameters/
    refused(['import-model', hostile], message)
    refused(['predict', '--model', hostile, picture], message)
    refused(['eval', '--model', hostile, join(dir.path, 'pics')], message)
    noModelTaken()
  })

  it('cohort import-model copies nothing from outside the bundle (a linked weights file, a ../ path)', () => {
    for (const kind of ['symlinked-weights', 'dotdot-weights'] as const) {
      const hostile = makeHostileBundle(bundle, join(dir.path, kind), kind, join(dir.path, `${kind}-out`))
      refused(['import-model', hostile], /symbolic link|not a file in the model folder/)
    }
    noModelTaken()
  })

  it('cohort import-csv refuses a named pipe instead of waiting on it', () => {
    refused(['import-csv', '--dataset', 'pics', fifo], /Cannot read .*: not a regular file \(a named pipe\)/)
    libraryIntact()
  })

  describe('web mode', () => {
    let service: CohortService
    let server: RunningServer

    beforeAll(async () => {
      service = await createCohortService({ home })
      server = await startServer({ service, rendererDir: join(dir.path, 'no-renderer') })
    })
    afterAll(async () => {
      await server.close()
      service.close()
    })

    const call = async (channel: string, args: unknown[]) => {
      const started = performance.now()
      const response = await fetch(`${new URL(server.url).origin}/api/${channel}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(args),
      })
      return {
        status: response.status,
        body: (await response.json()) as Record<string, unknown>,
        ms: performance.now() - started,
      }
    }

    it('recognise.files answers for a named pipe and /dev/zero at once, and the server stays small', async () => {
      const rss = process.memoryUsage().rss
      const r = await call('recognise.files', [bundle, [fifo, '/dev/zero', sparse], {}])
      expect(r.ms).toBeLessThan(10_000)
      expect(r.status).toBe(200)
      const results = (r.body['value'] as { results: { error?: string }[] }).results
      expect(results.map((x) => x.error)).toEqual([
        'not a regular file (a named pipe)',
        'not a regular file (a device)',
        'the file is larger than the safety limit: 3072 MiB, the limit is 256 MiB',
      ])
      expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 1024 * 1024)
    })

    it('models.import refuses every hostile bundle quickly, in bounded memory, and the library keeps its dataset', async () => {
      for (const kind of HOSTILE_BUNDLES) {
        const hostile = makeHostileBundle(
          bundle,
          join(dir.path, `web-${kind}`),
          kind,
          join(dir.path, `web-${kind}-out`),
        )
        const rss = process.memoryUsage().rss
        const r = await call('models.import', [hostile])
        expect(r.ms, kind).toBeLessThan(2_000)
        expect(r.body['ok'], kind).toBe(false)
        expect((r.body['error'] as { message: string }).message, kind).toMatch(
          /not one Cohort can open|symbolic link|not a file in the model folder/,
        )
        expect(process.memoryUsage().rss - rss, kind).toBeLessThan(200 * 1024 * 1024)
      }
      expect((await service['datasets.list']()).map((d) => [d.name, d.imageCount])).toEqual([['pics', 4]])
      noModelTaken()
    })
  })
})
