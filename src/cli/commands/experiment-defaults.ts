import { mkdir } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { InvalidArgumentError, type Command } from 'commander'
import { wholeNumber, wholeNumbers } from '../options'
import {
  DEFAULT_GRID,
  defaultsConfig,
  defaultsKey,
  defaultsSpecs,
  parseGrid,
  pointName,
  runDefaults,
  type DefaultsRecord,
  type DefaultsSpec,
} from '../../experiment/defaults'
import { writeDefaultsReport } from '../../experiment/defaults-report'
import { fashionMnistSource, folderSource, type PictureSource } from '../../experiment/picture-source'
import { runGrid } from '../../experiment/runs'
import { cohortHome } from '../../core/service/shell'
import { TEACHER_NAMES, WHOLE_SETTING_RANGES, type TeacherName } from '../../shared/training-settings'
import { epochReporter, list, log, pct, teacher } from './experiment-output'

interface DefaultsOptions {
  perClass: number[]
  seeds: number[]
  nets?: string[]
  grid: string
  teachers?: TeacherName[]
  dataset?: string
  testPerClass?: number
  epochs?: number
  out?: string
  report: string
}

/** Test pictures per label held back from a --dataset folder when --test-per-class is not given. */
const FOLDER_TEST_PER_CLASS = 100

function grid(text: string): string {
  try {
    parseGrid(text)
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message)
  }
  return text
}

/** A name for the results file: the dataset's folder name, or fashion-mnist. */
function datasetSlug(source: PictureSource): string {
  return source.name === 'fashion-mnist'
    ? 'fashion-mnist'
    : source.name
        .split(/[\\/]/)
        .filter(Boolean)
        .at(-1)!
        .replace(/[^a-z0-9.-]+/gi, '_')
}

/**
 * `cohort experiment defaults` (issue 17): the product's automatic settings beside `teacher: none` and a hand
 * grid, per size and seed, resumably; then the report block with issue 17's checks as PASS/FAIL lines.
 */
export function registerDefaultsCommand(experiment: Command): void {
  experiment
    .command('defaults')
    .description(
      'the settings a run gets when none are given, beside teacher none and a hand grid of epochs × lr × batch; ' +
        'resumable: interrupt any time and run the same command again',
    )
    .option(
      '--per-class <N,…>',
      'training pictures per label (plus 20 % of the labelled pictures held back for validation)',
      wholeNumbers(1, 100_000),
      [30, 100, 500],
    )
    .option('--seeds <S,…>', 'seeds', wholeNumbers(...WHOLE_SETTING_RANGES.seed), [0, 1, 2])
    .option('--nets <archs>', "the group (default: the product's default networks)", list(String))
    .option(
      '--grid <text>',
      'the hand grid: blocks separated by ";", each a product of epochs=, lr= (multiples of the automatic) ' +
        'and batch= (sizes or auto) lists; "" for none',
      grid,
      DEFAULT_GRID,
    )
    .option(
      '--teachers <names>',
      `other teachers, each trained on the automatic schedule beside the default (${TEACHER_NAMES.filter((t) => t !== 'none').join(', ')})`,
      list(teacher),
    )
    .option('--dataset <dir>', "a folder with one sub-folder per label, instead of Debian's Fashion-MNIST")
    .option(
      '--test-per-class <T>',
      `test pictures per label (Fashion-MNIST: all 10k when absent; --dataset: ${FOLDER_TEST_PER_CLASS})`,
      wholeNumber(1, 100_000),
    )
    .option(
      '--epochs <E>',
      'replace the automatic epochs in every run (quick checks only: the report marks it)',
      wholeNumber(...WHOLE_SETTING_RANGES.epochs),
    )
    .option('--out <file>', 'results file, JSON lines (default: in the Cohort folder, per dataset)')
    .option('--report <file>', 'Markdown to write the report block into', 'docs/EXPERIMENTS.md')
    .action(async (o: DefaultsOptions) => {
      const source = o.dataset
        ? await folderSource(o.dataset, o.testPerClass ?? FOLDER_TEST_PER_CLASS)
        : await fashionMnistSource(o.testPerClass)
      const out = resolve(o.out ?? join(cohortHome(), 'experiments', `defaults-${datasetSlug(source)}.jsonl`))
      await mkdir(dirname(out), { recursive: true })
      const specs = defaultsSpecs({
        dataset: source.name,
        sizes: o.perClass,
        seeds: o.seeds,
        grid: parseGrid(o.grid),
        teachers: o.teachers,
        nets: o.nets,
        testPerClass: o.testPerClass ?? (o.dataset ? FOLDER_TEST_PER_CLASS : undefined),
        epochs: o.epochs,
      })
      await runGrid<DefaultsSpec, DefaultsRecord>({
        out,
        specs,
        key: defaultsKey,
        log,
        run: async (spec) => {
          const name = `${spec.perClass}/label ${spec.arm}${spec.point ? ` (${pointName(spec.point)})` : ''}${spec.teacher ? ` ${spec.teacher}` : ''} seed ${spec.seed}`
          const { config } = await defaultsConfig(spec, source)
          const record = await runDefaults(spec, source, { onEpoch: epochReporter(name, config.epochs) })
          const nets = record.final.networks.map((n) => `${n.arch} ${pct(n.testAcc)}%`).join(' · ')
          log(
            `  test: ${nets} · ensemble ${pct(record.final.ensemble.testAcc)}% — ${record.epochs} epochs, ${record.steps} steps, ${record.seconds.total.toFixed(0)} s`,
          )
          return record
        },
      })
      const checks = await writeDefaultsReport({ results: out, markdown: o.report })
      log(`results: ${out}`)
      log(`report: ${o.report}`)
      for (const c of checks) process.stdout.write(`${c.line}\n`)
      if (checks.length === 0) log('no checks yet: the results file holds no comparison')
    })
}
