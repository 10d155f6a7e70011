import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { startServer } from '../../server'
import { CliError, openService, type GlobalOptions } from '../context'
import { wholeNumber } from '../options'
import { say } from '../output'

/** The renderer built by `npm run build`, served as is. */
export function rendererDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'out', 'renderer')
}

export function registerServeCommand(program: Command, globals: () => GlobalOptions): void {
  program
    .command('serve')
    .description('serve the Cohort app to a browser (web mode), bound to loopback with an access token')
    .option('--port <n>', 'port (default: a free one)', wholeNumber(0, 65535), 0)
    .option(
      '--host <address>',
      'address to bind; anything but loopback exposes your library to the network',
      '127.0.0.1',
    )
    .action(async (opts: { port: number; host: string }) => {
      const port = opts.port
      const dir = rendererDir()
      if (!existsSync(join(dir, 'index.html')))
        throw new CliError('The app is not built yet: run `npm run build` first.')
      const service = await openService(globals())
      const server = await startServer({ service, rendererDir: dir, host: opts.host, port })
      process.stdout.write(say`Cohort is serving your library at ${server.url}\n`)
      const stop = async (): Promise<void> => {
        await server.close()
        service.close()
        process.exit(0)
      }
      process.once('SIGINT', () => void stop())
      process.once('SIGTERM', () => void stop())
    })
}
