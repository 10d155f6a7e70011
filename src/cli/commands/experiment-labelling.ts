/**
 * `cohort experiment labelling`: the simulated labeller of issue 19 (src/experiment/labelling.ts) on a
 * temporary library, so the person's own library is never touched. Writes JSON, CSV and an SVG plot into
 * --out and prints the table.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import { wholeNumber, wholeNumbers } from '../options'
import { createCohortService } from '../../core/service'
import { cohortHome } from '../../core/service/shell'
import {
  labellingChart,
  labellingCsv,
  runLabellingExperiment,
  summariseLabelling,
  type LabellingPlan,
  type RoundResult,
} from '../../experiment/labelling'
import { LABEL_ORDERS, type LabelOrder } from '../../shared/types'
import { KNOWN_ARCHS, WHOLE_SETTING_RANGES } from '../../shared/training-settings'
import { endProgress, printJson, printTable } from '../output'

interface LabellingOptions {
  pool: number
  start: number
  rounds: number
  perRound: number
  seeds: number[]
  orders: LabelOrder[]
  nets: string[]
  widths?: number[]
  epochs?: number
  test: number
  out?: string
  keep?: boolean
  json?: boolean
}

function orders(text: string): LabelOrder[] {
  return text.split(',').map((s) => {
    const name = s.trim()
    if (!(LABEL_ORDERS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown ordering "${name}"; choose from ${LABEL_ORDERS.join(', ')}`)
    }
    return name as LabelOrder
  })
}

function nets(text: string): string[] {
  return text.split(',').map((s) => {
    const name = s.trim()
    if (!(KNOWN_ARCHS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown network "${name}"; choose from ${KNOWN_ARCHS.join(', ')}`)
    }
    return name
  })
}

function widths(text: string): number[] {
  return text.split(',').map((s) => {
    const n = Number(s.trim())
    if (!(n >= 0.25 && n <= 4)) throw new InvalidArgumentError('a width must be a number from 0.25 to 4')
    return n
  })
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1))

async function writeOutputs(out: string, plan: LabellingPlan, rounds: RoundResult[]): Promise<void> {
  const summary = summariseLabelling(rounds)
  await writeFile(join(out, 'labelling.json'), `${JSON.stringify({ plan, rounds, summary }, null, 2)}\n`)
  await writeFile(join(out, 'labelling.csv'), labellingCsv(rounds))
  await writeFile(join(out, 'labelling.svg'), labellingChart(summary))
}

export function registerLabellingExperiment(experiment: Command): void {
  experiment
    .command('labelling')
    .description(
      'simulate a person labelling Fashion-MNIST with suggestions: each "label next" ordering, retraining ' +
        'from the last run and from scratch, test accuracy and agreeing-suggestion precision per round',
    )
    .option('--pool <N>', 'unlabelled pictures to label from', wholeNumber(20, 60_000), 10_000)
    .option('--start <n>', 'labels per class before the first run', wholeNumber(1, 1000), 10)
    .option('--rounds <R>', 'rounds of labelling after the first run', wholeNumber(0, 1000), 10)
    .option('--per-round <n>', 'pictures labelled per round', wholeNumber(1, 60_000), 100)
    .option('--seeds <S,…>', 'seeds', wholeNumbers(...WHOLE_SETTING_RANGES.seed), [0, 1, 2])
    .option('--orders <names>', `orderings (${LABEL_ORDERS.join(', ')})`, orders, [...LABEL_ORDERS])
    .option('--nets <archs>', 'the group; one name trains a pair of it', nets, ['cnn', 'resnet-8'])
    .option('--widths <w,…>', 'width multiplier per network', widths)
    .option(
      '--epochs <E>',
      'epochs of every run (default: the automatic settings; a run from the last run takes a third)',
      wholeNumber(...WHOLE_SETTING_RANGES.epochs),
    )
    .option('--test <N>', 'pictures of the 10k test file to measure on', wholeNumber(1, 10_000), 10_000)
    .option('--out <folder>', 'where labelling.json, .csv and .svg go (default: in the Cohort folder)')
    .option('--keep', 'keep the temporary library (its path is printed)')
    .option('--json', 'print the summary as one JSON object')
    .action(async (o: LabellingOptions) => {
      const out = o.out ?? join(cohortHome(), 'experiments', 'labelling')
      await mkdir(out, { recursive: true })
      const plan: LabellingPlan = {
        pool: o.pool,
        start: o.start,
        rounds: o.rounds,
        perRound: o.perRound,
        seeds: o.seeds,
        orders: o.orders,
        nets: o.nets,
        widths: o.widths,
        epochs: o.epochs,
        test: o.test,
      }
      const work = await mkdtemp(join(tmpdir(), 'cohort-labelling-'))
      // suggestions answer on demand (the experiment asks right after each run), not in the background
      const service = await createCohortService({
        home: join(work, 'home'),
        suggestAfterRuns: false,
        // in this process: the experiment times each round's suggestions, not a second process's start-up
        suggestInBackground: false,
      })
      const log = (line: string) => {
        endProgress()
        process.stderr.write(`${line}\n`)
      }
      const rounds: RoundResult[] = []
      try {
        await runLabellingExperiment(service, work, plan, {
          log,
          onRound: async (r) => {
            rounds.push(r)
            await writeOutputs(out, plan, rounds)
          },
        })
      } finally {
        service.close()
        if (o.keep) log(`library kept in ${join(work, 'home')}`)
        else await rm(work, { recursive: true, force: true })
      }
      log(`results: ${join(out, 'labelling.json')}, .csv, .svg`)
      const summary = summariseLabelling(rounds)
      if (o.json) return printJson(summary)
      printTable(
        summary.rounds.map((r) => ({
          order: r.order,
          labels: r.labels,
          'from last run %': pct(r.warm?.testAcc),
          'new run %': pct(r.scratch.testAcc),
          '± seeds': pct(r.scratch.std),
          'from last s': r.warm ? r.warm.seconds.toFixed(0) : '—',
          'new run s': r.scratch.seconds.toFixed(0),
          'validation %': pct(r.valAcc),
          'agreeing right %': pct(r.agreeingPrecision),
        })),
      )
      const reach = Object.entries(summary.labelsToRandomFinal)
        .map(([order, labels]) => `${order} ${labels ?? 'not reached'}`)
        .join(' · ')
      if (reach) process.stdout.write(`labels to reach random's final accuracy: ${reach}\n`)
    })
}
