import { Command, CommanderError } from 'commander'
import { CliError, type GlobalOptions } from './context'
import { registerDatasetCommands } from './commands/datasets'
import { registerImportCommand } from './commands/import'
import { registerLabelCommands } from './commands/labels'
import { registerExportCommands } from './commands/export'
import { registerBenchCommand } from './commands/bench'
import { registerInfoCommand } from './commands/info'
import { registerServeCommand } from './commands/serve'

const program = new Command()
program
  .name('cohort')
  .description('Cohort: label your pictures and train a group of networks together, offline.')
  .option('--db <file>', 'library file to use (default: the app library; COHORT_HOME moves it)')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()

const globals = (): GlobalOptions => program.opts<GlobalOptions>()
registerInfoCommand(program, globals)
registerImportCommand(program, globals)
registerDatasetCommands(program, globals)
registerLabelCommands(program, globals)
registerExportCommands(program, globals)
registerServeCommand(program, globals)
registerBenchCommand(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage mistakes were already explained by commander
    process.exitCode = err.exitCode === 0 ? 0 : 2
  } else {
    const message = err instanceof Error ? err.message : String(err)
    process.stderr.write(`cohort: ${message}\n`)
    if (process.env.COHORT_DEBUG && err instanceof Error && !(err instanceof CliError)) {
      process.stderr.write(`${err.stack}\n`)
    }
    process.exitCode = 1
  }
}
