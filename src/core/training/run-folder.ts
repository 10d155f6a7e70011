/**
 * A run's folder (`<library>/runs/<id>/`) and the trainer's pid record in it. Plain Node, no tfjs: the
 * service reads these to tell a live trainer from a dead one.
 *
 * The record holds the trainer's pid and its process start time, because pids are reused: a pid alone
 * names whatever process got that number after the trainer died (a live unrelated process kept a dead
 * run "running" forever). Start time: Linux reads field 22 of /proc/<pid>/stat (clock ticks since boot);
 * macOS and other Unixes ask `ps -o lstart=`; where neither works (Windows) the record holds the pid
 * only and a live pid counts as the trainer.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { lstat, realpath, rm } from 'node:fs/promises'
import { join, relative, isAbsolute } from 'node:path'
import type { LibraryPaths } from '../paths'
import { TRAINER_PID_FILE } from './checkpoint'

/** The folder of a run's checkpoint and final model. */
export function runDirectory(paths: LibraryPaths, runId: number): string {
  return join(paths.runs, String(runId))
}

/**
 * Deletes a run's folder, only when it really lies inside the library's runs folder: a link named like a
 * run folder is removed as a link, never followed out of the library.
 */
export async function removeRunFolder(paths: LibraryPaths, runId: number): Promise<void> {
  const dir = runDirectory(paths, runId)
  let info
  try {
    info = await lstat(dir)
  } catch {
    return // never written, or already gone
  }
  if (!info.isDirectory()) {
    await rm(dir, { force: true }) // a link or a stray file: the name goes, what it points at stays
    return
  }
  const [root, real] = await Promise.all([realpath(paths.runs), realpath(dir)])
  const inside = relative(root, real)
  if (!inside || inside.startsWith('..') || isAbsolute(inside)) {
    throw new Error(`Not deleting ${dir}: it is not inside the library's runs folder.`)
  }
  await rm(real, { recursive: true, force: true })
}

/** When process `pid` started, as an opaque string comparable only with itself; null if unknown. */
export function processStartTime(pid: number, platform: NodeJS.Platform = process.platform): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null
  try {
    if (platform === 'linux') {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      // the command name (field 2) may hold spaces and parentheses: count from its closing one
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      return fields[22 - 3] ?? null
    }
    if (platform === 'win32') return null
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 })
    return out.trim() || null
  } catch {
    return null
  }
}

/** The record written for the trainer of a run: `<pid>` or `<pid> <start time>`. */
export function pidRecord(pid: number, started = processStartTime(pid)): string {
  return started === null ? String(pid) : `${pid} ${started}`
}

/** Writes the trainer's record into the run folder (created if needed). */
export function writeTrainerPid(runDir: string, pid: number): void {
  mkdirSync(runDir, { recursive: true })
  writeFileSync(join(runDir, TRAINER_PID_FILE), pidRecord(pid))
}

export function removeTrainerPid(runDir: string): void {
  rmSync(join(runDir, TRAINER_PID_FILE), { force: true })
}

/** Whether a record's process is alive now: its pid exists and (where known) started when recorded. */
export function recordAlive(record: string, platform: NodeJS.Platform = process.platform): boolean {
  const [pidText, ...rest] = record.trim().split(' ')
  const pid = Number(pidText)
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const now = processStartTime(pid, platform)
  // where start times can be read, a record without one (written by an older Cohort) cannot prove it
  if (now === null) return true
  return rest.length > 0 && rest.join(' ') === now
}

/** Whether the trainer named in a run folder's pid record is running; false when there is none. */
export function trainerAlive(runDir: string): boolean {
  let record: string
  try {
    record = readFileSync(join(runDir, TRAINER_PID_FILE), 'utf8')
  } catch {
    return false
  }
  return recordAlive(record)
}

/** Whether the run folder has a pid record at all (a trainer was started for it). */
export function hasTrainerPid(runDir: string): boolean {
  try {
    readFileSync(join(runDir, TRAINER_PID_FILE))
    return true
  } catch {
    return false
  }
}
