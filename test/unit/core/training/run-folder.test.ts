import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TRAINER_PID_FILE } from '../../../../src/core/training/checkpoint'
import {
  pidRecord,
  processStartTime,
  recordAlive,
  trainerAlive,
  writeTrainerPid,
} from '../../../../src/core/training/run-folder'
import { tempDir } from '../../../helpers/temp'

const dirs: { cleanup: () => void }[] = []
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()))
function runDir(): string {
  const d = tempDir('cohort-run-folder-')
  dirs.push(d)
  return d.path
}

/** A pid no process has: one that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!
}

describe('the trainer pid record', () => {
  it('reads this process’s start time, the same every time', () => {
    const started = processStartTime(process.pid)
    if (process.platform === 'win32') return expect(started).toBeNull()
    expect(started).toMatch(/\S/)
    expect(processStartTime(process.pid)).toBe(started)
  })

  it('names a live trainer only when its pid runs and started when recorded', () => {
    expect(recordAlive(pidRecord(process.pid))).toBe(true)
    if (process.platform === 'win32') return
    // a live, unrelated process that got the pid: its start time differs
    expect(recordAlive(`${process.pid} 1`)).toBe(false)
    // a record from an older Cohort holds the pid only: where start times exist it proves nothing
    expect(recordAlive(String(process.pid))).toBe(false)
    expect(recordAlive(pidRecord(deadPid(), '123'))).toBe(false)
    expect(recordAlive('not a pid')).toBe(false)
  })

  it('is written into the run folder and read back from it', () => {
    const dir = join(runDir(), 'runs', '4')
    expect(trainerAlive(dir)).toBe(false)
    writeTrainerPid(dir, process.pid)
    expect(trainerAlive(dir)).toBe(true)
    writeFileSync(join(dir, TRAINER_PID_FILE), `${process.pid} 0`)
    expect(trainerAlive(dir)).toBe(process.platform === 'win32')
  })
})
