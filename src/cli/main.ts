import { Command, CommanderError } from 'commander'
import { CliError, type GlobalOptions } from './context'
import { safeText } from './output'
import { plainLibraryError } from '../core/service/shell'
import { registerDatasetCommands } from './commands/datasets'
import { registerImportCommand } from './commands/import'
import { registerLabelCommands } from './commands/labels'
import { registerExportCommands } from './commands/export'
import { registerBenchCommand } from './commands/bench'
import { registerExperimentCommand } from './commands/experiment'
import { registerInfoCommand } from './commands/info'
import { registerServeCommand } from './commands/serve'
import { registerTrainCommands } from './commands/train'
import { registerRecogniseCommands } from './commands/recognise'
import { registerDoctorCommand } from './commands/doctor'
import { registerSuggestCommands } from './commands/suggest'

const program = new Command()
program
  .name('cohort')
  .description('Cohort: label your pictures and train a group of networks together, offline.')
  .option('--db <file>', 'library file to use (default: the app library; COHORT_HOME moves it)')
  .option(
    '--backend <name>',
    'force the TensorFlow.js backend: tensorflow, wasm or cpu (also COHORT_BACKEND)',
  )
  .showHelpAfterError('(run with --help for usage)')
  // commander quotes the offending argument, which may be a hostile file name
  .configureOutput({ outputError: (text, write) => write(safeText(text, { keepNewlines: true })) })
  .exitOverride()

const globals = (): GlobalOptions => program.opts<GlobalOptions>()
// the backend choice travels in the environment so trainer processes inherit it
program.hook('preAction', () => {
  const { backend } = program.opts<{ backend?: string }>()
  if (backend) process.env.COHORT_BACKEND = backend
})
registerInfoCommand(program, globals)
registerImportCommand(program, globals)
registerDatasetCommands(program, globals)
registerLabelCommands(program, globals)
registerExportCommands(program, globals)
registerServeCommand(program, globals)
registerTrainCommands(program, globals)
registerRecogniseCommands(program, globals)
registerSuggestCommands(program, globals)
registerDoctorCommand(program, globals)
registerBenchCommand(program)
registerExperimentCommand(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage mistakes were already explained by commander
    process.exitCode = err.exitCode === 0 ? 0 : 2
  } else {
    const plain = plainLibraryError(err)
    const message = plain instanceof Error ? plain.message : String(plain)
    process.stderr.write(`cohort: ${safeText(message, { keepNewlines: true })}\n`)
    if (process.env.COHORT_DEBUG && err instanceof Error && !(err instanceof CliError)) {
      process.stderr.write(`${err.stack}\n`)
    }
    process.exitCode = 1
  }
}
