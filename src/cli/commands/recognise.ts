import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { recognitionCsv } from '../../shared/recognition-csv'
import type { EvaluationReport, NetworkChoice, RecognitionReport } from '../../shared/types'
import { CliError, withService, type GlobalOptions } from '../context'
import { anId, wholeNumber } from '../options'
import { printJson, printTable, safeText, say } from '../output'

interface ModelOptions {
  run?: number
  model?: string
}

/** `--run ID` (that run's final model) or `--model DIR` (an exported or imported model folder). */
function modelTarget(opts: ModelOptions): number | string {
  if ((opts.run === undefined) === (opts.model === undefined)) {
    throw new CliError(
      'Give exactly one of --run <id> (a trained run) or --model <folder> (an exported model).',
    )
  }
  if (opts.model !== undefined) return resolve(opts.model)
  return opts.run!
}

// a group has 2–4 networks; an imported bundle is checked against its own count by the service
const networkIndex = wholeNumber(0, 99)

const images = (n: number): string => (n === 1 ? '1 image' : `${n} images`)
const percent = (p: number): string => `${(p * 100).toFixed(1)}%`

export function registerRecogniseCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('predict')
    .description('recognise images (files or folders) with a trained run or an exported model')
    .argument('<paths...>', 'image files or folders')
    .option('--run <id>', 'use the final model of this run', anId)
    .option('--model <folder>', 'use an exported or imported model folder')
    .option('--network <n>', 'use one network (0 = the first) instead of the ensemble', networkIndex)
    .option('--ensemble', 'use the validation-weighted ensemble of all networks (the default)')
    .option('--top <k>', 'labels to report per image', wholeNumber(1, 1000), 3)
    .option('--per-network', "also report each network's own labels (ensemble only)")
    .option('--json', 'print one JSON report')
    .option('--csv <file>', 'write path,label,probability,… rows to a file ("-" for standard output)')
    .action(
      async (
        paths: string[],
        opts: ModelOptions & {
          network?: number
          ensemble?: boolean
          top: number
          perNetwork?: boolean
          json?: boolean
          csv?: string
        },
      ) => {
        if (opts.network !== undefined && opts.ensemble) {
          throw new CliError('Choose either --network <n> or --ensemble, not both.')
        }
        const network: NetworkChoice = opts.network ?? 'ensemble'
        const topK = opts.top
        const model = modelTarget(opts)
        const files = paths.map((p) => resolve(p))
        await withService(globals(), async (service) => {
          const report = await service['recognise.files'](model, files, {
            network,
            topK,
            perNetwork: opts.perNetwork === true,
          })
          if (opts.csv !== undefined) {
            if (opts.csv === '-') process.stdout.write(recognitionCsv(report))
            else writeFileSync(resolve(opts.csv), recognitionCsv(report))
          }
          if (opts.json) printJson(report)
          else if (opts.csv !== '-') printPredictions(report)
          // a script must notice when nothing could be recognised at all
          if (report.results.length > 0 && report.results.every((r) => 'error' in r)) process.exitCode = 1
        })
      },
    )

  program
    .command('eval')
    .description('measure accuracy on a labelled folder (sub-folder names are the labels)')
    .argument('<folder>', 'folder with one sub-folder of images per label')
    .option('--run <id>', 'evaluate the final model of this run', anId)
    .option('--model <folder>', 'evaluate an exported or imported model folder')
    .option('--json', 'print one JSON report')
    .action(async (folder: string, opts: ModelOptions & { json?: boolean }) => {
      const model = modelTarget(opts)
      await withService(globals(), async (service) => {
        const report = await service['runs.evaluate'](model, resolve(folder))
        if (opts.json) printJson(report)
        else printEvaluation(report)
      })
    })

  program
    .command('export')
    .description("copy a run's trained networks to a folder (TensorFlow.js Layers models + metadata.json)")
    .requiredOption('--run <id>', 'run whose final model to export', anId)
    .requiredOption('--out <folder>', 'new or empty folder to write')
    .option('--json', 'print one JSON report')
    .action(async (opts: { run: number; out: string; json?: boolean }) => {
      const id = opts.run
      await withService(globals(), async (service) => {
        const report = await service['models.export'](id, resolve(opts.out))
        if (opts.json) return printJson(report)
        process.stdout.write(
          say`Exported ${report.metadata.networks.length} networks (${report.files} files, ${report.bytes} bytes) to ${report.dir}\n`,
        )
      })
    })

  program
    .command('import-model')
    .description('check an exported model folder and copy it into the library')
    .argument('<folder>', 'a folder written by cohort export')
    .option('--json', 'print one JSON report')
    .action(async (folder: string, opts: { json?: boolean }) => {
      await withService(globals(), async (service) => {
        const report = await service['models.import'](resolve(folder))
        if (opts.json) return printJson(report)
        const m = report.metadata
        process.stdout.write(
          say`Imported a model of ${m.networks.length} networks (${m.networks.map((n) => n.arch).join(', ')}) ` +
            say`for ${m.classNames.length} labels into ${report.dir}\nRecognise with: cohort predict --model ${report.dir} <images>\n`,
        )
      })
    })
}

function printPredictions(report: RecognitionReport): void {
  printTable(
    report.results.map((r) => {
      if ('error' in r) return { path: r.path, label: '', probability: '', also: `error: ${r.error}` }
      const [best, ...rest] = r.predictions
      return {
        path: r.path,
        label: best?.label ?? '',
        probability: best ? percent(best.probability) : '',
        also: rest.map((p) => `${p.label} ${percent(p.probability)}`).join(', '),
      }
    }),
  )
}

function printEvaluation(r: EvaluationReport): void {
  const out = process.stdout
  out.write(`Evaluated on ${images(r.images)}\n`)
  for (const n of r.networks) out.write(say`  network ${n.index} (${n.arch}): ${percent(n.accuracy)}\n`)
  out.write(`  ensemble: ${percent(r.ensemble.accuracy)}\n\nPer label (ensemble):\n`)
  printTable(
    r.perClass.map((c) => ({
      label: c.label,
      images: c.images,
      accuracy: c.accuracy === null ? '-' : percent(c.accuracy),
    })),
  )
  out.write('\nConfusion (rows: true label, columns: predicted):\n')
  // built by hand: label names such as "0", "1" would reorder the keys of printTable's records
  const cells = [
    ['', ...r.classNames.map((name) => safeText(name))],
    ...r.classNames.map((name, i) => [safeText(name), ...r.confusion[i]!.map(String)]),
  ]
  const widths = cells[0]!.map((_, j) => Math.max(...cells.map((row) => row[j]!.length)))
  for (const row of cells)
    out.write(
      `${row
        .map((c, j) => c.padEnd(widths[j]!))
        .join('  ')
        .trimEnd()}\n`,
    )
  for (const u of r.unknownLabels) {
    out.write(
      say`Not evaluated: ${images(u.images)} labelled "${u.label}", a label the model does not know\n`,
    )
  }
  if (r.unlabelled > 0) out.write(`Not evaluated: ${images(r.unlabelled)} outside a label sub-folder\n`)
  for (const u of r.unreadable) out.write(say`Unreadable: ${u.path} (${u.reason})\n`)
}
