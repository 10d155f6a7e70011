import { existsSync, statSync } from 'node:fs'
import type { Command } from 'commander'
import {
  BackupError,
  checkIntegrity,
  libraryBusy,
  listBackups,
  restoreBackup,
} from '../../core/store/backups'
import { CliError, cliLibraryPaths, type GlobalOptions } from '../context'
import { printJson, printTable } from '../output'

/** The library file's state as `cohort doctor` reports it. */
function diagnose(file: string): { state: 'ok' | 'missing' | 'empty' | 'damaged'; problems: string[] } {
  if (!existsSync(file)) return { state: 'missing', problems: [] }
  const check = checkIntegrity(file)
  if (statSync(file).size === 0) return { state: 'empty', problems: check.problems }
  return check.ok ? { state: 'ok', problems: [] } : { state: 'damaged', problems: check.problems }
}

/** Refuses to swap the file under a process writing to it (best effort: an idle reader is not seen). */
function refuseIfBusy(file: string): void {
  if (!existsSync(file) || statSync(file).size === 0) return
  if (libraryBusy(file)) {
    throw new CliError(
      'The library is in use by another Cohort process; close the app and any `cohort` first.',
    )
  }
}

export function registerDoctorCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('doctor')
    .description("check the library file's integrity, list its backups, or restore one (--restore)")
    .option('--restore [backup]', 'put a backup in place of the library file (default: the latest)')
    .option('--json', 'print one JSON object')
    .action((opts: { restore?: string | true; json?: boolean }) => {
      const paths = cliLibraryPaths(globals())
      if (opts.restore !== undefined) {
        refuseIfBusy(paths.db)
        const name = opts.restore === true ? 'latest' : opts.restore
        let done
        try {
          done = restoreBackup(paths.db, paths.backups, name)
        } catch (err) {
          if (err instanceof BackupError) throw new CliError(err.message)
          throw err
        }
        if (opts.json) return printJson({ restored: done.restored, keptAside: done.keptAside })
        process.stdout.write(
          `Restored ${done.restored.name} (taken ${done.restored.takenAt}) as ${paths.db}\n` +
            (done.keptAside ? `The previous file is kept as ${done.keptAside}\n` : ''),
        )
        return
      }
      const health = diagnose(paths.db)
      const backups = listBackups(paths.backups)
      if (opts.json) {
        printJson({ libraryFile: paths.db, folder: paths.home, ...health, backups })
      } else {
        const states = {
          ok: 'intact',
          missing: 'missing',
          empty: 'EMPTY — damaged',
          damaged: 'DAMAGED',
        }
        process.stdout.write(`Library file: ${paths.db}\nState:        ${states[health.state]}\n`)
        for (const p of health.problems.slice(0, 10)) process.stdout.write(`  ${p}\n`)
        if (backups.length === 0) process.stdout.write(`No backups in ${paths.backups}\n`)
        else {
          process.stdout.write(`Backups in ${paths.backups}:\n`)
          printTable(
            backups.map((b) => ({ name: b.name, taken: b.takenAt, reason: b.reason, bytes: b.bytes })),
          )
          if (health.state !== 'ok')
            process.stdout.write('Restore the latest with: cohort doctor --restore\n')
        }
      }
      if (health.state === 'empty' || health.state === 'damaged') process.exitCode = 1
    })
}
