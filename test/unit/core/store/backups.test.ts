import Database from 'better-sqlite3'
import { existsSync, readdirSync, statSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  BACKUPS_KEPT,
  backupLibrary,
  checkIntegrity,
  dailyBackup,
  listBackups,
  restoreBackup,
} from '../../../../src/core/store/backups'
import {
  LIBRARY_BUSY_MESSAGE,
  LibraryError,
  openDatabase,
  plainLibraryError,
} from '../../../../src/core/store/db'
import { migrations } from '../../../../src/core/store/migrations'
import { dispatch } from '../../../../src/core/service/dispatch'
import type { CohortApi } from '../../../../src/shared/api'
import { tempDir } from '../../../helpers/temp'

const dirs: { cleanup: () => void }[] = []
function folder(): string {
  const d = tempDir('cohort-backups-')
  dirs.push(d)
  return d.path
}
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()))

const names = (db: Database.Database) =>
  db
    .prepare<[], { name: string }>('SELECT name FROM datasets ORDER BY name')
    .all()
    .map((r) => r.name)

describe('the library file is never silently replaced', () => {
  it("refuses an emptied library file with LibraryError 'damaged' and leaves it as it is", () => {
    const dir = folder()
    const file = join(dir, 'library.sqlite')
    openDatabase(file).close()
    truncateSync(file, 0)
    expect(() => openDatabase(file)).toThrow(LibraryError)
    try {
      openDatabase(file)
    } catch (err) {
      expect((err as LibraryError).code).toBe('damaged')
      expect((err as Error).message).toMatch(/is empty \(0 bytes\): the library is damaged/)
    }
    expect(statSync(file).size).toBe(0)
  })

  it('copies a library before a migration changes it, and not a brand-new one', () => {
    const dir = folder()
    const file = join(dir, 'library.sqlite')
    const backups = join(dir, 'backups')
    const v2 = openDatabase(file, migrations.slice(0, 2), { backupsDir: backups })
    expect(listBackups(backups)).toEqual([])
    v2.prepare("INSERT INTO datasets (name) VALUES ('birds')").run()
    v2.close()
    openDatabase(file, migrations, { backupsDir: backups }).close()
    const [copy] = listBackups(backups)
    expect(copy!.reason).toBe('before-migration-3')
    const old = new Database(copy!.path, { readonly: true })
    expect(names(old)).toEqual(['birds'])
    expect(old.pragma('user_version', { simple: true })).toBe(2)
    old.close()
  })

  it(`takes one copy a day, keeps the newest ${BACKUPS_KEPT}, and restores one keeping the bad file aside`, () => {
    const dir = folder()
    const file = join(dir, 'library.sqlite')
    const backups = join(dir, 'backups')
    const db = openDatabase(file)
    const day = (n: number) => new Date(Date.UTC(2030, 0, n, 12))
    expect(dailyBackup(db, backups, day(1))).toBeNull() // nothing to lose yet
    db.prepare("INSERT INTO datasets (name) VALUES ('cats')").run()
    expect(dailyBackup(db, backups, day(1))).not.toBeNull()
    expect(dailyBackup(db, backups, new Date(day(1).getTime() + 3600_000))).toBeNull()
    for (let n = 2; n <= 8; n++) backupLibrary(db, backups, 'daily', day(n))
    expect(listBackups(backups).map((b) => b.takenAt.slice(0, 10))).toEqual(
      [8, 7, 6, 5, 4].map((n) => day(n).toISOString().slice(0, 10)),
    )
    db.close()
    truncateSync(file, 0)
    expect(checkIntegrity(file).ok).toBe(false)
    const { restored, keptAside } = restoreBackup(file, backups, 'latest')
    expect(restored.takenAt.slice(0, 10)).toBe('2030-01-08')
    expect(statSync(keptAside!).size).toBe(0)
    expect(checkIntegrity(file)).toEqual({ ok: true, problems: [] })
    const back = openDatabase(file)
    expect(names(back)).toEqual(['cats'])
    back.close()
    expect(() => restoreBackup(file, backups, '../../etc/passwd')).toThrow(/No backup named/)
    expect(readdirSync(dir).some((n) => n.startsWith('library.sqlite.damaged-'))).toBe(true)
    expect(existsSync(join(backups, restored.name))).toBe(true)
  })
})

describe('a busy library in plain words', () => {
  it('maps SQLITE_BUSY raised by an operation to one sentence, keeping the original as its cause', async () => {
    const dir = folder()
    const file = join(dir, 'library.sqlite')
    openDatabase(file).close()
    const holder = new Database(file)
    holder.exec('BEGIN IMMEDIATE')
    const other = new Database(file, { timeout: 0 })
    let raw: unknown
    try {
      other.exec("INSERT INTO datasets (name) VALUES ('x')")
    } catch (err) {
      raw = err
    }
    expect((raw as { code: string }).code).toMatch(/^SQLITE_BUSY/)
    const plain = plainLibraryError(raw) as LibraryError
    expect(plain.message).toBe(LIBRARY_BUSY_MESSAGE)
    expect(plain.cause).toBe(raw)
    const api = {
      'datasets.list': () => {
        throw raw
      },
    } as unknown as CohortApi
    const logged: string[] = []
    const envelope = await dispatch(api, 'datasets.list', [], (line) => logged.push(line))
    expect(envelope).toEqual({ ok: false, error: { name: 'LibraryError', message: LIBRARY_BUSY_MESSAGE } })
    // the raw SQLite error stays in the log
    expect(logged.join('\n')).toMatch(/database is locked/)
    expect(plainLibraryError(new Error('other'))).toBeInstanceOf(Error)
    holder.exec('ROLLBACK')
    holder.close()
    other.close()
  })
})
