import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrations, type Migration } from './migrations'

export type Db = Database.Database

export class LibraryError extends Error {
  constructor(
    message: string,
    readonly code: 'locked' | 'newer-schema' | 'corrupt' | 'unwritable',
  ) {
    super(message)
    this.name = 'LibraryError'
  }
}

/**
 * Opens (creating if needed) the library file: WAL for concurrent readers during imports
 * and training, foreign keys on, and every pending migration applied in one transaction each.
 */
export function openDatabase(
  file: string,
  list: readonly Migration[] = migrations,
  nativeBinding?: string,
): Db {
  if (file !== ':memory:') {
    try {
      mkdirSync(dirname(file), { recursive: true })
    } catch (err) {
      throw new LibraryError(
        `Cannot create the library folder ${dirname(file)}: ${(err as Error).message}`,
        'unwritable',
      )
    }
  }
  let db: Db
  try {
    // Electron (its main and utility processes) loads a copy of the addon compiled for its own ABI,
    // named by COHORT_SQLITE_BINDING (see scripts/start-electron.mjs); plain Node uses the installed one.
    const binding = nativeBinding ?? process.env.COHORT_SQLITE_BINDING
    db = new Database(file, { timeout: 5000, ...(binding ? { nativeBinding: binding } : {}) })
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
  } catch (err) {
    throw describeOpenError(file, err)
  }
  try {
    migrate(db, list)
  } catch (err) {
    db.close()
    if (err instanceof LibraryError) throw err
    throw describeOpenError(file, err)
  }
  return db
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

export function migrate(db: Db, list: readonly Migration[] = migrations): void {
  const latest = list.at(-1)?.version ?? 0
  const current = schemaVersion(db)
  if (current > latest) {
    throw new LibraryError(
      `This library was written by a newer Cohort (schema ${current}, this version knows ${latest}). Update Cohort to open it.`,
      'newer-schema',
    )
  }
  for (const m of list) {
    if (m.version <= current) continue
    db.transaction(() => {
      db.exec(m.sql)
      db.pragma(`user_version = ${m.version}`)
    }).immediate()
  }
}

function describeOpenError(file: string, err: unknown): LibraryError {
  const e = err as { code?: string; message?: string }
  if (e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_LOCKED') {
    return new LibraryError(`The library ${file} is locked by another Cohort process.`, 'locked')
  }
  if (e.code === 'SQLITE_NOTADB' || e.code === 'SQLITE_CORRUPT') {
    return new LibraryError(`The file ${file} is not a Cohort library (or it is damaged).`, 'corrupt')
  }
  return new LibraryError(`Cannot open the library ${file}: ${e.message ?? String(err)}`, 'unwritable')
}
