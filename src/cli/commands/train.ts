import { join } from 'node:path'
import { SAMPLE_DATASET, type CohortService } from '../../core/service'
import {
  COVARIANCE_FROM,
  MIN_LOSS_UP_TO,
  recommendedEnsembleRule,
  recommendedTeacher,
} from '../../shared/recommended-settings'
import type { DatasetSummary, EpochMetrics, RunSummary } from '../../shared/types'
import { InvalidArgumentError, type Command } from 'commander'
import {
  ENSEMBLE_RULES,
  WHOLE_SETTING_RANGES,
  type TrainingSettingsInput,
} from '../../shared/training-settings'
import { CliError, withService, type GlobalOptions } from '../context'
import { anId, wholeNumber } from '../options'
import { endProgress, printJson, printTable, progressLine, safeText, say } from '../output'
import { resolveDataset } from './datasets'

interface TrainOptions {
  dataset: string
  nets?: string
  teacher?: string
  ensembleRule?: string
  epochs?: number
  imageSize?: number
  channels?: number
  batchSize?: number
  lr?: string
  lambda?: string
  temperature?: string
  seed?: number
  optimiser?: string
  json?: boolean
}

/** A number given on the command line, or a one-line error naming the flag. */
function numberOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new CliError(`${flag} must be a number (got "${text}")`)
  }
  return value
}

/** Only the settings the user gave: the rest take TrainingConfig's defaults. */
function settingsFrom(opts: TrainOptions, datasetId: number): TrainingSettingsInput {
  const settings: Record<string, unknown> = { dataset: datasetId }
  const put = (key: string, value: unknown) => {
    if (value !== undefined) settings[key] = value
  }
  if (opts.nets !== undefined) {
    settings.networks = opts.nets
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean)
      .map((arch) => ({ arch }))
  }
  put('teacher', opts.teacher)
  put('ensembleRule', opts.ensembleRule)
  put('optimiser', opts.optimiser)
  put('epochs', opts.epochs)
  put('imageSize', opts.imageSize)
  put('channels', opts.channels)
  put('batchSize', opts.batchSize)
  put('lr', numberOption('--lr', opts.lr))
  put('lambda', numberOption('--lambda', opts.lambda))
  put('T', numberOption('--temperature', opts.temperature))
  put('seed', opts.seed)
  // as the user wrote them: the service checks every value and names the setting that is wrong
  return settings as TrainingSettingsInput
}

const epochs = wholeNumber(...WHOLE_SETTING_RANGES.epochs)

function channels(text: string): number {
  if (text !== '1' && text !== '3') throw new InvalidArgumentError('Expected 1 (grey) or 3 (colour).')
  return Number(text)
}

const percent = (x: number) => `${(100 * x).toFixed(1)}%`

function epochLine(m: EpochMetrics, total: number | undefined): string {
  const nets = m.networks.map((n) => `${n.arch} ${percent(n.valAcc)}`).join('  ')
  const weights = m.ensemble.weights.map((w) => w.toFixed(2)).join('/')
  const teacher = m.teacher ? `  teacher ${percent(m.teacher.valAcc)}` : ''
  return `epoch ${m.epoch}${total ? `/${total}` : ''}  ${nets}  ensemble ${percent(m.ensemble.valAcc)} (${weights})${teacher}  lr ${m.lr.toPrecision(2)}  ${m.seconds.toFixed(1)} s`
}

/** The documented last line of `train --json`. */
export function finalReport(run: RunSummary) {
  const last = run.last
  return {
    run: run.id,
    backend: run.backend,
    networks: run.networks.map((n) => ({
      index: n.index,
      arch: n.arch,
      valAcc: last?.networks[n.index]?.valAcc ?? null,
    })),
    ensemble: { valAcc: last?.ensemble.valAcc ?? null, weights: last?.ensemble.weights ?? null },
  }
}

/**
 * Streams a run's epochs until its trainer ends; Ctrl-C cancels it (it stays resumable). Throws a CliError
 * when the run does not complete.
 */
async function follow(service: CohortService, run: RunSummary, json: boolean): Promise<RunSummary> {
  const total = typeof run.config.epochs === 'number' ? run.config.epochs : undefined
  const stops = [
    service.events.on('run.epoch', ({ runId, metrics }) => {
      if (runId !== run.id) return
      endProgress()
      if (json) printJson(metrics)
      else process.stdout.write(`${safeText(epochLine(metrics, total))}\n`)
    }),
    service.events.on('run.progress', (p) => {
      if (p.runId !== run.id) return
      progressLine(
        p.epoch === 0
          ? `preparing images ${p.step}/${p.steps}`
          : `epoch ${p.epoch}: step ${p.step}/${p.steps}`,
      )
    }),
    service.events.on('run.status', (s) => {
      if (s.runId === run.id && s.backend && !json) process.stderr.write(say`training on ${s.backend}\n`)
    }),
  ]
  const onSigint = (): void => {
    process.stderr.write('\ncancelling… (the run stays resumable)\n')
    void service['runs.cancel'](run.id)
  }
  process.on('SIGINT', onSigint)
  try {
    const done = await service['runs.wait'](run.id)
    endProgress()
    if (done.status === 'completed') return done
    if (done.status === 'cancelled' || done.status === 'interrupted') {
      throw new CliError(
        `${done.message ?? `Run ${done.id} was ${done.status}.`} (cohort resume --run ${done.id})`,
      )
    }
    throw new CliError(done.message ?? `Run ${done.id} ${done.status}.`)
  } finally {
    process.off('SIGINT', onSigint)
    for (const stop of stops) stop()
  }
}

function printSummary(run: RunSummary, seconds: number, json: boolean, runsDir: string): void {
  if (json) return printJson(finalReport(run))
  const last = run.last
  if (!last) return
  const nets = last.networks.map((n) => `${n.arch} ${percent(n.valAcc)}`).join(', ')
  process.stdout.write(
    `Run ${run.id} completed on ${run.backend ?? '?'} in ${seconds.toFixed(0)} s: ${nets}; ` +
      `ensemble ${percent(last.ensemble.valAcc)} (weights ${last.ensemble.weights.map((w) => w.toFixed(2)).join('/')}).\n` +
      say`Model saved in ${join(runsDir, String(run.id), 'final')}\n`,
  )
}

async function trainAndReport(
  service: CohortService,
  dataset: DatasetSummary,
  settings: TrainingSettingsInput,
  json: boolean,
): Promise<RunSummary> {
  const started = Date.now()
  const run = await service['runs.start'](settings)
  if (!json) {
    const nets = run.networks.map((n) => `${n.arch} (${(n.params / 1000).toFixed(0)}k params)`).join(', ')
    // a setting left to the dataset's size says why it was chosen
    const why = (key: keyof TrainingSettingsInput, reason: () => string) =>
      settings[key] === undefined ? ` (${reason()})` : ''
    const line =
      `run ${run.id}: ${nets}, teacher ${String(run.config.teacher)}` +
      `${why('teacher', () => recommendedTeacher(dataset.labels).reason)}\n` +
      `  the answer weighs its networks: ${String(run.config.ensembleRule)}` +
      `${why('ensembleRule', () => recommendedEnsembleRule(dataset.labels).reason)}\n`
    process.stderr.write(safeText(line, { keepNewlines: true }))
  }
  const done = await follow(service, run, json)
  printSummary(done, (Date.now() - started) / 1000, json, service.paths.runs)
  return done
}

export function registerTrainCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('train')
    .description('train a group of networks together on a labelled, split dataset')
    .requiredOption('--dataset <name>', 'dataset name or id')
    .option('--nets <list>', 'comma-separated architectures, e.g. cnn,resnet-8 (2–4)')
    .option(
      '--teacher <name>',
      `min-logit, validation, min-loss, linear, mean or none (default: by the dataset's size, min-loss up to ${MIN_LOSS_UP_TO} training pictures per label, else min-logit)`,
    )
    .option(
      '--ensemble-rule <name>',
      `how the app's answer weighs the networks: ${ENSEMBLE_RULES.join(', ')} (default: by the validation split's size, equal below ${COVARIANCE_FROM} validation pictures, else covariance)`,
    )
    .option('--epochs <n>', 'passes over the training images', epochs)
    .option(
      '--image-size <px>',
      'images are resized to this many pixels per side',
      wholeNumber(...WHOLE_SETTING_RANGES.imageSize),
    )
    .option('--channels <1|3>', '1 for grey, 3 for colour', channels)
    .option('--batch-size <n>', 'images per step', wholeNumber(...WHOLE_SETTING_RANGES.batchSize))
    .option('--optimiser <name>', 'sgd or adam')
    .option('--lr <rate>', 'learning rate (cosine-decayed per step)')
    .option('--lambda <weight>', 'weight of the distillation loss')
    .option('--temperature <T>', 'distillation temperature')
    .option(
      '--seed <n>',
      'random seed: the same seed gives the same run',
      wholeNumber(...WHOLE_SETTING_RANGES.seed),
    )
    .option('--json', 'one JSON line per epoch and a final summary line')
    .action(async (opts: TrainOptions) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        await trainAndReport(service, dataset, settingsFrom(opts, dataset.id), opts.json ?? false)
      })
    })

  program
    .command('runs')
    .description('list training runs')
    .option('--dataset <name>', 'only the runs of this dataset')
    .option('--json', 'print one JSON array')
    .action(async (opts: { dataset?: string; json?: boolean }) => {
      await withService(globals(), async (service) => {
        const datasetId = opts.dataset ? (await resolveDataset(service, opts.dataset)).id : undefined
        const runs = await service['runs.list'](datasetId)
        if (opts.json) return printJson(runs)
        if (!runs.length) return void process.stdout.write('No training runs yet. Start one: cohort train\n')
        printTable(
          runs.map((r) => ({
            id: r.id,
            dataset: r.datasetId,
            status: r.status,
            networks: r.networks.map((n) => n.arch).join(','),
            teacher: String(r.config.teacher ?? ''),
            epochs: `${r.epochsDone}/${String(r.config.epochs ?? '?')}`,
            ensemble: r.last ? percent(r.last.ensemble.valAcc) : '',
            backend: r.backend ?? '',
            message: r.message ?? '',
          })),
        )
      })
    })

  program
    .command('resume')
    .description('continue a cancelled, interrupted or failed run from its last completed epoch')
    .requiredOption('--run <id>', 'run id (see cohort runs)', anId)
    .option('--json', 'one JSON line per epoch and a final summary line')
    .action(async (opts: { run: number; json?: boolean }) => {
      const runId = opts.run
      await withService(globals(), async (service) => {
        const started = Date.now()
        const run = await service['runs.resume'](runId)
        const done = await follow(service, run, opts.json ?? false)
        printSummary(done, (Date.now() - started) / 1000, opts.json ?? false, service.paths.runs)
      })
    })

  program
    .command('demo')
    .description('import the bundled Fashion-MNIST sample and train cnn + resnet-8 together on it')
    .option('--epochs <n>', 'passes over the training images', epochs, 10)
    .option('--json', 'one JSON line per epoch and a final summary line')
    .action(async (opts: { epochs: number; json?: boolean }) => {
      const json = opts.json ?? false
      await withService(globals(), async (service) => {
        const report = await service['datasets.importSample']()
        const dataset = await resolveDataset(service, SAMPLE_DATASET)
        if (!json) {
          process.stderr.write(
            `dataset fashion-mnist-sample: ${dataset.labeledCount} labelled images (${report.imported} new), ` +
              `${Object.keys(report.classes).length} classes; 20% held out for validation\n`,
          )
        }
        await trainAndReport(
          service,
          dataset,
          {
            dataset: dataset.id,
            imageSize: 28,
            channels: 1,
            networks: [
              { arch: 'cnn', augment: 'light' },
              { arch: 'resnet-8', augment: 'light' },
            ],
            // no teacher: the one the app recommends for the sample's size
            epochs: opts.epochs,
            batchSize: 32,
          },
          json,
        )
      })
    })
}
