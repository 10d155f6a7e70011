import type { Command } from 'commander'
import { CliError } from '../context'
import { wholeNumber } from '../options'
import { printJson } from '../output'

const SUITES = ['import', 'engine', 'epoch'] as const
type Suite = (typeof SUITES)[number]

/**
 * `cohort bench [suite…]`: each figure printed beside its peer measured in the same run.
 * The suites live in bench/ (they are measurements, not app code) and are loaded on demand.
 */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(`run benchmarks beside their peers: ${SUITES.join(', ')} (default: all)`)
    .argument('[suites...]', 'which benchmarks')
    .option('--quick', 'smaller runs (under two minutes)')
    .option(
      '--count <n>',
      'images for the import benchmark (default 10000, quick 1000)',
      wholeNumber(1, 1_000_000),
    )
    .option(
      '--images <n>',
      'training pictures for the epoch benchmark, times scaled to 55,000 (default 55000, quick 2048)',
      wholeNumber(129, 55_000),
    )
    .option('--data <dir>', 'Fashion-MNIST IDX folder for the epoch benchmark')
    .option('--json', 'print one JSON object')
    .action(
      async (
        names: string[],
        opts: { quick?: boolean; count?: number; images?: number; data?: string; json?: boolean },
      ) => {
        const suites = (names.length ? names : [...SUITES]) as Suite[]
        for (const s of suites) {
          if (!SUITES.includes(s))
            throw new CliError(`Unknown benchmark "${s}"; choose from ${SUITES.join(', ')}.`)
        }
        const count = opts.count
        const results: Record<string, unknown> = {}
        for (const suite of suites) {
          if (suite === 'import') {
            const { runImportBenchmark, printImportBenchmark } = await import('../../../bench/import')
            const r = await runImportBenchmark({ count: count ?? (opts.quick ? 1000 : 10_000) })
            results.import = r
            if (!opts.json) printImportBenchmark(r)
          } else if (suite === 'epoch') {
            const { runEpochBenchmark, printEpochBenchmark, epochJson } = await import('../../../bench/epoch')
            const r = await runEpochBenchmark({
              quick: opts.quick ?? false,
              ...(opts.images !== undefined ? { images: opts.images } : {}),
              ...(opts.data !== undefined ? { dataDir: opts.data } : {}),
            })
            results.epoch = epochJson(r)
            if (!opts.json) printEpochBenchmark(r)
          } else {
            const { runEngineBenchmark, printEngineBenchmark } = await import('../../../bench/engine')
            const r = await runEngineBenchmark({ quick: opts.quick ?? false })
            results.engine = r
            if (!opts.json) printEngineBenchmark(r)
          }
        }
        // The engine suite alone prints the documented object itself; several suites nest by name.
        if (opts.json) printJson(suites.length === 1 ? results[suites[0]!] : results)
      },
    )
}
