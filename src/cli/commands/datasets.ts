import type { Command } from 'commander'
import type { CohortService } from '../../core/service'
import type { DatasetSummary } from '../../shared/types'
import { CliError, withService, type GlobalOptions } from '../context'
import { wholeNumber } from '../options'
import { printJson, printTable, say } from '../output'
import { datasetLoss } from '../../shared/loss-words'

/** Finds a dataset by name (case-insensitive) or numeric id, with a helpful error. */
export async function resolveDataset(service: CohortService, nameOrId: string): Promise<DatasetSummary> {
  const all = await service['datasets.list']()
  const found =
    all.find((d) => d.name.toLowerCase() === nameOrId.toLowerCase()) ??
    (/^\d+$/.test(nameOrId) ? all.find((d) => d.id === Number(nameOrId)) : undefined)
  if (found) return found
  const known = all.length
    ? ` Known datasets: ${all.map((d) => d.name).join(', ')}.`
    : ' The library has no datasets yet.'
  throw new CliError(`No dataset named "${nameOrId}".${known}`)
}

export function registerDatasetCommands(program: Command, globals: () => GlobalOptions): void {
  const datasets = program
    .command('datasets')
    .description('list the datasets in the library with their counts')
    .option('--json', 'print one JSON array')
    .action(async (opts: { json?: boolean }) => {
      await withService(globals(), async (service) => {
        const list = await service['datasets.list']()
        if (opts.json) return printJson(list)
        if (!list.length)
          return void process.stdout.write(
            'The library has no datasets. Import one: cohort import <folder>\n',
          )
        printTable(
          list.map((d) => ({
            id: d.id,
            name: d.name,
            images: d.imageCount,
            labelled: d.labeledCount,
            missing: d.missingCount,
            labels: d.labels.length,
            train: d.splits.train,
            validation: d.splits.validation,
            test: d.splits.test,
          })),
        )
      })
    })
  datasets
    .command('rename')
    .description('give a dataset a new name')
    .argument('<dataset>', 'dataset name or id')
    .argument('<new-name>')
    .action(async (nameOrId: string, newName: string) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, nameOrId)
        const renamed = await service['datasets.rename'](dataset.id, newName)
        process.stdout.write(say`Renamed dataset "${dataset.name}" to "${renamed.name}"\n`)
      })
    })
  datasets
    .command('delete')
    .alias('remove')
    .description('delete a dataset from the library with its labels and runs (the picture files stay)')
    .argument('<dataset>', 'dataset name or id')
    .option('--yes', 'delete without asking: says what is lost, then deletes')
    .action(async (nameOrId: string, opts: { yes?: boolean }) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, nameOrId)
        const runs = await service['runs.list'](dataset.id)
        const lost = say`${datasetLoss(dataset.name, dataset.imageCount, runs.length)}`
        if (!opts.yes) throw new CliError(`${lost} Nothing was deleted; add --yes to delete it.`)
        await service['datasets.remove'](dataset.id)
        process.stdout.write(say`Deleted dataset "${dataset.name}".\n`)
        process.stderr.write(`${lost}\n`)
      })
    })

  program
    .command('split')
    .description('split the labelled images into train / validation (/ test), stratified by label')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .option('--val <fraction>', 'share of each label for validation', '0.2')
    .option('--test <fraction>', 'share of each label for test', '0')
    .option('--seed <n>', 'random seed; the same seed gives the same split', wholeNumber(0, 2 ** 31), 1)
    .option('--json', 'print the counts as JSON')
    .action(async (opts: { dataset: string; val: string; test: string; seed: number; json?: boolean }) => {
      const validation = parseFraction('--val', opts.val)
      const test = parseFraction('--test', opts.test)
      const seed = opts.seed
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        const report = await service['splits.apply']({ datasetId: dataset.id, validation, test, seed })
        if (opts.json) return printJson(report)
        printTable(Object.entries(report.counts).map(([label, c]) => ({ label, ...c })))
        for (const w of report.warnings) process.stderr.write(say`warning: ${w}\n`)
      })
    })
}

export function parseFraction(flag: string, text: string): number {
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0 || value >= 1) {
    throw new CliError(`${flag} must be a fraction between 0 and 1, e.g. 0.2 (got "${text}")`)
  }
  return value
}
