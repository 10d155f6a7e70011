/**
 * A recognition report as CSV, shared so the CLI writes and the renderer downloads the same file.
 * Dependency-free (RFC 4180 quoting) because it also runs in the browser.
 */
import { guardFormula } from './spreadsheet-cell'
import type { RecognitionReport } from './types'

function cell(value: string | number): string {
  // numbers are Cohort's own probabilities; text (paths, labels from a model bundle) may be anything
  const text = typeof value === 'number' ? String(value) : guardFormula(value)
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/** `path,label,probability,label_2,probability_2,…,error`: one row per file, top-k columns. */
export function recognitionCsv(report: RecognitionReport): string {
  const k = Math.max(1, ...report.results.map((r) => ('predictions' in r ? r.predictions.length : 0)))
  const header = ['path', 'label', 'probability']
  for (let i = 2; i <= k; i++) header.push(`label_${i}`, `probability_${i}`)
  header.push('error')
  const rows = report.results.map((r) => {
    const cells: (string | number)[] = [r.path]
    for (let i = 0; i < k; i++) {
      const p = 'predictions' in r ? r.predictions[i] : undefined
      cells.push(p?.label ?? '', p === undefined ? '' : p.probability)
    }
    cells.push('error' in r ? r.error : '')
    return cells
  })
  return [header, ...rows].map((row) => `${row.map(cell).join(',')}\n`).join('')
}
