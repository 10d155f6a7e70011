import { describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { homedir } from 'node:os'
import { cohortHome, libraryPaths } from '../../../src/core/paths'

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
})
