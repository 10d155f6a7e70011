import { homedir } from 'node:os'
import { basename, dirname, extname, join, resolve } from 'node:path'

/**
 * Where Cohort keeps a person's library. Matches Electron's `app.getPath('userData')` for an app
 * named "Cohort" so the desktop app and the CLI share one library; COHORT_HOME overrides both.
 */
export function cohortHome(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.COHORT_HOME) return env.COHORT_HOME
  const home = homedir()
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Cohort')
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'Cohort')
  return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Cohort')
}

/** The name of the library file inside a library folder. */
export const LIBRARY_FILE = 'library.sqlite'

export interface LibraryPaths {
  /** the library's own folder: everything below belongs to this library and to no other */
  home: string
  db: string
  thumbnails: string
  runs: string
  cache: string
  /** imported model bundles */
  models: string
  /** pictures dropped or pasted into Recognise and added to a dataset */
  added: string
  /** automatic copies of the library file (before each migration, once a day of use) */
  backups: string
}

/**
 * The folder that holds everything a library file owns. A file named `library.sqlite` is a library
 * folder's own file, so its folder is the library; any other file (`--db ~/work/birds.sqlite`) gets a
 * folder beside it named after it (`~/work/birds.cohort/`), so two library files never share runs,
 * thumbnails or backups.
 */
export function libraryFolder(dbFile: string): string {
  const file = resolve(dbFile)
  const name = basename(file)
  if (name === LIBRARY_FILE) return dirname(file)
  const ext = extname(name)
  const stem = ext === '.sqlite' || ext === '.db' || ext === '.sqlite3' ? name.slice(0, -ext.length) : name
  return join(dirname(file), `${stem}.cohort`)
}

/** The library at `home` (its file `home/library.sqlite`), or the one whose file is `dbFile`. */
export function libraryPaths(home: string, dbFile?: string): LibraryPaths {
  const db = dbFile === undefined ? join(home, LIBRARY_FILE) : resolve(dbFile)
  const root = dbFile === undefined ? home : libraryFolder(db)
  return {
    home: root,
    db,
    thumbnails: join(root, 'thumbnails'),
    runs: join(root, 'runs'),
    cache: join(root, 'cache'),
    models: join(root, 'models'),
    added: join(root, 'added'),
    backups: join(root, 'backups'),
  }
}
