/**
 * The report of `cohort experiment defaults`: per dataset and size, the automatic settings' test accuracy beside
 * the best hand-grid setting's and `none`'s (mean ± sample std over seeds), and issue 17's checks as PASS/FAIL
 * lines with their numbers. Accuracies are in % here; the records hold fractions.
 */
import { writeFile } from 'node:fs/promises'
import type { DefaultsRecord } from './defaults'
import { pointName } from './defaults'
import { REFERENCE, REFERENCE_NETS } from './reference'
import { mean, placeBlock, sampleStd } from './report'
import { readIfExists, readResults } from './runs'

/** How far below the best grid setting the automatic settings may be (issue 17: 1 pp). */
export const WITHIN_PP = 1

export interface Spread {
  mean: number
  /** sample std over seeds; null with one seed */
  std: number | null
  seeds: number[]
}

/** Test accuracy (%) per column (each network, then the ensemble) of runs that differ only by seed. */
export function columns(records: readonly DefaultsRecord[]): Spread[] {
  const first = records[0]
  if (!first) return []
  const width = first.final.networks.length + 1
  return Array.from({ length: width }, (_, k) => {
    const xs = records.map((r) => 100 * testAcc(r, k))
    const s = sampleStd(xs)
    return { mean: mean(xs), std: Number.isNaN(s) ? null : s, seeds: records.map((r) => r.spec.seed) }
  })
}

function testAcc(record: DefaultsRecord, k: number): number {
  const n = record.final.networks
  return k < n.length ? n[k]!.testAcc : record.final.ensemble.testAcc
}

export interface Check {
  pass: boolean
  line: string
}

const f2 = (x: number) => x.toFixed(2)
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`
const mark = (pass: boolean) => (pass ? 'PASS' : 'FAIL')

/** The automatic settings within WITHIN_PP of the best grid setting (a best below them passes too). */
export function withinBest(name: string, defaults: number, best: { mean: number; point: string }): Check {
  const pass = defaults >= best.mean - WITHIN_PP
  return {
    pass,
    line: `${mark(pass)} ${name}: defaults ${f2(defaults)} % vs best grid ${f2(best.mean)} % (${best.point}): ${signed(defaults - best.mean)} pp, allowed −${WITHIN_PP.toFixed(2)}`,
  }
}

/**
 * The default teacher not below `none` beyond the seed spread: the mean paired difference (same seed) is at
 * least −(sample std of `none` over seeds); with one seed there is no spread, so it must not be below at all.
 */
export function notBelowNone(name: string, paired: readonly number[], noneStd: number | null): Check {
  const gain = mean(paired)
  const allowed = noneStd ?? 0
  const pass = gain >= -allowed
  return {
    pass,
    line: `${mark(pass)} ${name}: default teacher − none ${signed(gain)} pp (paired, ${paired.length} seed${paired.length === 1 ? '' : 's'}), allowed −${f2(allowed)} (${noneStd === null ? 'one seed: no spread' : "none's seed spread"})`,
  }
}

/** At least the PyTorch reference's independent accuracy within its seed spread. */
export function atLeastReference(name: string, defaults: number, reference: number, spread: number): Check {
  const pass = defaults >= reference - spread
  return {
    pass,
    line: `${mark(pass)} ${name}: defaults ${f2(defaults)} % vs reference \`none\` ${f2(reference)} % ± ${f2(spread)}: ${signed(defaults - reference)} pp`,
  }
}

const cell = (s: Spread | undefined) =>
  s === undefined ? '—' : `${f2(s.mean)}${s.std === null ? '' : ` ± ${f2(s.std)}`}`

/** Groups records by a key, in first-seen order. */
function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>()
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item])
  return out
}

const armName = (r: DefaultsRecord) =>
  r.spec.arm === 'grid' && r.spec.point
    ? `grid: ${pointName(r.spec.point)}`
    : r.spec.arm === 'teacher'
      ? `teacher ${r.spec.teacher}`
      : r.spec.arm

/** Per column, the mean over seeds of `rs` minus `base` on the same seed (pp); null where no seed pairs. */
function pairedGains(rs: readonly DefaultsRecord[], base: readonly DefaultsRecord[], width: number) {
  return Array.from({ length: width }, (_, k) => {
    const bySeed = new Map(base.map((r) => [r.spec.seed, testAcc(r, k)]))
    const paired = rs
      .filter((r) => bySeed.has(r.spec.seed))
      .map((r) => 100 * (testAcc(r, k) - bySeed.get(r.spec.seed)!))
    return paired
  })
}

/** The section of one dataset and size: the table, the checks and the time of a default run. */
export function sizeSection(records: readonly DefaultsRecord[]): { text: string; checks: Check[] } {
  const first = records[0]!
  const names = [...first.final.networks.map((n) => n.arch), 'ensemble']
  const arms = groupBy(records, armName)
  const defaults = arms.get('defaults') ?? []
  const none = arms.get('none') ?? []
  const grid = [...arms.entries()].filter(([name]) => name.startsWith('grid: '))
  const stat = new Map([...arms.entries()].map(([name, rs]) => [name, columns(rs)]))
  const lines: string[] = []
  const dataset = first.spec.dataset === 'fashion-mnist' ? 'Fashion-MNIST' : `\`${first.spec.dataset}\``
  lines.push(
    `### ${dataset}, ${first.spec.perClass} per label (${first.sizes.train} training, ${first.sizes.validation} validation, ${first.sizes.test} test pictures)`,
    '',
  )
  const auto = defaults[0] ?? first
  lines.push(
    `Automatic settings: ${auto.config.imageSize} px, ${auto.config.channels === 1 ? 'grey' : 'colour'}, batch ${auto.config.batchSize}, ${auto.config.epochs} epochs (${auto.steps} steps), lr ${auto.config.lr}, teacher \`${auto.config.teacher}\`, answer's weights \`${auto.config.ensembleRule}\`${first.spec.epochs !== undefined ? ` — **epochs overridden to ${first.spec.epochs} (a quick check, not the defaults)**` : ''}.`,
    '',
    `| setting | seeds | ${names.map((n) => `${n} test %`).join(' | ')} | epochs | steps | seconds |`,
    `|---|---|${names.map(() => '---|').join('')}---|---|---|`,
  )
  for (const [name, rs] of arms) {
    const c = stat.get(name)!
    lines.push(
      `| ${name} | ${rs.length} | ${c.map(cell).join(' | ')} | ${rs[0]!.epochs} | ${rs[0]!.steps} | ${f2(mean(rs.map((r) => r.seconds.total)))} |`,
    )
  }
  lines.push('')
  const checks: Check[] = []
  const dStat = stat.get('defaults')
  if (dStat && grid.length > 0) {
    names.slice(0, -1).forEach((name, k) => {
      const best = grid
        .map(([point]) => ({ point: point.slice('grid: '.length), mean: stat.get(point)![k]!.mean }))
        .reduce((a, b) => (b.mean > a.mean ? b : a))
      checks.push(withinBest(name, dStat[k]!.mean, best))
    })
  }
  if (dStat && none.length > 0) {
    const noneStat = stat.get('none')!
    pairedGains(defaults, none, names.length).forEach((paired, k) => {
      if (paired.length > 0) checks.push(notBelowNone(names[k]!, paired, noneStat[k]!.std))
    })
  }
  const reference = REFERENCE.find((s) => s.perClass === first.spec.perClass)
  const sameNets = names.slice(0, -1).join(',') === REFERENCE_NETS.join(',')
  if (dStat && reference && sameNets && first.spec.dataset === 'fashion-mnist') {
    names.forEach((name, k) =>
      checks.push(
        atLeastReference(
          `${name} (reference: ${reference.label})`,
          dStat[k]!.mean,
          reference.test.none[k]!,
          reference.noneSpread[k]!,
        ),
      ),
    )
  }
  if (checks.length > 0) lines.push('Checks (issue 17):', '', ...checks.map((c) => `- ${c.line}`), '')
  const teachers = [...arms.entries()].filter(([name]) => name === 'defaults' || name.startsWith('teacher '))
  if (none.length > 0 && teachers.length > 1) {
    lines.push('Each teacher − none, paired by seed (pp; mean, with the number of seeds):', '')
    for (const [name, rs] of teachers) {
      const gains = pairedGains(rs, none, names.length)
      const teacher =
        name === 'defaults' ? `\`${auto.config.teacher}\` (the default)` : `\`${name.slice(8)}\``
      lines.push(
        `- ${teacher}: ${gains.map((g, k) => `${names[k]} ${g.length ? signed(mean(g)) : '—'}`).join(', ')} (${gains[0]!.length} seeds)`,
      )
    }
    lines.push('')
  }
  if (defaults.length > 0) {
    const secs = defaults.map((r) => r.seconds.total)
    lines.push(
      `Time of a default run: ${f2(mean(secs))} s (range ${f2(Math.min(...secs))}–${f2(Math.max(...secs))} s, backend ${auto.backend}; training ${f2(mean(defaults.map((r) => r.seconds.training)))} s).`,
      '',
    )
  }
  return { text: lines.join('\n'), checks }
}

/** The whole report block: one section per dataset and size, in the order the runs were recorded. */
export function renderDefaultsReport(records: readonly DefaultsRecord[]): { text: string; checks: Check[] } {
  const sections = [...groupBy(records, (r) => `${r.spec.dataset} ${r.spec.perClass}`).values()].map(
    sizeSection,
  )
  const checks = sections.flatMap((s) => s.checks)
  const text = [
    '## Automatic settings — the grid',
    '',
    'Written by `cohort experiment defaults`. Test accuracy % (mean ± sample std over seeds) of the weights each run keeps (each network’s best validation epoch); the test set chooses nothing. "defaults" is a run given only its networks and seed, with every other setting chosen as the product chooses it; "none" is the same with `teacher: none`; each "grid" row changes the automatic epochs and learning rate by the factors shown, or the batch size; each "teacher" row is the automatic schedule with that teacher. The best grid setting is taken per network by test accuracy: the strictest bar for the defaults.',
    '',
    ...sections.map((s) => s.text),
    `Checks: ${checks.filter((c) => c.pass).length} PASS, ${checks.filter((c) => !c.pass).length} FAIL.`,
  ].join('\n')
  return { text, checks }
}

/** Rewrites the report block in `markdown` from the results file; returns the checks. */
export async function writeDefaultsReport(options: { results: string; markdown: string }): Promise<Check[]> {
  const records = await readResults<DefaultsRecord>(options.results)
  const { text, checks } = renderDefaultsReport(records)
  await writeFile(
    options.markdown,
    placeBlock(await readIfExists(options.markdown), 'cohort experiment defaults', text),
  )
  return checks
}
