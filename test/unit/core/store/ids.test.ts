import { rmSync } from 'node:fs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDataset, deleteDataset } from '../../../../src/core/store/datasets'
import { openDatabase } from '../../../../src/core/store/db'
import { migrations } from '../../../../src/core/store/migrations'
import { createRun, runUid } from '../../../../src/core/store/runs'
import { tempLibrary, type TempLibrary } from './fixture'

const run = (datasetId: number) => ({ datasetId, config: {}, classNames: ['a', 'b'], networks: [] })

describe('ids are never reused', () => {
  let lib: TempLibrary
  beforeEach(() => {
    lib = tempLibrary()
  })
  afterEach(() => lib.cleanup())

  it('gives a new dataset and a new run ids past every deleted one', () => {
    const first = createDataset(lib.db, 'first')
    const r1 = createRun(lib.db, run(first.id))
    const r2 = createRun(lib.db, run(first.id))
    deleteDataset(lib.db, first.id)
    const second = createDataset(lib.db, 'second')
    expect(second.id).toBeGreaterThan(first.id)
    expect(createRun(lib.db, run(second.id))).toBe(r2 + 1)
    // and across re-opening the file
    const db = lib.reopen()
    deleteDataset(db, second.id)
    expect(createDataset(db, 'third').id).toBe(second.id + 1)
    expect(r1).toBeLessThan(r2)
  })

  it('gives every run its own random identity', () => {
    const d = createDataset(lib.db, 'pets')
    const a = createRun(lib.db, run(d.id))
    const b = createRun(lib.db, run(d.id))
    expect(runUid(lib.db, a)).toMatch(/^[0-9a-f-]{36}$/)
    expect(runUid(lib.db, a)).not.toBe(runUid(lib.db, b))
  })

  it('seeds the high-water mark from an older library’s ids, whose runs keep no identity', () => {
    lib.db.close()
    rmSync(lib.file, { force: true })
    const v2 = openDatabase(lib.file, migrations.slice(0, 2))
    v2.prepare("INSERT INTO datasets (id, name) VALUES (5, 'old')").run()
    v2.prepare("INSERT INTO runs (id, dataset_id, config_json, labels_json) VALUES (9, 5, '{}', '[]')").run()
    v2.close()
    lib.db = openDatabase(lib.file)
    expect(runUid(lib.db, 9)).toBeNull()
    lib.db.prepare('DELETE FROM runs WHERE id = 9').run()
    expect(createRun(lib.db, run(5))).toBe(10)
    expect(createDataset(lib.db, 'new').id).toBe(6)
  })
})
