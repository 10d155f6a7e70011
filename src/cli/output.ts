/**
 * Printing for people (aligned text) or for scripts (`--json`: exactly one JSON document).
 * Everything a person's files or a library can name (paths, labels, datasets, messages quoting them) is
 * printed through `say`, `safeText` or `printTable`, so a file called `\x1b]0;pwned\x07.jpg` cannot drive the
 * terminal. JSON and CSV output stay byte-exact: they are data for programs, and JSON escapes C0 itself.
 */

// C0 controls and DEL (so ESC, and every escape sequence, starts inert), C1 controls (8-bit CSI, OSC…), and
// the bidirectional overrides and isolates that make a name display in a different order than it reads
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu
const UNSAFE_KEEPING_NEWLINES =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu

function escapeChar(c: string): string {
  const code = c.codePointAt(0)!
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`
}

/** `text` with every terminal control character shown as a visible escape (`\x1b`, `\u202e`). */
export function safeText(text: unknown, options: { keepNewlines?: boolean } = {}): string {
  return String(text).replace(options.keepNewlines ? UNSAFE_KEEPING_NEWLINES : UNSAFE, escapeChar)
}

/** A template tag: the literal text is Cohort's own, every interpolated value goes through safeText. */
export function say(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((out, s, i) => out + (i > 0 ? safeText(values[i - 1]) : '') + s, '')
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}

export function printTable(rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return
  const keys = Object.keys(rows[0]!)
  const cells = rows.map((r) => keys.map((k) => safeText(r[k] ?? '')))
  const widths = keys.map((k, i) => Math.max(k.length, ...cells.map((c) => c[i]!.length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd()
  process.stdout.write(`${line(keys.map((k) => safeText(k)))}\n`)
  for (const c of cells) process.stdout.write(`${line(c)}\n`)
}

/** Progress on stderr, only for an interactive terminal, so pipes and --json stay clean. */
export function progressLine(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${safeText(text)}`)
}

export function endProgress(): void {
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K')
}
