import Database from 'better-sqlite3'
import { mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { backupLibrary } from './backups'
import { migrations, type Migration } from './migrations'

export type Db = Database.Database

export class LibraryError extends Error {
  constructor(
    message: string,
    readonly code: 'locked' | 'newer-schema' | 'corrupt' | 'unwritable' | 'damaged' | 'busy',
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'LibraryError'
  }
}

export interface OpenOptions {
  /** path of a better-sqlite3 addon built for this runtime (Electron) */
  nativeBinding?: string | undefined
  /** where to copy the library before a migration changes it (none: no copy) */
  backupsDir?: string | undefined
}

/** What a person is told when another process holds the library's write lock past the busy timeout. */
export const LIBRARY_BUSY_MESSAGE = 'The library is busy with another Cohort process; try again in a moment.'

/**
 * SQLite's "database is locked" (SQLITE_BUSY / SQLITE_LOCKED, with extended codes) raised by an
 * operation becomes a plain LibraryError carrying the original as its cause (for logs); anything else
 * is returned as it is.
 */
export function plainLibraryError(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code)) {
    return new LibraryError(LIBRARY_BUSY_MESSAGE, 'busy', { cause: err })
  }
  return err
}

/**
 * A library file that exists but holds nothing was emptied by something outside Cohort (a truncation,
 * a failed copy): opening it would silently start a new, empty library in its place.
 */
function refuseEmptyFile(file: string): void {
  let size: number
  try {
    size = statSync(file).size
  } catch {
    return // absent: a new library (the service checks no library existed there before)
  }
  if (size === 0) {
    throw new LibraryError(
      `The library file ${file} is empty (0 bytes): the library is damaged. Cohort left the file as it is; ` +
        'restore a backup of it, or delete the file to start a new library.',
      'damaged',
    )
  }
}

/**
 * Opens (creating if needed) the library file: WAL for concurrent readers during imports
 * and training, foreign keys on, and every pending migration applied in one transaction each.
 */
export function openDatabase(
  file: string,
  list: readonly Migration[] = migrations,
  options: OpenOptions = {},
): Db {
  if (file !== ':memory:') {
    refuseEmptyFile(file)
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
    const binding = options.nativeBinding ?? process.env.COHORT_SQLITE_BINDING
    db = new Database(file, { timeout: 5000, ...(binding ? { nativeBinding: binding } : {}) })
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    db.pragma('synchronous = NORMAL')
    db.pragma('busy_timeout = 5000')
  } catch (err) {
    throw describeOpenError(file, err)
  }
  try {
    migrate(db, list, options.backupsDir)
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

/** Applies every pending migration, each in its own transaction, after copying the library to `backupsDir`. */
export function migrate(db: Db, list: readonly Migration[] = migrations, backupsDir?: string): void {
  const latest = list.at(-1)?.version ?? 0
  const current = schemaVersion(db)
  if (current > latest) {
    throw new LibraryError(
      `This library was written by a newer Cohort (schema ${current}, this version knows ${latest}). Update Cohort to open it.`,
      'newer-schema',
    )
  }
  const pending = list.filter((m) => m.version > current)
  // a library with data is copied before a migration changes it; a brand-new one has nothing to lose
  if (backupsDir && current > 0 && pending.length > 0) {
    backupLibrary(db, backupsDir, `before-migration-${pending[0]!.version}`)
  }
  for (const m of pending) {
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
