import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LibraryError, migrate, openDatabase, schemaVersion } from '../../../../src/core/store/db'
import { migrations, type Migration } from '../../../../src/core/store/migrations'
import { tempLibrary, type TempLibrary } from './fixture'

const latest = migrations.at(-1)!.version

function tables(db: Database.Database): string[] {
  return db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name)
}

describe('migrations', () => {
  let lib: TempLibrary
  beforeEach(() => {
    lib = tempLibrary()
  })
  afterEach(() => lib.cleanup())

  it('numbers migrations 1, 2, 3... without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1))
  })

  it('brings a fresh library to the latest version with every table', () => {
    expect(schemaVersion(lib.db)).toBe(latest)
    expect(tables(lib.db)).toEqual(
      expect.arrayContaining(['datasets', 'labels', 'images', 'runs', 'history', 'history_changes']),
    )
    expect(lib.db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(lib.db.pragma('foreign_keys', { simple: true })).toBe(1)
  })

  it('re-opening a migrated library changes nothing and keeps the data', () => {
    lib.db.prepare("INSERT INTO datasets (name) VALUES ('pets')").run()
    const schema = lib.db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all()
    const db = lib.reopen()
    expect(schemaVersion(db)).toBe(latest)
    expect(db.prepare('SELECT sql FROM sqlite_master ORDER BY name').all()).toEqual(schema)
    migrate(db)
    expect(schemaVersion(db)).toBe(latest)
    expect(db.prepare('SELECT name FROM datasets').all()).toEqual([{ name: 'pets' }])
  })

  it("refuses a library written by a newer Cohort with LibraryError 'newer-schema'", () => {
    lib.db.pragma(`user_version = ${latest + 1}`)
    lib.db.close()
    let error: unknown
    try {
      openDatabase(lib.file)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(LibraryError)
    expect((error as LibraryError).code).toBe('newer-schema')
    expect((error as LibraryError).message).toMatch(/newer Cohort .*Update Cohort/)
  })

  it('runs each migration in its own transaction: a failing one leaves no trace', () => {
    lib.db.close()
    const file = `${lib.file}.2`
    const broken: Migration[] = [
      migrations[0]!,
      { version: 2, name: 'broken', sql: 'CREATE TABLE half_done (x INTEGER); CREATE TABLE oops (;' },
    ]
    expect(() => openDatabase(file, broken)).toThrow(LibraryError)
    const db = new Database(file)
    try {
      expect(schemaVersion(db)).toBe(1)
      expect(tables(db)).toContain('images')
      expect(tables(db)).not.toContain('half_done')
    } finally {
      db.close()
    }
    // the good version still upgrades it afterwards
    const upgraded = openDatabase(file)
    expect(schemaVersion(upgraded)).toBe(latest)
    upgraded.close()
  })

  it('upgrades a version-1 library to the latest, keeping its images', () => {
    lib.db.close()
    const file = `${lib.file}.v1`
    const v1 = openDatabase(file, migrations.slice(0, 1))
    v1.prepare("INSERT INTO datasets (name) VALUES ('old')").run()
    v1.prepare(
      "INSERT INTO images (dataset_id, source_path, hash, width, height, format, bytes) VALUES (1, '/a.jpg', 'h', 1, 1, 'jpeg', 1)",
    ).run()
    v1.close()
    const db = openDatabase(file)
    expect(schemaVersion(db)).toBe(latest)
    expect(db.prepare('SELECT COUNT(*) AS n FROM images').get()).toEqual({ n: 1 })
    db.close()
  })

  it('version 4 gives existing labels the keys they had (the first nine by name), later ones none', () => {
    lib.db.close()
    const file = `${lib.file}.v3`
    const v3 = openDatabase(file, migrations.slice(0, 3))
    v3.prepare("INSERT INTO datasets (id, name) VALUES (1, 'fashion'), (2, 'pets')").run()
    // Fashion-MNIST's ten, in code-point order: 'T-shirt' sorts before 'Trouser', which gets no key
    const names = [
      'Trouser',
      'Bag',
      'Sneaker',
      'Ankle boot',
      'Coat',
      'Dress',
      'Pullover',
      'Sandal',
      'Shirt',
      'T-shirt',
    ]
    const insert = v3.prepare('INSERT INTO labels (dataset_id, name) VALUES (?, ?)')
    for (const n of names) insert.run(1, n)
    insert.run(2, 'dog')
    insert.run(2, 'cat')
    v3.close()
    const db = openDatabase(file)
    const keys = db
      .prepare<[], { dataset_id: number; name: string; key: number | null }>(
        'SELECT dataset_id, name, key FROM labels ORDER BY dataset_id, key',
      )
      .all()
    expect(keys.filter((k) => k.dataset_id === 1).map((k) => [k.name, k.key])).toEqual([
      ['Trouser', null],
      ...names
        .filter((n) => n !== 'Trouser')
        .sort()
        .map((n, i) => [n, i + 1]),
    ])
    expect(keys.filter((k) => k.dataset_id === 2).map((k) => [k.name, k.key])).toEqual([
      ['cat', 1],
      ['dog', 2],
    ])
    // two labels of one dataset never share a key
    expect(() => db.prepare("UPDATE labels SET key = 1 WHERE name = 'dog'").run()).toThrow(/UNIQUE/)
    db.close()
  })
})
