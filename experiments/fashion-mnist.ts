/**
 * The Fashion-MNIST experiment: does training together pay off against independent training, per teacher,
 * on paired seeds, and does Cohort agree with the PyTorch reference? See docs/EXPERIMENTS.md.
 *   node --import tsx experiments/fashion-mnist.ts run --teacher min-logit --seed 0 --epochs 6 --out r.jsonl
 *   node --import tsx experiments/fashion-mnist.ts grid --teachers none,min-logit --seeds 0,1,2 --out r.jsonl
 *   node --import tsx experiments/fashion-mnist.ts report --results r.jsonl --against reference
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { TEACHER_NAMES, type TeacherName } from '../src/core/training/teacher-names'
import { validationPerClass } from './data'
import { writeReport } from './report'
import { appendResult, gridSpecs, runExperiment, runGrid, runKey, type RunSpec } from './runs'

function whole(what: string, min: number) {
  return (text: string): number => {
    const n = Number(text)
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${what} must be a whole number ≥ ${min}`)
    return n
  }
}

function positive(what: string) {
  return (text: string): number => {
    const n = Number(text)
    if (!(n > 0)) throw new InvalidArgumentError(`${what} must be a positive number`)
    return n
  }
}

function list<T>(parse: (s: string) => T) {
  return (text: string): T[] => text.split(',').map((s) => parse(s.trim()))
}

function teacher(name: string): TeacherName {
  if (!(TEACHER_NAMES as string[]).includes(name)) {
    throw new InvalidArgumentError(`unknown teacher "${name}"; choose from ${TEACHER_NAMES.join(', ')}`)
  }
  return name as TeacherName
}

interface SharedOptions {
  epochs: number
  perClass?: number
  valPerClass?: number
  valFraction?: number
  nets: string[]
  widths?: number[]
  tau: number
  T: number
  lambda: number
  validateEvery: number
  out: string
}

/** The options every run shares; defaults are the reference's recipe and its pair. */
function shared(command: Command): Command {
  return command
    .requiredOption('--epochs <E>', 'epochs', whole('--epochs', 1))
    .option(
      '--per-class <N>',
      'training images per class (small-data regime; nested subsets)',
      whole('--per-class', 1),
    )
    .addOption(
      new Option('--val-per-class <V>', 'validation images per class (default 500, as the reference)')
        .argParser(whole('--val-per-class', 1))
        .conflicts('valFraction'),
    )
    .option(
      '--val-fraction <f>',
      'hold back this fraction of the labelled images of each class for validation (needs --per-class)',
      positive('--val-fraction'),
    )
    .option('--nets <archs>', 'the group, e.g. cnn,resnet-8 or resnet-20,cnn', list(String), [
      'cnn',
      'resnet-8',
    ])
    .option('--widths <w>', 'width multiplier per network, e.g. 1,0.5', list(positive('a width')))
    .option(
      '--tau <τ>',
      "validation teacher's softmax temperature (the reference's 0.05)",
      positive('--tau'),
      0.05,
    )
    .option('--T <T>', 'distillation temperature', positive('--T'), 2)
    .option('--lambda <λ>', 'weight of the distillation loss', positive('--lambda'), 1)
    .option(
      '--validate-every <K>',
      'validation pass every K epochs (and after the last)',
      whole('--validate-every', 1),
      1,
    )
    .requiredOption('--out <file>', 'results file (JSON lines, appended)')
}

function baseSpec(o: SharedOptions): Omit<RunSpec, 'teacher' | 'seed'> {
  let valPerClass = o.valPerClass ?? 500
  if (o.valFraction !== undefined) {
    if (o.perClass === undefined) throw new InvalidArgumentError('--val-fraction needs --per-class')
    valPerClass = validationPerClass(o.perClass, o.valFraction)
  }
  return {
    epochs: o.epochs,
    perClass: o.perClass,
    valPerClass,
    nets: o.nets,
    widths: o.widths,
    tau: o.tau,
    T: o.T,
    lambda: o.lambda,
    validateEvery: o.validateEvery,
  }
}

function epochLine(m: import('../src/shared/types').EpochMetrics): string {
  const nets = m.networks.map(
    (n) => `${n.arch} ce ${n.trainCe.toFixed(3)} val ${(100 * n.valAcc).toFixed(2)}%`,
  )
  return `  epoch ${m.epoch}: ${nets.join(' | ')} | ${m.seconds.toFixed(1)} s`
}

const log = (line: string) => console.log(line)
const elapsed = (since: number) => `${((performance.now() - since) / 1000).toFixed(0)} s`

async function runOne(spec: RunSpec) {
  const started = performance.now()
  const record = await runExperiment(spec, {
    onEpoch: (m) => log(epochLine(m)),
    // a full-data epoch takes minutes: show that it moves
    onProgress: (p) => {
      if (p.step % 100 === 0) log(`  epoch ${p.epoch} step ${p.step}/${p.steps} (${elapsed(started)})`)
    },
  })
  const nets = record.final.networks.map((n) => `${n.arch} ${(100 * n.testAcc).toFixed(2)}%`)
  log(
    `  test: ${nets.join(' | ')} | ensemble ${(100 * record.final.ensemble.testAcc).toFixed(2)}% ` +
      `| ${record.seconds.total.toFixed(0)} s (${record.seconds.training.toFixed(0)} s training)`,
  )
  return record
}

const program = new Command('fashion-mnist').description('Cohort vs independent training on Fashion-MNIST')

shared(program.command('run').description('one run, appended to --out'))
  .requiredOption('--teacher <name>', 'teacher', teacher)
  .requiredOption('--seed <S>', 'seed', whole('--seed', 0))
  .action(async (o: SharedOptions & { teacher: TeacherName; seed: number }) => {
    const spec: RunSpec = { ...baseSpec(o), teacher: o.teacher, seed: o.seed }
    log(`run: ${runKey(spec)}`)
    await appendResult(o.out, await runOne(spec))
  })

shared(program.command('grid').description('every teacher × seed not yet in --out (resumable)'))
  .option('--teachers <names>', 'teachers', list(teacher), TEACHER_NAMES.slice())
  .option('--seeds <S,…>', 'seeds', list(whole('a seed', 0)), [0, 1, 2])
  .action(async (o: SharedOptions & { teachers: TeacherName[]; seeds: number[] }) => {
    const specs = gridSpecs(baseSpec(o), o.teachers, o.seeds)
    const { ran, skipped } = await runGrid({ out: o.out, specs, run: runOne, log })
    log(`grid done: ${ran.length} run, ${skipped.length} already in ${o.out}`)
  })

program
  .command('report')
  .description('Markdown tables (and SVG charts beside them) from a results file')
  .requiredOption('--results <file>', 'results file')
  .option('--against <what>', '"reference" to check agreement with the PyTorch reference note')
  .option('--md <file>', 'where to write the Markdown (default: beside the results, .md)')
  .action(async (o: { results: string; against?: string; md?: string }) => {
    if (o.against !== undefined && o.against !== 'reference') {
      throw new InvalidArgumentError('--against takes "reference" (the numbers of pytorch-kdcl-fmnist.md)')
    }
    const md = o.md ?? o.results.replace(/\.jsonl?$/, '') + '.md'
    const written = await writeReport({
      results: o.results,
      markdown: md,
      against: o.against === 'reference',
    })
    log(`wrote ${[md, ...written.charts].join(', ')}`)
  })

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error))
  process.exitCode = 1
})
