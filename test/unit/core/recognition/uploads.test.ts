import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as tf from '@tensorflow/tfjs'
import { createCohortService, type CohortService } from '../../../../src/core/service'
import { dispatch } from '../../../../src/core/service/dispatch'
import { openDatabase, type Db } from '../../../../src/core/store/db'
import { createRun, setRunStatus } from '../../../../src/core/store/runs'
import { libraryPaths } from '../../../../src/core/paths'
import { checkUploads, saveUpload, uploadBytes } from '../../../../src/core/recognition/uploads'
import { base64Length, MAX_UPLOAD_BYTES, MAX_UPLOADS } from '../../../../src/shared/uploads'
import { validateArgs } from '../../../../src/shared/api-schema'
import type { AddedImage, RecognitionReport } from '../../../../src/shared/types'
import { CLASS_NAMES, makeTestBundle, writeColourImage } from '../../../helpers/model-bundle'
import { tempDir } from '../../../helpers/temp'

describe('pictures sent as bytes', () => {
  const tmp = tempDir()
  const home = join(tmp.path, 'home')
  let service: CohortService
  let db: Db
  let runId: number
  let datasetId: number
  const png: Record<string, Buffer> = {}
  let jpeg: Buffer

  async function call<T>(channel: string, ...args: unknown[]): Promise<T> {
    const result = await dispatch(service, channel, args)
    if (!result.ok) throw new Error(result.error.message)
    return result.value as T
  }
  const upload = (name: string, bytes: Buffer) => ({ name, data: bytes.toString('base64') })
  const added = () => readdirSync(libraryPaths(home).added).sort()
  const count = () => service['images.count']({ datasetId })

  beforeAll(async () => {
    await tf.setBackend('cpu')
    service = await createCohortService({ home })
    db = openDatabase(service.paths.db)
    datasetId = (await service['datasets.create']('colours')).id
    runId = createRun(db, { datasetId, config: {}, classNames: CLASS_NAMES, networks: [] })
    setRunStatus(db, runId, 'completed') // only a completed run has a model
    const made = await makeTestBundle(join(service.paths.runs, String(runId), 'final'), { runId })
    for (const m of made.models) m.dispose()
    for (const [i, label] of CLASS_NAMES.entries()) {
      png[label] = readFileSync(
        await writeColourImage(join(tmp.path, `${label}.png`), label, { seed: 60 + i }),
      )
    }
    jpeg = readFileSync(await writeColourImage(join(tmp.path, 'red.jpg'), 'red', { seed: 70 }))
  })
  afterAll(() => {
    db?.close()
    service?.close()
    tmp.cleanup()
  })

  it('recognises uploaded bytes like files, with per-network predictions and a reason for bad bytes', async () => {
    const report = await call<RecognitionReport>(
      'recognise.images',
      runId,
      [
        ...CLASS_NAMES.map((l) => upload(`${l}.png`, png[l]!)),
        upload('broken.png', png.red!.subarray(0, 60)),
      ],
      { perNetwork: true, topK: 2 },
    )
    expect(report.network).toBe('ensemble')
    expect(report.results.map((r) => r.path)).toEqual(['blue.png', 'green.png', 'red.png', 'broken.png'])
    for (const [i, label] of CLASS_NAMES.entries()) {
      const r = report.results[i]!
      if (!('predictions' in r)) throw new Error(r.error)
      expect(r.predictions).toHaveLength(2)
      expect(r.predictions[0]!.label).toBe(label)
      expect(r.perNetwork!.map((n) => n.arch)).toEqual(['cnn', 'resnet-8'])
    }
    expect(report.results[3]).toEqual({
      path: 'broken.png',
      error: expect.stringMatching(/truncated or corrupt/),
    })
    // the same pixels as the file path gives
    const byPath = await call<RecognitionReport>('recognise.files', runId, [join(tmp.path, 'red.png')], {
      perNetwork: true,
      topK: 2,
    })
    expect(byPath.results[0]).toEqual({ ...report.results[2]!, path: join(tmp.path, 'red.png') })
  })

  it('refuses too many, too large or non-base64 uploads with a sentence, before loading a model', async () => {
    const many = Array.from({ length: MAX_UPLOADS + 1 }, (_, i) => upload(`${i}.png`, png.red!))
    await expect(call('recognise.images', runId, many)).rejects.toThrow(/<=200 items/)
    expect(() => checkUploads(many)).toThrow(/201 pictures were sent at once; at most 200/)
    expect(() => uploadBytes(upload('big.png', png.red!), 100)).toThrow(
      /'big.png' is 0 MB; the limit is 0 MB/,
    )
    expect(() => uploadBytes({ name: 'x.png', data: 'not base64!' })).toThrow(/did not arrive as base64/)
    expect(() => uploadBytes({ name: 'x.png', data: '' })).toThrow(/is empty/)
    // a bad model after good bytes: the model's own message
    await expect(call('recognise.images', 9999, [upload('a.png', png.red!)])).rejects.toThrow(/9999/)
  })

  it('bounds each upload in the schema by the same 20 MB limit', () => {
    const at = (n: number) => [runId, [{ name: 'a.png', data: 'A'.repeat(n) }]]
    expect(() => validateArgs('recognise.images', at(base64Length(MAX_UPLOAD_BYTES)))).not.toThrow()
    expect(() => validateArgs('recognise.images', at(base64Length(MAX_UPLOAD_BYTES) + 4))).toThrow(
      /argument 1\.0\.data/,
    )
  })

  it('adds a picture once, named by its hash whatever name it came with', async () => {
    const hostile = upload('../../../etc/passwd.png', png.blue!)
    const first = await call<AddedImage>('images.addRecognised', datasetId, hostile, 'blue')
    expect(first.outcome).toBe('added')
    expect(first.message).toBe('Added as blue')
    expect(first.image.label).toBe('blue')
    expect(first.image.sourcePath).toBe(join(libraryPaths(home).added, `${first.image.hash}.png`))
    expect(readFileSync(first.image.sourcePath).equals(png.blue!)).toBe(true)
    expect(await count()).toBe(1)

    const again = await call<AddedImage>(
      'images.addRecognised',
      datasetId,
      upload('other.png', png.blue!),
      'Blue',
    )
    expect(again.outcome).toBe('already-there')
    expect(again.image.id).toBe(first.image.id)
    expect(added()).toEqual([`${first.image.hash}.png`])
    expect(await count()).toBe(1)
  })

  it('relabels a picture already there under another label, undoably', async () => {
    const first = await call<AddedImage>(
      'images.addRecognised',
      datasetId,
      upload('g.png', png.green!),
      'red',
    )
    const fixed = await call<AddedImage>(
      'images.addRecognised',
      datasetId,
      upload('g.png', png.green!),
      'green',
    )
    expect(fixed.outcome).toBe('relabelled')
    expect(fixed.image.id).toBe(first.image.id)
    expect(fixed.message).toBe('Already in the dataset as red; now labelled green')
    expect((await call<{ description: string }>('images.undo', datasetId)).description).toMatch(/green/)
  })

  it('imports a path where it is, and a JPEG upload keeps its format', async () => {
    const file = join(tmp.path, 'red.png')
    const byPath = await call<AddedImage>('images.addRecognised', datasetId, { path: file }, 'red')
    expect(byPath.outcome).toBe('added')
    expect(byPath.image.sourcePath).toBe(file)
    const photo = await call<AddedImage>('images.addRecognised', datasetId, upload('p.jpeg', jpeg), 'red')
    expect(photo.image.sourcePath.endsWith('.jpg')).toBe(true)
    expect(photo.image.format).toBe('jpeg')
  })

  it('refuses bytes that are not an image, or a corrupt one, with the import’s reason and leaves no file', async () => {
    const before = added()
    await expect(
      call('images.addRecognised', datasetId, upload('a.png', Buffer.from('hello, not a picture')), 'red'),
    ).rejects.toThrow('The picture was not added: not an image Cohort can read.')
    await expect(
      call('images.addRecognised', datasetId, upload('a.png', png.red!.subarray(0, 80)), 'red'),
    ).rejects.toThrow(/^The picture was not added: the image data is truncated or corrupt/)
    expect(added()).toEqual(before)
    await expect(call('images.addRecognised', 9999, upload('a.png', png.red!), 'red')).rejects.toThrow(
      /no dataset with id 9999/,
    )
    await expect(
      call('images.addRecognised', datasetId, { path: join(tmp.path, 'nope.png') }, 'red'),
    ).rejects.toThrow(/not added: the file cannot be read/)
  })

  it('never overwrites a kept file', async () => {
    const once = await saveUpload(libraryPaths(home).added, png.red!)
    const twice = await saveUpload(libraryPaths(home).added, png.red!)
    expect(twice).toEqual({ path: once.path, created: false })
  })
})
