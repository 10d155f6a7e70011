import { InvalidArgumentError, Option, type Command } from 'commander'
import { DEFAULT_LABEL_ORDER, LABEL_ORDERS, type AcceptReport } from '../../shared/types'
import { CliError, withService, type GlobalOptions } from '../context'
import { anId, wholeNumber } from '../options'
import { printJson, printTable, say } from '../output'
import { resolveDataset } from './datasets'

/** A confidence as 0–1 (`0.9`) or a percentage (`90%`), plain digits only, like every number option. */
export function confidence(text: string): number {
  const match = /^([0-9]{1,3}(?:\.[0-9]{1,6})?)(%?)$/.exec(text.trim())
  const value = match ? Number(match[1]) / (match[2] ? 100 : 1) : Number.NaN
  if (!(value >= 0 && value <= 1)) {
    throw new InvalidArgumentError('Expected a confidence from 0 to 1 (e.g. 0.9) or a percentage (e.g. 90%).')
  }
  return value
}

const percent = (p: number): string => `${Math.round(p * 100)}%`

function acceptedText(report: AcceptReport, dataset: string): string {
  if (report.accepted === 0)
    return 'No suggestion was accepted (nothing matched, or those pictures have labels).\n'
  const skipped = report.skipped > 0 ? ` (${report.skipped} left alone)` : ''
  return say`${report.description}${skipped}. Undo with: cohort undo --dataset ${dataset}\n`
}

export function registerSuggestCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('suggest')
    .description("the trained group's suggested label for each unlabelled picture, in a label-next order")
    .requiredOption('--dataset <name>', 'dataset name or id')
    .option('--run <id>', 'a completed run of the dataset (default: its latest)', anId)
    .addOption(
      new Option('--order <order>', `which pictures to label next (default: ${DEFAULT_LABEL_ORDER})`).choices(
        LABEL_ORDERS,
      ),
    )
    .option('--limit <n>', 'at most this many', wholeNumber(1, 1_000_000))
    .option('--json', 'print {"suggestions": [{"id", "path", "label", "confidence", "agree"}]}')
    .action(
      async (opts: {
        dataset: string
        run?: number
        order?: (typeof LABEL_ORDERS)[number]
        limit?: number
        json?: boolean
      }) => {
        await withService(globals(), async (service) => {
          const dataset = await resolveDataset(service, opts.dataset)
          const list = await service['suggestions.list'](dataset.id, {
            ...(opts.run !== undefined && { runId: opts.run }),
            ...(opts.order !== undefined && { order: opts.order }),
            ...(opts.limit !== undefined && { limit: opts.limit }),
          })
          if (list.runId === null) {
            throw new CliError(
              `Dataset "${dataset.name}" has no completed run yet; train one to get suggestions.`,
            )
          }
          if (opts.json) {
            return printJson({
              suggestions: list.suggestions.map((s) => ({
                id: s.imageId,
                path: s.path,
                label: s.label,
                confidence: s.confidence,
                agree: s.agree,
              })),
            })
          }
          if (list.suggestions.length === 0) {
            process.stdout.write(say`Every picture of "${dataset.name}" has a label: nothing to suggest.\n`)
            return
          }
          process.stdout.write(say`Suggestions of run ${list.runId}, ${list.order} order:\n`)
          printTable(
            list.suggestions.map((s) => ({
              id: s.imageId,
              label: s.label,
              confidence: percent(s.confidence),
              'all agree': s.agree ? 'yes' : 'no',
              path: s.path,
            })),
          )
        })
      },
    )

  program
    .command('accept')
    .description('accept suggested labels (one undoable action): chosen pictures, or every agreeing one')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .argument('[ids...]', 'image ids whose suggestions to accept')
    .option('--all-agreeing', 'every unlabelled picture on which all networks agree')
    .option(
      '--min-confidence <c>',
      'with --all-agreeing: only at least this confident (0.9 or 90%)',
      confidence,
    )
    .action(
      async (ids: string[], opts: { dataset: string; allAgreeing?: boolean; minConfidence?: number }) => {
        if (Boolean(opts.allAgreeing) === ids.length > 0) {
          throw new CliError('Give either image ids or --all-agreeing (not both, not neither).')
        }
        if (opts.minConfidence !== undefined && !opts.allAgreeing) {
          throw new CliError('--min-confidence goes with --all-agreeing.')
        }
        const imageIds = ids.map((id) => {
          if (!/^[0-9]{1,15}$/.test(id) || Number(id) < 1)
            throw new CliError(say`"${id}" is not an image id.`)
          return Number(id)
        })
        await withService(globals(), async (service) => {
          const dataset = await resolveDataset(service, opts.dataset)
          const report = opts.allAgreeing
            ? await service['suggestions.acceptAgreeing'](dataset.id, {
                minConfidence: opts.minConfidence ?? 0,
              })
            : await service['suggestions.accept'](dataset.id, imageIds)
          process.stdout.write(acceptedText(report, dataset.name))
        })
      },
    )
}
