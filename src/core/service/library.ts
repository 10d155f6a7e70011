/**
 * Opening a person's library without ever silently replacing it: a missing file whose folders show a
 * library existed, or a file emptied to 0 bytes, stops with LibraryError 'damaged' and touches nothing;
 * otherwise the file is opened (migrated after a backup) and the day's backup is taken.
 */
import { existsSync, readdirSync } from 'node:fs'
import type { LibraryPaths } from '../paths'
import { dailyBackup, listBackups } from '../store/backups'
import { LibraryError, openDatabase, type Db } from '../store/db'

/** The library's folders that only exist once it has held something. */
function traces(paths: LibraryPaths): string[] {
  const folders = { runs: paths.runs, thumbnails: paths.thumbnails, models: paths.models, added: paths.added }
  const found = Object.entries(folders)
    .filter(([, dir]) => {
      try {
        return readdirSync(dir).length > 0
      } catch {
        return false
      }
    })
    .map(([name]) => name)
  if (listBackups(paths.backups).length > 0) found.push('backups')
  return found
}

/** Refuses to create a new library where one existed and its file is gone. */
export function refuseLostLibrary(paths: LibraryPaths): void {
  if (existsSync(paths.db)) return
  const left = traces(paths)
  if (left.length === 0) return
  const restore = left.includes('backups') ? 'restore one of its backups, or ' : ''
  throw new LibraryError(
    `The library file ${paths.db} is missing, but the library's folders (${left.join(', ')}) are still in ` +
      `${paths.home}: the library was deleted or damaged. Cohort did not start a new, empty one; ` +
      `${restore}move that folder away to start a new library.`,
    'damaged',
  )
}

/** Opens the library at `paths` for the service (never for a trainer, which opens an existing file). */
export function openLibrary(paths: LibraryPaths, nativeBinding?: string): Db {
  refuseLostLibrary(paths)
  const db = openDatabase(paths.db, undefined, { nativeBinding, backupsDir: paths.backups })
  try {
    dailyBackup(db, paths.backups)
  } catch (err) {
    // a backup that cannot be written (disk full, read-only folder) must not keep the library closed
    process.emitWarning(`Cohort could not back up the library: ${(err as Error).message}`)
  }
  return db
}
