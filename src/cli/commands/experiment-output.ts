/** What the experiment commands print while they run, and their shared option parsing. */
import { InvalidArgumentError } from 'commander'
import { TEACHER_NAMES, type TeacherName } from '../../shared/training-settings'
import type { EpochMetrics } from '../../shared/types'
import { endProgress, progressLine } from '../output'

/** A comma-separated option, each item parsed. */
export function list<T>(parse: (s: string) => T) {
  return (text: string): T[] => text.split(',').map((s) => parse(s.trim()))
}

/** A teacher's name from the command line. */
export function teacher(name: string): TeacherName {
  if (!(TEACHER_NAMES as string[]).includes(name))
    throw new InvalidArgumentError(`unknown teacher "${name}"; choose from ${TEACHER_NAMES.join(', ')}`)
  return name as TeacherName
}

/** A fraction as a percentage with two decimals; "—" when there is none. */
export const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : (100 * x).toFixed(2)

/** One line on stderr (stdout is the result), ending a live progress line first. */
export function log(line: string): void {
  endProgress()
  process.stderr.write(`${line}\n`)
}

/**
 * A run's epochs as they end: a terminal gets a live line; a log (nohup, CI) a line every 10 epochs so it is
 * not silent for minutes.
 */
export function epochReporter(run: string, epochs: number): (m: EpochMetrics) => void {
  return (m) => {
    const nets = m.networks.map((n) => `${n.arch} ${pct(n.valAcc)}%`).join(' · ')
    const line = `${run} epoch ${m.epoch}/${epochs}: validation ${nets}`
    if (process.stderr.isTTY) progressLine(line)
    else if (m.epoch % 10 === 0 || m.epoch === epochs) log(`  ${line}`)
  }
}
