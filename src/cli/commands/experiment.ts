import { mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { wholeNumber, wholeNumbers } from '../options'
import { validationPerClass } from '../../experiment/data'
import {
  experimentSummary,
  FASHION_MNIST_PROFILES,
  HELD_BACK,
  type ExperimentPlan,
} from '../../experiment/profiles'
import { withBaseline, writeReport } from '../../experiment/report'
import {
  EXPERIMENT_AUGMENT_NAMES,
  gridSpecs,
  readResults,
  runExperiment,
  runGrid,
  runKey,
  type ExperimentAugment,
} from '../../experiment/runs'
import { cohortHome } from '../../core/service/shell'
import { registerDefaultsCommand } from './experiment-defaults'
import {
  TEACHER_NAMES,
  VALIDATION_RULES,
  WEIGHT_DECAY_SCOPES,
  WHOLE_SETTING_RANGES,
  type TeacherName,
  type ValidationRule,
  type WeightDecayScope,
} from '../../shared/training-settings'
import { printJson, printTable } from '../output'
import { epochReporter, list, log, pct, teacher } from './experiment-output'
import { registerLabellingExperiment } from './experiment-labelling'

function positive(what: string) {
  return (text: string): number => {
    const n = Number(text)
    if (!(n > 0)) throw new InvalidArgumentError(`${what} must be a positive number`)
    return n
  }
}

interface ExperimentOptions {
  quick?: boolean
  json?: boolean
  out?: string
  report?: string
  teachers?: TeacherName[]
  seeds?: number[]
  epochs?: number
  perClass?: number
  valFraction?: number
  valPerClass?: number
  all?: boolean
  nets?: string[]
  widths?: number[]
  tau?: number
  T?: number
  lambda?: number
  validateEvery?: number
  distillWarmup?: number
  validationRule?: ValidationRule
  augment?: ExperimentAugment
  decay?: WeightDecayScope
}

/** The profile with the user's overrides on top; `usage` reports a contradiction between options. */
function planFor(o: ExperimentOptions, usage: (message: string) => never): ExperimentPlan {
  const profile = FASHION_MNIST_PROFILES[o.quick ? 'quick' : 'full']
  const base = { ...profile.base }
  if (o.all) {
    base.perClass = undefined
    base.valPerClass = 500
  }
  if (o.perClass !== undefined) base.perClass = o.perClass
  if (o.valPerClass !== undefined) base.valPerClass = o.valPerClass
  if (o.valFraction !== undefined) {
    if (base.perClass === undefined) usage('--val-fraction needs --per-class')
    base.valPerClass = validationPerClass(base.perClass, o.valFraction)
  } else if (o.perClass !== undefined && o.valPerClass === undefined) {
    base.valPerClass = validationPerClass(o.perClass, HELD_BACK)
  }
  const overrides = [
    'epochs',
    'nets',
    'widths',
    'tau',
    'T',
    'lambda',
    'validateEvery',
    'distillWarmup',
    'validationRule',
    'augment',
    'decay',
  ] as const
  for (const key of overrides) {
    if (o[key] !== undefined) Object.assign(base, { [key]: o[key] })
  }
  return { base, teachers: o.teachers ?? profile.teachers, seeds: o.seeds ?? profile.seeds }
}

/**
 * `cohort experiment fashion-mnist`: trains the reference pair with every teacher on paired seeds, resumably,
 * then rewrites the report (Markdown block + SVG charts) and prints the per-teacher summary.
 */
export function registerExperimentCommand(program: Command): void {
  const experiment = program
    .command('experiment')
    .description('measure whether training together pays off (docs/EXPERIMENTS.md)')
  registerLabellingExperiment(experiment)
  experiment
    .command('fashion-mnist')
    .description(
      "every teacher against independent training on Debian's Fashion-MNIST, paired seeds; " +
        'resumable: interrupt any time and run the same command again',
    )
    .option(
      '--quick',
      'the small profile (50 per class, 12 epochs, 3 teachers, 2 seeds; minutes) instead of the full one',
    )
    .option('--json', 'print the summary as one JSON object')
    .option('--out <file>', 'results file, JSON lines (default: in the Cohort folder, per profile)')
    .option('--report <file>', 'Markdown to write the report block into (default: beside --out)')
    .option('--teachers <names>', `teachers (default: all of ${TEACHER_NAMES.join(', ')})`, list(teacher))
    .option('--seeds <S,…>', 'seeds', wholeNumbers(...WHOLE_SETTING_RANGES.seed))
    .option('--epochs <E>', 'epochs', wholeNumber(...WHOLE_SETTING_RANGES.epochs))
    .option(
      '--per-class <N>',
      'training images per class (validation: 20 % held back)',
      wholeNumber(1, 100_000),
    )
    .option(
      '--val-fraction <f>',
      'fraction of the labelled images held back for validation',
      positive('--val-fraction'),
    )
    .option('--val-per-class <V>', 'validation images per class', wholeNumber(1, 100_000))
    .option('--all', 'the full 55k training split with 500 validation images per class (the reference)')
    .option('--nets <archs>', 'the group, e.g. cnn,resnet-8 or resnet-20,cnn', list(String))
    .option('--widths <w>', 'width multiplier per network, e.g. 1,0.5', list(positive('a width')))
    .option('--tau <τ>', "validation teacher's softmax temperature", positive('--tau'))
    .option('--T <T>', 'distillation temperature', positive('--T'))
    .option('--lambda <λ>', 'weight of the distillation loss', positive('--lambda'))
    .addOption(
      new Option('--validation-rule <rule>', "the validation teacher's weighting rule").choices(
        VALIDATION_RULES,
      ),
    )
    .option(
      '--distill-warmup <epochs>',
      'ramp λ up from 0 over these epochs',
      wholeNumber(0, WHOLE_SETTING_RANGES.epochs[1]),
    )
    .option(
      '--validate-every <K>',
      'validation pass every K epochs',
      wholeNumber(...WHOLE_SETTING_RANGES.epochs),
    )
    .addOption(
      new Option('--augment <strength>', "every network's augmentation (default: the reference's)").choices(
        EXPERIMENT_AUGMENT_NAMES,
      ),
    )
    .addOption(
      new Option(
        '--decay <scope>',
        'weight decay on kernels only (default) or on all parameters (the reference)',
      ).choices(WEIGHT_DECAY_SCOPES),
    )
    .action(async (o: ExperimentOptions, command: Command) => {
      const plan = planFor(o, (message) => command.error(`error: ${message}`))
      const profile = o.quick ? 'quick' : 'full'
      const out = o.out ?? join(cohortHome(), 'experiments', `fashion-mnist-${profile}.jsonl`)
      await mkdir(dirname(out), { recursive: true })
      const specs = gridSpecs(plan.base, plan.teachers, plan.seeds)
      await runGrid({
        out,
        specs,
        log,
        run: async (spec) => {
          const name = `${spec.teacher} seed ${spec.seed}`
          const record = await runExperiment(spec, {
            // a terminal gets a live line; a log (nohup, CI) a line every 10 epochs so it is not silent for minutes
            onEpoch: epochReporter(name, spec.epochs),
          })
          const nets = record.final.networks.map((n) => `${n.arch} ${pct(n.testAcc)}%`).join(' · ')
          log(
            `  test: ${nets} · ensemble ${pct(record.final.ensemble.testAcc)}% (${record.seconds.total.toFixed(0)} s)`,
          )
          return record
        },
      })
      const report = o.report ?? out.replace(/\.jsonl?$/, '') + '.md'
      await writeReport({ results: out, markdown: report, against: true })
      log(`report: ${report}`)

      const keys = new Set(specs.map(runKey))
      const all = await readResults(out)
      const summary = experimentSummary(
        withBaseline(
          all.filter((r) => keys.has(r.key)),
          all,
        ),
      )
      if (o.json) return printJson(summary)
      printTable(
        Object.entries(summary.teachers).flatMap(([name, t]) =>
          [...t.networks, { arch: 'ensemble', ...t.ensemble }].map((n) => ({
            teacher: name,
            network: n.arch,
            'test %': pct(n.testAcc.mean),
            '± std': pct(n.testAcc.std),
            'gain pp': pct(n.gain?.mean),
            '± ': pct(n.gain?.std),
          })),
        ),
      )
    })
  registerDefaultsCommand(experiment)
}
