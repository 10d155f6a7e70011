import type { Command } from 'commander'
import { withService, type GlobalOptions } from '../context'
import { printJson, safeText } from '../output'

export function registerInfoCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('info')
    .description('show where the library lives and what this Cohort can do')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      await withService(globals(), async (service) => {
        const info = await service['system.info']()
        if (opts.json) return printJson(info)
        const backend =
          info.backend.name === null
            ? `none (${info.backend.error})`
            : `${info.backend.name}${info.backend.kernels.length ? ` + ${info.backend.kernels.length} Cohort kernels` : ''}`
        process.stdout.write(
          safeText(
            `Cohort ${info.version}\nLibrary folder: ${info.home}\nLibrary file:   ${info.libraryFile}\nBackend:        ${backend}\n`,
            { keepNewlines: true },
          ),
        )
      })
    })
}
