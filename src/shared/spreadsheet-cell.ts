/**
 * CSV cells a spreadsheet would run as a formula: text starting with `=`, `+`, `-`, `@`, a tab or a carriage
 * return (OWASP's list). Such cells are written with a leading apostrophe, which spreadsheets show as text, and
 * the apostrophe is taken off again when Cohort reads the CSV back. Text that already starts with apostrophes
 * before one of those characters gets one more, so reading back is exact for every value.
 * Dependency-free: the renderer uses it too.
 */
const NEEDS_GUARD = /^'*[=+\-@\t\r]/
const GUARDED = /^'+[=+\-@\t\r]/

/** The cell as written to a CSV file. */
export function guardFormula(text: string): string {
  return NEEDS_GUARD.test(text) ? `'${text}` : text
}

/** The value of a cell read from a CSV file that Cohort (or a person following the same rule) wrote. */
export function unguardFormula(text: string): string {
  return GUARDED.test(text) ? text.slice(1) : text
}
