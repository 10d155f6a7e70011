/**
 * Markdown tables from a results file, laid out like the reference note: mean ± sample std over seeds per
 * teacher and network, paired gains against `none` (same seed, same setting), seeds won, per-seed numbers,
 * the agreement check against the PyTorch reference, and one SVG line chart of validation accuracy per
 * network. Records are grouped by setting (everything but teacher and seed), one section each.
 */
import { writeFile } from 'node:fs/promises'
import { basename, dirname, relative, sep } from 'node:path'
import type { TeacherName } from '../core/training/teacher-names'
import { ENSEMBLE_RULES } from '../core/training/validation-weights'
import { REFERENCE, REFERENCE_NETS } from './reference'
import { readIfExists, readResults, runKey, type RunRecord } from './runs'

export class ReportError extends Error {
  override name = 'ReportError'
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) throw new ReportError('the mean of no values is undefined')
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

/** Sample standard deviation (n − 1); NaN for a single value, which the tables print as "—". */
export function sampleStd(xs: readonly number[]): number {
  if (xs.length < 2) return Number.NaN
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1))
}

/** The columns a run is measured on: each network, then the plain-average ensemble. */
export function testAccuracies(record: RunRecord): number[] {
  return [...record.final.networks.map((n) => n.testAcc), record.final.ensemble.testAcc]
}

export function validationAccuracies(record: RunRecord): number[] {
  return [...record.final.networks.map((n) => n.valAcc), record.final.ensemble.valAcc]
}

/** The setting a run belongs to: its key without teacher and seed. */
export function settingOf(record: RunRecord): string {
  return runKey(record.spec)
    .split(' ')
    .filter((part) => !part.startsWith('teacher=') && !part.startsWith('seed='))
    .join(' ')
}

export interface TeacherSummary {
  teacher: TeacherName
  seeds: number[]
  /** per column (networks, then ensemble): accuracy in % */
  test: { mean: number; std: number }[]
  /** per column: paired gain over `none` in pp over the seeds both have; null for `none` or without pairs */
  gain: { mean: number; std: number; wins: number; pairs: number }[] | null
  validationGain: number[] | null
  perSeed: Map<number, number[]>
}

/**
 * Per teacher of one setting: accuracies over seeds and paired gains against `none` on the same seed. A seed
 * without a `none` run is left out of the gains (never compared with another seed's baseline).
 */
export function summarise(records: readonly RunRecord[]): TeacherSummary[] {
  const byTeacher = new Map<TeacherName, RunRecord[]>()
  for (const r of records) byTeacher.set(r.spec.teacher, [...(byTeacher.get(r.spec.teacher) ?? []), r])
  const baseline = new Map((byTeacher.get('none') ?? []).map((r) => [r.spec.seed, r]))
  const order: TeacherName[] = ['none', 'mean', 'min-loss', 'min-logit', 'linear', 'validation']
  return order
    .filter((t) => byTeacher.has(t))
    .map((teacher) => {
      const runs = byTeacher
        .get(teacher)!
        .slice()
        .sort((a, b) => a.spec.seed - b.spec.seed)
      const columns = testAccuracies(runs[0]!).length
      const pct = (r: RunRecord) => testAccuracies(r).map((a) => 100 * a)
      const column = (k: number, f: (r: RunRecord) => number[], rs: RunRecord[]) => rs.map((r) => f(r)[k]!)
      const test = Array.from({ length: columns }, (_, k) => {
        const xs = column(k, pct, runs)
        return { mean: mean(xs), std: sampleStd(xs) }
      })
      const paired = runs.filter((r) => baseline.has(r.spec.seed))
      let gain: TeacherSummary['gain'] = null
      let validationGain: number[] | null = null
      if (teacher !== 'none' && paired.length > 0) {
        const diff = (f: (r: RunRecord) => number[]) => (r: RunRecord) => {
          const base = f(baseline.get(r.spec.seed)!)
          return f(r).map((a, k) => 100 * (a - base[k]!))
        }
        gain = Array.from({ length: columns }, (_, k) => {
          const xs = column(k, diff(testAccuracies), paired)
          return {
            mean: mean(xs),
            std: sampleStd(xs),
            wins: xs.filter((x) => x > 0).length,
            pairs: xs.length,
          }
        })
        validationGain = Array.from({ length: columns }, (_, k) =>
          mean(column(k, diff(validationAccuracies), paired)),
        )
      }
      return {
        teacher,
        seeds: runs.map((r) => r.spec.seed),
        test,
        gain,
        validationGain,
        perSeed: new Map(runs.map((r) => [r.spec.seed, pct(r)])),
      }
    })
}

const fmt = (x: number) => x.toFixed(2)
const signed = (x: number) => (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(2)
const pm = (m: string, s: number) => (Number.isNaN(s) ? m : `${m} ± ${s.toFixed(2)}`)

/** The issue's bar for "training together pays": mean gain above the baseline's seed spread, a win on every seed. */
export function verdict(
  gain: { mean: number; wins: number; pairs: number },
  baselineStd: number | undefined,
): string {
  if (baselineStd === undefined || Number.isNaN(baselineStd)) return '— (needs 2+ seeds of none)'
  const pays = gain.mean > baselineStd && gain.wins === gain.pairs
  return `${pays ? '**yes**' : 'no'} (${signed(gain.mean)} vs ${baselineStd.toFixed(2)})`
}

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')
}

/** Each network's name (arch, ×width when not 1, numbered when the group holds it twice), then the ensemble. */
export function columnNames(record: RunRecord): string[] {
  const names = record.final.networks.map((n) => (n.width === 1 ? n.arch : `${n.arch}×${n.width}`))
  const numbered = names.map((name, i) =>
    names.filter((other) => other === name).length > 1
      ? `${name} #${names.slice(0, i + 1).filter((other) => other === name).length}`
      : name,
  )
  return [...numbered, 'ensemble']
}

/** The section of one setting: the reference note's tables. */
export function settingSection(records: readonly RunRecord[]): string {
  const first = records.find((r) => r.spec.teacher !== 'none') ?? records[0]!
  const names = columnNames(first)
  const summaries = summarise(records)
  const seeds = [...new Set(records.map((r) => r.spec.seed))].sort((a, b) => a - b)
  const out: string[] = []
  const s = first.spec
  out.push(
    `## ${s.nets.join(' + ')}, ${s.perClass === undefined ? 'all' : s.perClass} per class, ${s.epochs} epochs; ` +
      `T ${s.T}, λ ${s.lambda}, τ ${s.tau}` +
      (s.validationRule && s.validationRule !== 'softmax' ? `, validation rule ${s.validationRule}` : '') +
      (s.distillWarmup ? `, λ warm-up ${s.distillWarmup} epochs` : '') +
      (s.augment && s.augment !== 'reference' ? `, augmentation ${s.augment}` : '') +
      (s.decay === 'all' ? ', weight decay on all parameters' : ''),
    '',
    `Setting: \`${settingOf(first)}\`. ${first.sizes.train} training, ${first.sizes.validation} validation, ` +
      `${first.sizes.test} test images; ${records.length} runs; seeds ${seeds.join(', ')}. Last-epoch numbers; ` +
      'the test set chooses nothing. Accuracies are mean ± sample std over seeds; gains are per-seed paired ' +
      'differences against `none` in pp.' +
      (first.spec.teacher !== 'none' && records.some((r) => settingOf(r) !== settingOf(first))
        ? ' The `none` runs are those of the setting this one varies (independent training does not depend ' +
          'on the teacher’s parameters).'
        : ''),
    '',
  )
  out.push(
    table(
      ['teacher', ...names.flatMap((n) => [`${n} test acc %`, `${n} gain (pp)`])],
      summaries.map((t) => [
        t.teacher,
        ...t.test.flatMap((a, k) => {
          const g = t.gain?.[k]
          return [pm(fmt(a.mean), a.std), g ? pm(signed(g.mean), g.std) : '—']
        }),
      ]),
    ),
    '',
  )
  const withGains = summaries.filter((t) => t.gain)
  const none = summaries.find((t) => t.teacher === 'none')
  if (withGains.length > 0) {
    out.push(
      'Seeds on which the teacher beat `none` (of the paired seeds), the mean last-epoch validation gain (pp), ' +
        'and the bar of the issue: **pays** when the mean paired gain exceeds the seed spread (sample std) of ' +
        '`none` and the gain is positive on every seed:',
      '',
      table(
        [
          'teacher',
          ...names.map((n) => `${n} wins`),
          ...names.map((n) => `${n} val gain`),
          ...names.map((n) => `${n} pays?`),
        ],
        withGains.map((t) => [
          t.teacher,
          ...t.gain!.map((g) => `${g.wins}/${g.pairs}`),
          ...t.validationGain!.map(signed),
          ...t.gain!.map((g, k) => verdict(g, none?.test[k]!.std)),
        ]),
      ),
      '',
    )
  }
  out.push(
    `Test accuracy % per seed (${names.join(' / ')}):`,
    '',
    table(
      ['teacher', ...seeds.map((x) => `seed ${x}`)],
      summaries.map((t) => [t.teacher, ...seeds.map((x) => t.perSeed.get(x)?.map(fmt).join(' / ') ?? '—')]),
    ),
    '',
  )
  const seconds = records.map((r) => r.seconds.training / r.spec.epochs)
  out.push(
    `Time per epoch (training and its validation pass): median ${fmt(median(seconds))} s (range ${fmt(Math.min(...seconds))}–${fmt(Math.max(...seconds))} s), ` +
      `backend ${first.backend}; whole runs ${fmt(Math.min(...records.map((r) => r.seconds.total)))}–` +
      `${fmt(Math.max(...records.map((r) => r.seconds.total)))} s.`,
    '',
  )
  return out.join('\n')
}

function median(xs: readonly number[]): number {
  const s = xs.slice().sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/**
 * Agreement with the reference where the setups match (cnn + resnet-8 at default widths, same per-class and
 * epochs): independent accuracies within 1 pp, and each teacher's mean gain of the same sign.
 */
export function agreementSection(records: readonly RunRecord[]): string | null {
  const s = records[0]!.spec
  if (s.nets.join(',') !== REFERENCE_NETS.join(',') || (s.widths ?? []).some((w) => w !== 1)) return null
  // the reference always trained with its crop + flip
  if (s.augment && s.augment !== 'reference') return null
  const ref = REFERENCE.find((r) => r.perClass === s.perClass && r.epochs === s.epochs)
  if (!ref) return null
  // the training images do not depend on the validation size, so only the validation teacher needs the
  // reference's validation split (500 per class) and τ to be comparable
  const sameValidation = s.valPerClass === 500 && s.tau === 0.05
  const names = ['cnn', 'resnet-8', 'ensemble']
  const summaries = summarise(records)
  const rows: string[][] = []
  for (const t of summaries) {
    const refRow = ref.test[t.teacher]
    t.test.forEach((a, k) => {
      const refGain = refRow[k]! - ref.test.none[k]!
      const ours = t.gain?.[k]
      const check =
        t.teacher === 'validation' && !sameValidation
          ? `— (validation split ${s.valPerClass}/class, τ ${s.tau}; reference 500/class, τ 0.05)`
          : t.teacher === 'none'
            ? Math.abs(a.mean - refRow[k]!) <= 1
              ? 'yes (within 1 pp)'
              : `**no** (${signed(a.mean - refRow[k]!)} pp)`
            : ours
              ? Math.sign(ours.mean) === Math.sign(refGain)
                ? 'yes (same sign)'
                : '**no** (sign differs)'
              : '— (no paired none)'
      rows.push([
        t.teacher,
        names[k]!,
        fmt(refRow[k]!),
        fmt(a.mean),
        t.teacher === 'none' ? '—' : signed(refGain),
        ours ? signed(ours.mean) : '—',
        check,
      ])
    })
  }
  return [
    `### Agreement with the PyTorch reference (${ref.label})`,
    '',
    "Independent (`none`) accuracies should be within ~1 pp of the reference; each teacher's mean gain should " +
      "have the reference's sign. Our split is stratified like the reference's but drawn with Cohort's PRNG, " +
      'and the trainer splits each epoch into near-equal batches (the reference ends on a small remainder batch). ' +
      'The training images do not depend on the validation size; only the `validation` teacher does.',
    '',
    table(['teacher', 'network', 'reference %', 'ours %', 'reference gain', 'our gain', 'agrees'], rows),
    '',
  ].join('\n')
}

/**
 * The app's recognition ensemble under each weight rule, over every run of the setting (all teachers): test
 * accuracy, the paired difference from the plain average on the same run, and how often the rule's weights
 * were all but one-sided (one network ≥ 0.95), which on a small validation split is noise.
 */
export function ensembleSection(records: readonly RunRecord[]): string | null {
  const runs = records.filter((r) => r.final.ensembles)
  if (runs.length === 0) return null
  const rows = ENSEMBLE_RULES.map((rule) => {
    const acc = runs.map((r) => 100 * r.final.ensembles![rule].testAcc)
    const diff = runs.map((r, i) => acc[i]! - 100 * r.final.ensembles!.equal.testAcc)
    const better = diff.filter((d) => d > 0).length
    const worse = diff.filter((d) => d < 0).length
    const oneSided = runs.filter((r) => Math.max(...r.final.ensembles![rule].weights) >= 0.95).length
    return [
      rule,
      pm(fmt(mean(acc)), sampleStd(acc)),
      rule === 'equal' ? '—' : pm(signed(mean(diff)), sampleStd(diff)),
      rule === 'equal' ? '—' : `${better} / ${runs.length - better - worse} / ${worse}`,
      `${oneSided}/${runs.length}`,
    ]
  })
  return [
    `The recognition ensemble (what the app predicts with): the networks' logits weighted by each rule from ` +
      `their last-epoch validation accuracies (softmax τ ${runs[0]!.spec.tau}), measured on the test set, over ` +
      `the ${runs.length} runs of this setting (every teacher and seed):`,
    '',
    table(
      ['weight rule', 'test acc %', 'vs equal (pp)', 'runs better / same / worse', 'one network ≥ 0.95'],
      rows,
    ),
    '',
  ].join('\n')
}

const COLOURS = ['#444444', '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd']

export interface ChartSeries {
  name: string
  /** one value per epoch */
  ys: number[]
}

/** One hand-written SVG line chart over epochs: one polyline per series, a legend, y from `range` or the data. */
export function lineChart(options: {
  title: string
  series: ChartSeries[]
  unit: string
  range?: [number, number]
  /** what the first and last points are (default: epoch 1 … epoch n) */
  xLabels?: [string, string]
}): string {
  const { series, unit } = options
  const all = series.flatMap((s) => s.ys)
  const [lo, hi] = options.range ?? [Math.floor(Math.min(...all)), Math.ceil(Math.max(...all))]
  const n = Math.max(...series.map((s) => s.ys.length))
  const [W, H, L, B] = [640, 360, 50, 40]
  const x = (e: number) => L + (n <= 1 ? 0 : (e / (n - 1)) * (W - L - 130))
  const y = (v: number) => H - B - ((v - lo) / Math.max(hi - lo, 1e-9)) * (H - B - 30)
  const label = (v: number) => `${Number(v.toFixed(2))}${unit}`
  const lines = series.map((s, i) => {
    const colour = COLOURS[i % COLOURS.length]
    const points = s.ys.map((v, e) => `${x(e).toFixed(1)},${y(v).toFixed(1)}`).join(' ')
    return (
      `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${points}"/>` +
      `<text x="${W - 120}" y="${40 + 18 * i}" fill="${colour}">${s.name}</text>`
    )
  })
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="18">${options.title}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - 130}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="30" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${L - 8}" y="${y(hi) + 4}" text-anchor="end">${label(hi)}</text>`,
    `<text x="${L - 8}" y="${y(lo) + 4}" text-anchor="end">${label(lo)}</text>`,
    `<text x="${x(0)}" y="${H - B + 16}" text-anchor="middle">${options.xLabels?.[0] ?? 1}</text>`,
    `<text x="${x(n - 1)}" y="${H - B + 16}" text-anchor="middle">${options.xLabels?.[1] ?? `epoch ${n}`}</text>`,
    ...lines,
    '</svg>',
    '',
  ].join('\n')
}

/** Mean over runs of one per-epoch value, over the epochs every run has. */
function perEpochMean(
  runs: readonly RunRecord[],
  value: (m: RunRecord['epochs'][number]) => number,
): number[] {
  const epochs = Math.min(...runs.map((r) => r.epochs.length))
  return Array.from({ length: epochs }, (_, e) => mean(runs.map((r) => value(r.epochs[e]!))))
}

/** Per-epoch validation accuracy (mean over seeds) of network `k`, one line per teacher. */
export function validationChart(records: readonly RunRecord[], k: number, title: string): string {
  const series = summarise(records).map((t) => ({
    name: t.teacher,
    ys: perEpochMean(
      records.filter((r) => r.spec.teacher === t.teacher),
      (m) => 100 * m.networks[k]!.valAcc,
    ),
  }))
  return lineChart({ title, series, unit: '%' })
}

/**
 * The fusion weights a teacher gave each network per epoch (mean over seeds), for teachers that report them
 * (`validation`: the weights it used that epoch); null when the teacher has none.
 */
export function fusionWeightChart(records: readonly RunRecord[], teacher: TeacherName): string | null {
  const runs = records.filter((r) => r.spec.teacher === teacher)
  if (runs.length === 0 || !runs.every((r) => r.epochs.every((m) => m.teacher?.weights))) return null
  // `mean` reports its constant equal weights: nothing to draw
  const constant = runs.every((r) =>
    r.epochs.every((m) => m.teacher!.weights!.every((w) => w === r.epochs[0]!.teacher!.weights![0])),
  )
  if (constant) return null
  const names = columnNames(runs[0]!).slice(0, -1)
  const series = names.map((name, i) => ({
    name,
    ys: perEpochMean(runs, (m) => m.teacher!.weights![i]!),
  }))
  return lineChart({
    title: `fusion weights of the ${teacher} teacher per epoch (mean over seeds)`,
    series,
    unit: '',
    range: [0, 1],
  })
}

// the parts of a run's key that only the teacher uses: independent training does not depend on them
const TEACHER_ONLY = ['teacher=', 'seed=', 'tau=', 'T=', 'lambda=', 'distillWarmup=', 'rule=']

/** The setting of a run's independent twin: its key without the teacher's own parameters. */
export function baselineOf(record: RunRecord): string {
  return runKey(record.spec)
    .split(' ')
    .filter((part) => !TEACHER_ONLY.some((prefix) => part.startsWith(prefix)))
    .join(' ')
}

/**
 * `records` plus, when they hold no `none` run, the `none` runs from `all` that are their independent twins
 * (a variant such as another T or λ is compared with the same baseline as the setting it varies).
 */
export function withBaseline(records: readonly RunRecord[], all: readonly RunRecord[]): RunRecord[] {
  if (records.length === 0 || records.some((r) => r.spec.teacher === 'none')) return records.slice()
  const base = baselineOf(records[0]!)
  return [...all.filter((r) => r.spec.teacher === 'none' && baselineOf(r) === base), ...records]
}

/** Groups records by setting, in the order their settings first appear; see `withBaseline`. */
export function bySetting(records: readonly RunRecord[]): RunRecord[][] {
  const groups = new Map<string, RunRecord[]>()
  for (const r of records) groups.set(settingOf(r), [...(groups.get(settingOf(r)) ?? []), r])
  return [...groups.values()].map((group) => withBaseline(group, records))
}

const NO_REFERENCE =
  'No reference numbers for this setting: the reference ran cnn + resnet-8 with its crop + flip at ' +
  `${REFERENCE.map((r) => r.label).join('; ')}.`

/** The tables of every setting in `records` (no title: the block may sit inside a longer document). */
export function renderReport(records: readonly RunRecord[], against: boolean): string {
  if (records.length === 0) throw new ReportError('the results file holds no runs')
  const parts: string[] = []
  for (const group of bySetting(records)) {
    parts.push(settingSection(group))
    const ensembles = ensembleSection(group)
    if (ensembles) parts.push(ensembles)
    const agreement = against ? agreementSection(group) : null
    if (against && !agreement) parts.push(`_${NO_REFERENCE}_`, '')
    if (agreement) parts.push(agreement)
  }
  return parts.join('\n')
}

const begin = (id: string) => `<!-- generated from ${id}: begin (cohort experiment rewrites this block) -->`
const end = (id: string) => `<!-- generated from ${id}: end -->`

/**
 * Puts a generated block into a Markdown document: between its markers when the document has them (the
 * hand-written text around them is kept), appended otherwise; a new document gets a title.
 */
export function placeBlock(document: string | null, id: string, block: string): string {
  const wrapped = `${begin(id)}\n\n${block.trim()}\n\n${end(id)}`
  if (document === null)
    return `# Fashion-MNIST: training together vs independent training (Cohort)\n\n${wrapped}\n`
  const from = document.indexOf(begin(id))
  const to = document.indexOf(end(id))
  if (from >= 0 && to > from) return document.slice(0, from) + wrapped + document.slice(to + end(id).length)
  return `${document.trimEnd()}\n\n${wrapped}\n`
}

/**
 * Writes the report of a results file into `markdown` (its own marked block, see `placeBlock`) and the SVG
 * charts beside the results file: validation accuracy per network, fusion weights per teacher that has them.
 */
export async function writeReport(options: {
  results: string
  markdown: string
  against: boolean
}): Promise<{ charts: string[] }> {
  const records = await readResults(options.results)
  const sections: string[] = [renderReport(records, options.against)]
  const charts: string[] = []
  const stem = options.results.replace(/\.jsonl?$/, '')
  const link = (file: string, alt: string) =>
    `![${alt}](${relative(dirname(options.markdown), file).split(sep).join('/')})`
  const save = async (file: string, svg: string, alt: string) => {
    await writeFile(file, svg)
    charts.push(file)
    sections.push(link(file, alt), '')
  }
  for (const [g, group] of bySetting(records).entries()) {
    const names = columnNames(group[0]!).slice(0, -1)
    for (const [k, name] of names.entries()) {
      const chart = validationChart(group, k, `validation accuracy of ${name} per epoch (mean over seeds)`)
      await save(`${stem}-${g + 1}-${slug(name)}.svg`, chart, `validation accuracy of ${name}`)
    }
    for (const t of summarise(group)) {
      const chart = fusionWeightChart(group, t.teacher)
      if (chart) await save(`${stem}-${g + 1}-weights-${slug(t.teacher)}.svg`, chart, `${t.teacher} weights`)
    }
  }
  const id = basename(options.results)
  await writeFile(options.markdown, placeBlock(await readIfExists(options.markdown), id, sections.join('\n')))
  return { charts }
}

const slug = (name: string) => name.replace(/[^a-z0-9.-]+/gi, '_')
