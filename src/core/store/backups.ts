/**
 * Automatic copies of a library file in the library's own `backups/` folder: one before each migration
 * and one a day of use, the newest few kept. Each copy is SQLite's own consistent snapshot of the file
 * (`VACUUM INTO`: synchronous, safe while other processes read and write in WAL mode). `cohort doctor`
 * checks a library and restores one of these copies.
 */
import Database from 'better-sqlite3'
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import type { Db } from './db'

/** How many copies are kept; the oldest go first. */
export const BACKUPS_KEPT = 5
const DAY_MS = 24 * 60 * 60 * 1000
const PATTERN = /^library-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)-([a-z0-9-]+)\.sqlite$/

export interface BackupInfo {
  name: string
  path: string
  /** when it was taken (ISO) */
  takenAt: string
  /** why: `daily` or `before-migration-<n>` */
  reason: string
  bytes: number
}

export class BackupError extends Error {
  override name = 'BackupError'
}

/** The library's backups, newest first. */
export function listBackups(dir: string): BackupInfo[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const found: BackupInfo[] = []
  for (const name of names) {
    const m = PATTERN.exec(name)
    if (!m) continue
    const stamp = m[1]!
    const takenAt = `${stamp.slice(0, 10)}T${stamp.slice(11, 13)}:${stamp.slice(14, 16)}:${stamp.slice(17, 19)}.${stamp.slice(20, 23)}Z`
    found.push({ name, path: join(dir, name), takenAt, reason: m[2]!, bytes: statSync(join(dir, name)).size })
  }
  return found.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0))
}

/** Copies the open library into `dir` and keeps only the newest BACKUPS_KEPT copies; returns the copy. */
export function backupLibrary(db: Db, dir: string, reason: string, now = new Date()): string {
  mkdirSync(dir, { recursive: true })
  const stamp = now.toISOString().replace(/:/g, '-').replace('.', '-')
  const target = join(dir, `library-${stamp}-${reason}.sqlite`)
  const temp = `${target}.tmp`
  rmSync(temp, { force: true })
  // written whole under another name first, so a kill leaves no half copy that looks like a backup
  db.prepare('VACUUM INTO ?').run(temp)
  renameSync(temp, target)
  for (const old of listBackups(dir).slice(BACKUPS_KEPT)) rmSync(old.path, { force: true })
  return target
}

/**
 * Takes the day's copy unless one was taken in the last 24 hours (or the library holds no dataset yet:
 * nothing to lose, and an empty copy would only push out real ones). Returns it, or null.
 */
export function dailyBackup(db: Db, dir: string, now = new Date()): string | null {
  if (!db.prepare('SELECT 1 FROM datasets LIMIT 1').get()) return null
  const newest = listBackups(dir)[0]
  if (newest && now.getTime() - Date.parse(newest.takenAt) < DAY_MS) return null
  return backupLibrary(db, dir, 'daily', now)
}

/** SQLite's own check of a library file: 'ok', or the problems it lists. Never changes the file. */
export function checkIntegrity(file: string): { ok: boolean; problems: string[] } {
  let db: Database.Database | undefined
  try {
    // SQLite takes a 0-byte file for a new, empty database: for a library it means the data is gone
    if (statSync(file).size === 0) return { ok: false, problems: ['the file is empty (0 bytes)'] }
    db = new Database(file, { readonly: true, fileMustExist: true })
    const rows = db.pragma('integrity_check') as { integrity_check: string }[]
    const problems = rows.map((r) => r.integrity_check).filter((t) => t !== 'ok')
    return { ok: problems.length === 0, problems }
  } catch (err) {
    return { ok: false, problems: [(err as Error).message] }
  } finally {
    db?.close()
  }
}

/**
 * Puts backup `name` (a file name from listBackups, or 'latest') in place of the library file. The
 * current file (and its WAL) is kept aside as `<file>.damaged-<time>`, never deleted. The library must
 * not be open in any Cohort process.
 */
export function restoreBackup(
  file: string,
  dir: string,
  name: string,
  now = new Date(),
): { restored: BackupInfo; keptAside: string | null } {
  const backups = listBackups(dir)
  if (backups.length === 0) throw new BackupError(`There are no backups in ${dir}.`)
  const chosen = name === 'latest' ? backups[0] : backups.find((b) => b.name === basename(name))
  if (!chosen) {
    throw new BackupError(
      `No backup named '${name}' in ${dir}. Backups: ${backups.map((b) => b.name).join(', ')}.`,
    )
  }
  const check = checkIntegrity(chosen.path)
  if (!check.ok) {
    throw new BackupError(
      `The backup ${chosen.name} is damaged too: ${check.problems.slice(0, 3).join('; ')}`,
    )
  }
  let keptAside: string | null = null
  const stamp = now.toISOString().replace(/:/g, '-')
  for (const suffix of ['', '-wal', '-shm']) {
    if (!existsSync(file + suffix)) continue
    const aside = `${file}.damaged-${stamp}${suffix}`
    renameSync(file + suffix, aside)
    if (suffix === '') keptAside = aside
  }
  const temp = `${file}.restoring`
  copyFileSync(chosen.path, temp)
  renameSync(temp, file)
  return { restored: chosen, keptAside }
}

/** Whether another process holds the library's write lock (a damaged file, which cannot be locked either, is not busy). */
export function libraryBusy(file: string): boolean {
  let db: Database.Database | undefined
  try {
    db = new Database(file, { timeout: 0, fileMustExist: true })
    db.exec('BEGIN IMMEDIATE')
    db.exec('ROLLBACK')
    return false
  } catch (err) {
    return /^SQLITE_(BUSY|LOCKED)/.test(String((err as { code?: unknown }).code))
  } finally {
    db?.close()
  }
}
