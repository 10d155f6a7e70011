import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { homedir } from 'node:os'
import { cohortHome, libraryFolder, libraryPaths } from '../../../src/core/paths'

describe('library location', () => {
  it('honours COHORT_HOME on every platform', () => {
    expect(cohortHome({ COHORT_HOME: '/data/cohort' }, 'linux')).toBe('/data/cohort')
    expect(cohortHome({ COHORT_HOME: '/data/cohort' }, 'win32')).toBe('/data/cohort')
  })

  it("matches Electron's userData folder for an app named Cohort", () => {
    expect(cohortHome({}, 'linux')).toBe(join(homedir(), '.config', 'Cohort'))
    expect(cohortHome({ XDG_CONFIG_HOME: '/x' }, 'linux')).toBe(join('/x', 'Cohort'))
    expect(cohortHome({}, 'darwin')).toBe(join(homedir(), 'Library', 'Application Support', 'Cohort'))
    expect(cohortHome({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toBe(
      join('C:\\Users\\a\\AppData\\Roaming', 'Cohort'),
    )
  })

  it('keeps the database in the library folder unless told otherwise', () => {
    expect(libraryPaths('/h').db).toBe(join('/h', 'library.sqlite'))
    expect(libraryPaths('/h', '/elsewhere/lib.db').db).toBe('/elsewhere/lib.db')
    expect(libraryPaths('/h').thumbnails).toBe(join('/h', 'thumbnails'))
  })

  it('keeps everything a library owns with its file: beside a --db file, in a folder named after it', () => {
    const own = libraryPaths('/h')
    expect(own.home).toBe('/h')
    expect([own.runs, own.cache, own.models, own.added, own.backups]).toEqual(
      ['runs', 'cache', 'models', 'added', 'backups'].map((f) => join('/h', f)),
    )
    const other = libraryPaths('/h', '/work/birds.sqlite')
    expect(other.home).toBe(join('/work', 'birds.cohort'))
    expect(other.runs).toBe(join('/work', 'birds.cohort', 'runs'))
    expect(other.thumbnails).toBe(join('/work', 'birds.cohort', 'thumbnails'))
    expect(other.backups).toBe(join('/work', 'birds.cohort', 'backups'))
    // two files in one folder never share runs
    expect(libraryPaths('/h', '/h/a.sqlite').runs).not.toBe(libraryPaths('/h', '/h/b.sqlite').runs)
    expect(libraryPaths('/h', '/h/a.sqlite').runs).not.toBe(libraryPaths('/h').runs)
  })

  it("treats a file named library.sqlite as its folder's own library, wherever --db names it", () => {
    expect(libraryPaths('/h', '/h/library.sqlite')).toEqual(libraryPaths('/h'))
    expect(libraryFolder('/elsewhere/library.sqlite')).toBe('/elsewhere')
    expect(libraryFolder('/x/notes')).toBe(join('/x', 'notes.cohort'))
    expect(libraryFolder('/x/old.db')).toBe(join('/x', 'old.cohort'))
    // the trainer rebuilds the paths from what the service sends it: the same folders
    const sent = libraryPaths('/h', '/work/birds.sqlite')
    expect(libraryPaths(sent.home, sent.db)).toEqual(sent)
  })
})
