import { writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Command } from 'commander'
import { SPLITS, type Split } from '../../shared/types'
import { FileRefusedError, MAX_CSV_BYTES, readTextBounded, refusalText } from '../../core/service/shell'
import { CliError, withService, type GlobalOptions } from '../context'
import { printJson, say } from '../output'
import { resolveDataset } from './datasets'

export function registerExportCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('export-dataset')
    .description('copy a dataset back to a folder per label (unlabelled images go to _unlabelled/)')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .requiredOption('--out <folder>', 'folder to write (created if needed)')
    .option('--split <split>', `only one split: ${SPLITS.join(', ')}`)
    .option('--json', 'print one JSON report')
    .action(async (opts: { dataset: string; out: string; split?: string; json?: boolean }) => {
      if (opts.split !== undefined && !SPLITS.includes(opts.split as Split)) {
        throw new CliError(`--split must be one of ${SPLITS.join(', ')} (got "${opts.split}")`)
      }
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        const out = resolve(opts.out)
        const report = await service['datasets.exportFolder'](
          dataset.id,
          out,
          opts.split as Split | undefined,
        )
        if (opts.json) return printJson(report)
        process.stdout.write(say`Copied ${report.copied} images to ${out}\n`)
        if (report.missing.length)
          process.stdout.write(`${report.missing.length} source files are missing and were not copied\n`)
        for (const f of report.failed) process.stdout.write(say`  failed ${f.path}: ${f.reason}\n`)
      })
    })

  program
    .command('export-csv')
    .description('write path,label,split for every image of a dataset')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .option('--out <file>', 'file to write (default: standard output)')
    .action(async (opts: { dataset: string; out?: string }) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        const csv = await service['datasets.exportCsv'](dataset.id)
        if (opts.out) writeFileSync(resolve(opts.out), csv)
        else process.stdout.write(csv)
      })
    })

  program
    .command('import-csv')
    .description('apply labels and splits from a path,label,split CSV to images already in the dataset')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .argument('<file>', 'CSV file; relative paths in it are relative to its folder')
    .option('--json', 'print one JSON report')
    .action(async (file: string, opts: { dataset: string; json?: boolean }) => {
      const path = resolve(file)
      let text: string
      try {
        text = await readTextBounded(path, { maxBytes: MAX_CSV_BYTES })
      } catch (err) {
        if (!(err instanceof FileRefusedError)) throw err
        throw new CliError(`Cannot read ${path}: ${refusalText(err)}`)
      }
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        const result = await service['datasets.applyCsv'](dataset.id, text, dirname(path))
        if (opts.json) return printJson(result)
        process.stdout.write(`Applied ${result.applied} rows (${result.changed} images changed)\n`)
        if (result.unknownPaths.length) {
          process.stdout.write(
            say`${result.unknownPaths.length} paths are not in the dataset (import them first), e.g. ${result.unknownPaths[0]}\n`,
          )
        }
        for (const e of result.errors) process.stdout.write(say`  ${e}\n`)
      })
    })

  program
    .command('refresh')
    .description('mark images whose source file disappeared as missing (never deletes them)')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .action(async (opts: { dataset: string }) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        const r = await service['images.refresh'](dataset.id)
        process.stdout.write(`${r.missing} images missing, ${r.restored} back again\n`)
      })
    })
}
