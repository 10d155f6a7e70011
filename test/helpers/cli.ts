import { execFile, spawnSync } from 'node:child_process'
import { join } from 'node:path'

const BIN = join(__dirname, '..', '..', 'bin', 'cohort.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the real `cohort` CLI in a child process against the given library folder. */
export function runCli(home: string, args: string[], cwd?: string): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, COHORT_HOME: home, COHORT_DEBUG: '' },
    encoding: 'utf8',
    timeout: 120_000,
  })
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

/** runCli without blocking the test: several CLI children can then run side by side. */
export function runCliAsync(home: string, args: string[], cwd?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd,
        env: { ...process.env, COHORT_HOME: home, COHORT_DEBUG: '' },
        encoding: 'utf8',
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}
