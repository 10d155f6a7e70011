/**
 * `cohort experiment labelling` (issue 19, "Measured, not assumed"): a person labelling Fashion-MNIST with
 * Cohort, simulated through the product's own API on a real library. A pool of unlabelled pictures is
 * imported as files; a start of `start` labels per class is given; then each round the person labels the next
 * `perRound` pictures in one "label next" ordering (informative / typical / random, as the service orders
 * them), and the group is retrained twice: from the last run (`fromRun`) and from scratch. After every round:
 * test accuracy of both (the 10k test file, as files, through `runs.evaluate`), their time, and how often the
 * group's agreeing suggestions for the still unlabelled pictures are right.
 *
 * The true labels come from the IDX file, so "the person" never errs. Every 5th labelled picture goes to the
 * validation split, as a person holding back 20 % would. Nothing here imports the service: the CLI hands in
 * the API of a service on a temporary library.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import sharp from 'sharp'
import { readFashionMnist, FASHION_MNIST_SIZE } from '../core/dataset/idx'
import { Random } from '../core/training/random'
import type { CohortApi } from '../shared/api'
import type { LabelOrder, RunSummary } from '../shared/types'
import { lineChart, mean, sampleStd } from './report'

/** The part of the API the simulated person uses. */
export type LabellingApi = Pick<
  CohortApi,
  | 'imports.folder'
  | 'datasets.list'
  | 'labels.create'
  | 'images.list'
  | 'images.label'
  | 'images.setSplit'
  | 'runs.start'
  | 'runs.wait'
  | 'runs.evaluate'
  | 'suggestions.list'
>

export class LabellingExperimentError extends Error {
  override name = 'LabellingExperimentError'
}

export interface LabellingPlan {
  /** unlabelled pictures the person labels from (drawn from the 60k training file) */
  pool: number
  /** labels per class before the first run */
  start: number
  rounds: number
  perRound: number
  seeds: number[]
  orders: LabelOrder[]
  /** the group's networks (one name is trained as a pair of that network: a group has at least two) */
  nets: string[]
  widths?: number[] | undefined
  /** epochs of every run; absent: the automatic settings (a warm run: a third of the budget, patience) */
  epochs?: number | undefined
  /** pictures of the 10k test file used for test accuracy */
  test: number
  /** the IDX files' folder (Debian's by default) */
  dir?: string | undefined
}

export interface RunOutcome {
  runId: number
  epochs: number
  /** the kept model's ensemble on the validation split */
  valAcc: number | null
  testAcc: number
  /** from runs.start until the trainer ended */
  seconds: number
}

export interface RoundResult {
  seed: number
  order: LabelOrder
  round: number
  /** labelled pictures (train + validation) the runs of this round trained on */
  labels: number
  /** null in round 0 (nothing to start from) */
  warm: RunOutcome | null
  scratch: RunOutcome
  /** the last run's suggestions for the pictures still unlabelled: those where every network agrees */
  agreeing: { count: number; correct: number; precision: number | null; unlabelled: number }
}

export interface LabellingResults {
  plan: LabellingPlan
  rounds: RoundResult[]
  summary: LabellingSummary
}

/** File-system-safe label names (Fashion-MNIST's first is "T-shirt/top"). */
function labelName(name: string): string {
  return name.replace(/[/\\]/g, '-')
}

const VALIDATION_EVERY = 5

interface Pictures {
  classNames: string[]
  poolDir: string
  testDir: string
  /** true class of each pool picture, by file name */
  poolLabel: Map<string, number>
  /** pool file names per class, in a fixed order */
  poolByClass: string[][]
}

async function writePng(file: string, pixels: Uint8Array): Promise<void> {
  const png = await sharp(Buffer.from(pixels), {
    raw: { width: FASHION_MNIST_SIZE, height: FASHION_MNIST_SIZE, channels: 1 },
  })
    .png()
    .toBuffer()
  await writeFile(file, png)
}

/** Writes the pool (flat, unlabelled) and the test pictures (a sub-folder per label) as PNG files. */
export async function writePictures(work: string, plan: LabellingPlan): Promise<Pictures> {
  const fmnist = await readFashionMnist(plan.dir)
  const frame = FASHION_MNIST_SIZE * FASHION_MNIST_SIZE
  const classNames = fmnist.classNames.map(labelName)
  const classes = classNames.length
  if (plan.pool > fmnist.train.labels.length) {
    throw new LabellingExperimentError(`--pool can be at most ${fmnist.train.labels.length}`)
  }
  if (plan.start * classes + plan.rounds * plan.perRound > plan.pool) {
    throw new LabellingExperimentError(
      `a pool of ${plan.pool} cannot give ${plan.start} per class and ${plan.rounds} rounds of ${plan.perRound} labels`,
    )
  }
  // one fixed pool for every seed and ordering: they differ in what is labelled, not in what can be. An exact
  // duplicate is left out, since import keeps one picture per content and the other would have no image id
  const seen = new Set<string>()
  const chosen: number[] = []
  for (const i of Random.stream(0, 19).shuffle(Array.from(fmnist.train.labels, (_, i) => i))) {
    const key = Buffer.from(fmnist.train.images.subarray(i * frame, (i + 1) * frame)).toString('base64')
    if (seen.has(key)) continue
    seen.add(key)
    chosen.push(i)
    if (chosen.length === plan.pool) break
  }
  const poolDir = join(work, 'pool')
  const testDir = join(work, 'test')
  await mkdir(poolDir, { recursive: true })
  const poolLabel = new Map<string, number>()
  const poolByClass: string[][] = Array.from({ length: classes }, () => [])
  for (const [k, i] of chosen.entries()) {
    const name = `pool-${String(k).padStart(5, '0')}.png`
    const y = fmnist.train.labels[i]!
    await writePng(join(poolDir, name), fmnist.train.images.subarray(i * frame, (i + 1) * frame))
    poolLabel.set(name, y)
    poolByClass[y]!.push(name)
  }
  for (const c of classNames) await mkdir(join(testDir, c), { recursive: true })
  for (let i = 0; i < Math.min(plan.test, fmnist.test.labels.length); i++) {
    const y = fmnist.test.labels[i]!
    await writePng(
      join(testDir, classNames[y]!, `test-${String(i).padStart(5, '0')}.png`),
      fmnist.test.images.subarray(i * frame, (i + 1) * frame),
    )
  }
  for (const [c, names] of poolByClass.entries()) {
    if (names.length < plan.start) {
      throw new LabellingExperimentError(
        `the pool has ${names.length} pictures of ${classNames[c]}, fewer than ${plan.start}`,
      )
    }
  }
  return { classNames, poolDir, testDir, poolLabel, poolByClass }
}

/** One simulated person: a dataset of the pool, labelled in one ordering under one seed. */
class Person {
  private labelIds: number[] = []
  /** image id by pool file name, and back */
  private idOf = new Map<string, number>()
  private nameOf = new Map<number, string>()
  private labelled = 0

  constructor(
    private readonly api: LabellingApi,
    private readonly pictures: Pictures,
    readonly datasetId: number,
  ) {}

  static async start(api: LabellingApi, pictures: Pictures, dataset: string): Promise<Person> {
    await api['imports.folder']({ folder: pictures.poolDir, dataset })
    const found = (await api['datasets.list']()).find((d) => d.name === dataset)
    if (!found) throw new LabellingExperimentError(`the pool was not imported as ${dataset}`)
    const person = new Person(api, pictures, found.id)
    for (const name of pictures.classNames) {
      person.labelIds.push((await api['labels.create'](found.id, name)).id)
    }
    for (let offset = 0; ; offset += 5000) {
      const page = await api['images.list']({ datasetId: found.id, offset, limit: 5000 })
      for (const image of page) {
        person.idOf.set(basename(image.sourcePath), image.id)
        person.nameOf.set(image.id, basename(image.sourcePath))
      }
      if (page.length < 5000) break
    }
    return person
  }

  get labels(): number {
    return this.labelled
  }

  trueLabel(imageId: number): number {
    return this.pictures.poolLabel.get(this.nameOf.get(imageId)!)!
  }

  /** Labels these pool pictures with their true labels; every 5th (in labelling order) is for validation. */
  async label(names: readonly string[]): Promise<void> {
    const byLabel = new Map<number, number[]>()
    const split = { train: [] as number[], validation: [] as number[] }
    for (const name of names) {
      const id = this.idOf.get(name)!
      const y = this.pictures.poolLabel.get(name)!
      byLabel.set(y, [...(byLabel.get(y) ?? []), id])
      this.labelled++
      ;(this.labelled % VALIDATION_EVERY === 0 ? split.validation : split.train).push(id)
    }
    for (const [y, ids] of byLabel) await this.api['images.label'](this.datasetId, ids, this.labelIds[y]!)
    for (const [where, ids] of Object.entries(split) as ['train' | 'validation', number[]][]) {
      if (ids.length > 0) await this.api['images.setSplit'](this.datasetId, ids, where)
    }
  }

  nameOfImage(imageId: number): string {
    return this.nameOf.get(imageId)!
  }
}

async function trainAndTest(
  api: LabellingApi,
  settings: Parameters<CohortApi['runs.start']>[0],
  testDir: string,
): Promise<{ outcome: RunOutcome; run: RunSummary }> {
  const began = Date.now()
  const started = await api['runs.start'](settings)
  const run = await api['runs.wait'](started.id)
  const seconds = (Date.now() - began) / 1000
  if (run.status !== 'completed') {
    throw new LabellingExperimentError(`run ${run.id} ended ${run.status}: ${run.message ?? ''}`)
  }
  const report = await api['runs.evaluate'](run.id, testDir)
  return {
    run,
    outcome: {
      runId: run.id,
      epochs: run.epochsDone,
      valAcc: run.last?.ensemble.valAcc ?? null,
      testAcc: report.ensemble.accuracy,
      seconds,
    },
  }
}

export interface LabellingHooks {
  log?: (line: string) => void
  /** after each round, e.g. to save partial results */
  onRound?: (result: RoundResult) => Promise<void> | void
}

/** Runs every seed × ordering; each in its own dataset of the library behind `api`. */
export async function runLabellingExperiment(
  api: LabellingApi,
  work: string,
  plan: LabellingPlan,
  hooks: LabellingHooks = {},
): Promise<LabellingResults> {
  const log = hooks.log ?? (() => undefined)
  const pictures = await writePictures(work, plan)
  const names = plan.nets.length === 1 ? [plan.nets[0]!, plan.nets[0]!] : plan.nets
  const networks = names.map((arch, i) => ({
    arch,
    ...(plan.widths?.[i] === undefined ? {} : { width: plan.widths[i] }),
  }))
  const rounds: RoundResult[] = []
  for (const seed of plan.seeds) {
    // the same first labels for every ordering of a seed: the orderings differ from round 1 on
    const first = pictures.poolByClass.flatMap((names) =>
      Random.stream(seed, 7).shuffle(names.slice()).slice(0, plan.start),
    )
    for (const order of plan.orders) {
      const person = await Person.start(api, pictures, `labelling-seed${seed}-${order}`)
      await person.label(Random.stream(seed, 8).shuffle(first.slice()))
      const settings = {
        dataset: person.datasetId,
        networks,
        seed,
        ...(plan.epochs === undefined ? {} : { epochs: plan.epochs }),
      }
      let last: number | null = null
      for (let round = 0; round <= plan.rounds; round++) {
        const warm: { outcome: RunOutcome; run: RunSummary } | null =
          last === null ? null : await trainAndTest(api, { ...settings, fromRun: last }, pictures.testDir)
        const scratch = await trainAndTest(api, settings, pictures.testDir)
        const current: RunSummary = (warm ?? scratch).run
        last = current.id
        const list = await api['suggestions.list'](person.datasetId, { runId: current.id, order, seed })
        const agreeing = list.suggestions.filter((s) => s.agree)
        const correct = agreeing.filter(
          (s) => pictures.classNames.indexOf(s.label) === person.trueLabel(s.imageId),
        ).length
        const result: RoundResult = {
          seed,
          order,
          round,
          labels: person.labels,
          warm: warm?.outcome ?? null,
          scratch: scratch.outcome,
          agreeing: {
            count: agreeing.length,
            correct,
            precision: agreeing.length > 0 ? correct / agreeing.length : null,
            unlabelled: list.suggestions.length,
          },
        }
        rounds.push(result)
        log(roundLine(result))
        await hooks.onRound?.(result)
        if (round < plan.rounds) {
          await person.label(
            list.suggestions.slice(0, plan.perRound).map((s) => person.nameOfImage(s.imageId)),
          )
        }
      }
    }
  }
  return { plan, rounds, summary: summariseLabelling(rounds) }
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : (100 * x).toFixed(1))

function roundLine(r: RoundResult): string {
  const warm = r.warm ? `warm ${pct(r.warm.testAcc)}% in ${r.warm.seconds.toFixed(0)} s · ` : ''
  return (
    `seed ${r.seed} ${r.order} round ${r.round} (${r.labels} labels): ${warm}` +
    `scratch ${pct(r.scratch.testAcc)}% in ${r.scratch.seconds.toFixed(0)} s · ` +
    `agreeing suggestions ${r.agreeing.count}, right ${pct(r.agreeing.precision)}%`
  )
}

/** Mean and spread over seeds of one ordering at one round. */
export interface RoundSummary {
  order: LabelOrder
  round: number
  labels: number
  seeds: number
  warm: { testAcc: number; std: number; seconds: number } | null
  scratch: { testAcc: number; std: number; seconds: number }
  agreeingPrecision: number | null
  /** the last run's ensemble accuracy on its validation split */
  valAcc: number | null
}

export interface LabellingSummary {
  rounds: RoundSummary[]
  /** per ordering: the fewest labels at which its from-scratch test accuracy reached random's final one */
  labelsToRandomFinal: Partial<Record<LabelOrder, number | null>>
}

function spread(xs: number[]): number {
  return xs.length > 1 ? sampleStd(xs) : 0
}

export function summariseLabelling(results: readonly RoundResult[]): LabellingSummary {
  const keys = [...new Set(results.map((r) => `${r.order}|${r.round}`))]
  const rounds = keys.map((key): RoundSummary => {
    const group = results.filter((r) => `${r.order}|${r.round}` === key)
    const warms = group.flatMap((r) => (r.warm ? [r.warm] : []))
    const precisions = group.flatMap((r) => (r.agreeing.precision === null ? [] : [r.agreeing.precision]))
    const vals = group.map((r) => (r.warm ?? r.scratch).valAcc).filter((v): v is number => v !== null)
    return {
      order: group[0]!.order,
      round: group[0]!.round,
      labels: group[0]!.labels,
      seeds: group.length,
      warm:
        warms.length === 0
          ? null
          : {
              testAcc: mean(warms.map((w) => w.testAcc)),
              std: spread(warms.map((w) => w.testAcc)),
              seconds: mean(warms.map((w) => w.seconds)),
            },
      scratch: {
        testAcc: mean(group.map((r) => r.scratch.testAcc)),
        std: spread(group.map((r) => r.scratch.testAcc)),
        seconds: mean(group.map((r) => r.scratch.seconds)),
      },
      agreeingPrecision: precisions.length > 0 ? mean(precisions) : null,
      valAcc: vals.length > 0 ? mean(vals) : null,
    }
  })
  const labelsToRandomFinal: LabellingSummary['labelsToRandomFinal'] = {}
  const random = rounds.filter((r) => r.order === 'random')
  const target = random.at(-1)?.scratch.testAcc
  if (target !== undefined) {
    for (const order of new Set(rounds.map((r) => r.order))) {
      const reached = rounds.find((r) => r.order === order && r.scratch.testAcc >= target)
      labelsToRandomFinal[order] = reached?.labels ?? null
    }
  }
  return { rounds, labelsToRandomFinal }
}

/** One row per seed, ordering, round and way of training. */
export function labellingCsv(results: readonly RoundResult[]): string {
  const head = 'seed,order,round,labels,training,run,epochs,val_acc,test_acc,seconds,agreeing,agreeing_right'
  const rows = results.flatMap((r) =>
    (['warm', 'scratch'] as const).flatMap((how) => {
      const o = r[how]
      if (!o) return []
      return [
        [
          r.seed,
          r.order,
          r.round,
          r.labels,
          how,
          o.runId,
          o.epochs,
          o.valAcc ?? '',
          o.testAcc,
          o.seconds.toFixed(1),
          r.agreeing.count,
          r.agreeing.correct,
        ].join(','),
      ]
    }),
  )
  return [head, ...rows, ''].join('\n')
}

/** Test accuracy against labels: one line per ordering and way of training (mean over seeds). */
export function labellingChart(summary: LabellingSummary): string {
  const orders = [...new Set(summary.rounds.map((r) => r.order))]
  const series = orders.flatMap((order) => {
    const rows = summary.rounds.filter((r) => r.order === order)
    const scratch = { name: `${order}, new run`, ys: rows.map((r) => 100 * r.scratch.testAcc) }
    // round 0 has no warm run: its curve starts at the first run, which every later one starts from
    const warm = {
      name: `${order}, from last run`,
      ys: rows.map((r) => 100 * (r.warm ?? r.scratch).testAcc),
    }
    return [scratch, warm]
  })
  const labels = summary.rounds.filter((r) => r.order === orders[0]).map((r) => r.labels)
  return lineChart({
    title: 'Fashion-MNIST test accuracy against labels given (mean over seeds)',
    series,
    unit: '%',
    xLabels: [`${labels[0] ?? ''} labels`, `${labels.at(-1) ?? ''} labels`],
  })
}
