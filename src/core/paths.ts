import { homedir } from 'node:os'
import { join } from 'node:path'

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

export interface LibraryPaths {
  home: string
  db: string
  thumbnails: string
  runs: string
  cache: string
}

export function libraryPaths(home: string, dbFile?: string): LibraryPaths {
  return {
    home,
    db: dbFile ?? join(home, 'library.sqlite'),
    thumbnails: join(home, 'thumbnails'),
    runs: join(home, 'runs'),
    cache: join(home, 'cache'),
  }
}
