import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { recognitionCsv } from '../../../src/shared/recognition-csv'
import { guardFormula, unguardFormula } from '../../../src/shared/spreadsheet-cell'

const VALUES = ['=1+1', '+x', '-x', '@x', '\tx', '\rx', "'", "'=", "''-", "'a", 'a=b', '', '-', 'cat', "'''"]

describe('spreadsheet formula guard', () => {
  it('guards every cell a spreadsheet would evaluate (OWASP: = + - @ tab CR)', () => {
    for (const v of VALUES) expect(guardFormula(v)).not.toMatch(/^[=+\-@\t\r]/)
    expect(guardFormula('=1+1')).toBe("'=1+1")
    expect(guardFormula('cat')).toBe('cat')
    expect(guardFormula("'a")).toBe("'a")
  })

  it('reading a guarded cell back gives the exact value', () => {
    for (const v of VALUES) expect(unguardFormula(guardFormula(v))).toBe(v)
  })

  it('recognition CSVs guard paths and labels, not probabilities', () => {
    const text = recognitionCsv({
      results: [
        { path: '=cmd|x', predictions: [{ label: '-1', probability: 0.75 }] },
        { path: '/p/@b.jpg', error: '+oops' },
      ],
    } as never)
    const rows = parse(text) as string[][]
    expect(rows[1]).toEqual(["'=cmd|x", "'-1", '0.75', ''])
    expect(rows[2]).toEqual(['/p/@b.jpg', '', '', "'+oops"])
    expect(rows.slice(1).map((r) => r.map(unguardFormula))[0]).toEqual(['=cmd|x', '-1', '0.75', ''])
  })
})
