import { join } from 'node:path'
import { SAMPLE_DATASET, type CohortService } from '../../core/service'
import { aboutDuration, MAX_EPOCHS, MIN_EPOCHS, TARGET_STEPS } from '../../shared/automatic-settings'
import { COVARIANCE_FROM, MIN_LOSS_UP_TO } from '../../shared/recommended-settings'
import { modelFigures } from '../../shared/run-figures'
import { aloneVerdict, compareAlone } from '../../shared/alone-comparison'
import type { AutomaticSetting, EpochMetrics, RunPlan, RunSummary } from '../../shared/types'
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
import { runLoss } from '../../shared/loss-words'

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
  patience?: number
  optimiser?: string
  fromRun?: number
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
  put('patience', opts.patience)
  put('fromRun', opts.fromRun)
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
  // the accuracy of the weights the run keeps: each network's best validated epoch
  const figures = modelFigures(run)
  return {
    run: run.id,
    backend: run.backend,
    networks: run.networks.map((n) => ({
      index: n.index,
      arch: n.arch,
      valAcc: figures.networks[n.index] ?? null,
    })),
    ensemble: { valAcc: figures.ensemble, weights: figures.weights },
  }
}

/**
 * Streams a run's epochs until its trainer ends; Ctrl-C cancels it (it stays resumable). Throws a CliError
 * when the run does not complete. `epochLines: false` shows only the progress line (stdout stays for a result).
 */
async function follow(
  service: CohortService,
  run: RunSummary,
  json: boolean,
  epochLines = true,
): Promise<RunSummary> {
  const total = typeof run.config.epochs === 'number' ? run.config.epochs : undefined
  const stops = [
    service.events.on('run.epoch', ({ runId, metrics }) => {
      if (runId !== run.id || !epochLines) return
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

function printSummary(
  run: RunSummary,
  seconds: number,
  json: boolean,
  runsDir: string,
  predicted?: number,
): void {
  if (json) return printJson(finalReport(run))
  const last = run.last
  if (!last) return
  const figures = modelFigures(run)
  const kept = figures.metrics!
  const nets = last.networks
    .map((n, i) => {
      const best = kept.best?.[i]
      const valAcc = percent(figures.networks[i] ?? n.valAcc)
      return best
        ? `${n.arch} ${valAcc} (best at epoch ${best.epoch} of ${last.epoch}, kept)`
        : `${n.arch} ${valAcc}`
    })
    .join(', ')
  process.stdout.write(
    `Run ${run.id} completed on ${run.backend ?? '?'} in ${seconds.toFixed(0)} s` +
      `${predicted === undefined ? '' : ` (predicted ${aboutDuration(predicted)})`}: ${nets}; ` +
      `${run.kept ? 'ensemble of the kept networks' : 'ensemble at the last epoch'} ${percent(kept.ensemble.valAcc)} (weights ${kept.ensemble.weights.map((w) => w.toFixed(2)).join('/')}).\n` +
      say`Model saved in ${join(runsDir, String(run.id), 'final')}\n`,
  )
}

/** What Cohort chose for the settings left to it, one line each, then the predicted duration. */
export function planLines(plan: RunPlan): string {
  const names: Record<AutomaticSetting, string> = {
    imageSize: 'picture size',
    channels: 'colour',
    networks: 'networks',
    batchSize: 'batch size',
    epochs: 'epochs',
    teacher: 'teacher',
    ensembleRule: "the answer's weights",
  }
  const chosen = (Object.keys(names) as AutomaticSetting[])
    .filter((key) => plan.chosen[key] !== undefined)
    .map(
      (key) => `  ${names[key]}: ${plan.chosen[key]!}
`,
    )
    .join('')
  return (
    chosen +
    `  ${plan.steps} optimiser steps on ${plan.trainPictures} training pictures: ` +
    `${aboutDuration(plan.predictedSeconds)} on a 2-core machine\n`
  )
}

async function trainAndReport(
  service: CohortService,
  settings: TrainingSettingsInput,
  json: boolean,
): Promise<RunSummary> {
  const plan = await service['runs.plan'](settings)
  const started = Date.now()
  // the resolved settings: the run is exactly what was just printed
  const run = await service['runs.start'](plan.settings as TrainingSettingsInput)
  if (!json) {
    const nets = run.networks.map((n) => `${n.arch} (${(n.params / 1000).toFixed(0)}k params)`).join(', ')
    const line =
      `run ${run.id}: ${nets}, teacher ${String(run.config.teacher)}, ensemble ${String(run.config.ensembleRule)}\n` +
      planLines(plan)
    process.stderr.write(safeText(line, { keepNewlines: true }))
  }
  const done = await follow(service, run, json)
  printSummary(done, (Date.now() - started) / 1000, json, service.paths.runs, plan.predictedSeconds)
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
    .option(
      '--epochs <n>',
      `passes over the training images (default: about ${TARGET_STEPS} optimiser steps, ${MIN_EPOCHS} to ${MAX_EPOCHS} epochs)`,
      epochs,
    )
    .option(
      '--image-size <px>',
      "images are resized to this many pixels per side (default: the pictures' own size up to 32, else 32)",
      wholeNumber(...WHOLE_SETTING_RANGES.imageSize),
    )
    .option('--channels <1|3>', '1 for grey, 3 for colour (default: 1 when the pictures are grey)', channels)
    .option(
      '--batch-size <n>',
      'images per step (default: 32 below 5000 training pictures, else 64)',
      wholeNumber(...WHOLE_SETTING_RANGES.batchSize),
    )
    .option('--optimiser <name>', 'sgd or adam')
    .option('--lr <rate>', 'learning rate (cosine-decayed per step)')
    .option('--lambda <weight>', 'weight of the distillation loss')
    .option('--temperature <T>', 'distillation temperature')
    .option(
      '--seed <n>',
      'random seed: the same seed gives the same run',
      wholeNumber(...WHOLE_SETTING_RANGES.seed),
    )
    .option(
      '--patience <n>',
      'stop when no network improved on the validation pictures for n epochs (the best epoch is kept either way)',
      wholeNumber(1, 1000),
    )
    .option(
      '--from-run <id>',
      "start from this earlier run's weights (same dataset and networks): a third of a new run's steps",
      anId,
    )
    .option('--json', 'one JSON line per epoch and a final summary line')
    .action(async (opts: TrainOptions) => {
      await withService(globals(), async (service) => {
        const dataset = await resolveDataset(service, opts.dataset)
        await trainAndReport(service, settingsFrom(opts, dataset.id), opts.json ?? false)
      })
    })

  const runsCommand = program
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
            ensemble: ((e) => (e === null ? '' : percent(e)))(modelFigures(r).ensemble),
            backend: r.backend ?? '',
            message: r.message ?? '',
          })),
        )
      })
    })

  runsCommand
    .command('delete')
    .alias('remove')
    .description('delete a run that is not training, with its checkpoints and model (exported copies stay)')
    .argument('<run>', 'run id (see cohort runs)', anId)
    .option('--yes', 'delete without asking')
    .action(async (runId: number, opts: { yes?: boolean }) => {
      await withService(globals(), async (service) => {
        const run = await service['runs.get'](runId)
        const lost = runLoss(run.id, run.epochsDone)
        if (!opts.yes) throw new CliError(`${lost} Nothing was deleted; add --yes to delete it.`)
        await service['runs.remove'](run.id)
        process.stdout.write(`Deleted run ${run.id}.\n`)
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
    .command('compare')
    .description(
      "train a run's networks alone (teacher none, same settings and seed) and show what training together added",
    )
    .requiredOption('--run <id>', 'a completed run trained with a teacher (see cohort runs)', anId)
    .option('--json', 'print {"run", "alone", "rows": [{"name", "together", "alone", "gain"}], "noise"}')
    .action(async (opts: { run: number; json?: boolean }) => {
      const json = opts.json ?? false
      await withService(globals(), async (service) => {
        const run = await service['runs.get'](opts.run)
        let alone = await service['runs.trainAlone'](run.id)
        if (alone.status !== 'completed') {
          if (!json) process.stderr.write(`training run ${run.id}'s networks alone as run ${alone.id}\n`)
          alone = await follow(service, alone, false, !json)
        }
        const dataset = (await service['datasets.list']()).find((d) => d.id === run.datasetId)
        const comparison = compareAlone(run, alone, dataset?.splits.validation ?? 0)
        if (!comparison)
          throw new CliError(`Run ${run.id} or run ${alone.id} has no validation figures to compare.`)
        if (json) return printJson({ run: run.id, alone: alone.id, ...comparison })
        printTable(
          comparison.rows.map((r) => ({
            network: r.name === 'answer' ? 'answer (ensemble)' : r.name,
            together: percent(r.together),
            alone: percent(r.alone),
            difference: `${r.gain >= 0 ? '+' : '-'}${(Math.abs(r.gain) * 100).toFixed(1)} points`,
          })),
        )
        process.stdout.write(`${aloneVerdict(comparison)}\n`)
      })
    })

  program
    .command('demo')
    .description(
      'import the bundled Fashion-MNIST sample and train cnn + resnet-8 together on it with the automatic settings',
    )
    .option('--epochs <n>', 'passes over the training images (default: chosen like any run)', epochs)
    .option('--json', 'one JSON line per epoch and a final summary line')
    .action(async (opts: { epochs?: number; json?: boolean }) => {
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
        // what a person gets by clicking Train: every other setting chosen from the pictures and their number
        await trainAndReport(
          service,
          {
            dataset: dataset.id,
            networks: [{ arch: 'cnn' }, { arch: 'resnet-8' }],
            ...(opts.epochs === undefined ? {} : { epochs: opts.epochs }),
          },
          json,
        )
      })
    })
}
