import { afterEach, describe, expect, it, vi } from 'vitest'
import { printJson, printTable, safeText, say } from '../../../src/cli/output'

describe('terminal-safe output', () => {
  afterEach(() => vi.restoreAllMocks())

  it('shows C0, DEL, C1 and bidi controls as visible escapes and leaves other text alone', () => {
    expect(safeText('\x1b]0;owned\x07cat.jpg')).toBe('\\x1b]0;owned\\x07cat.jpg')
    expect(safeText('a\tb\nc\rd\x7f\x9b31m')).toBe('a\\x09b\\x0ac\\x0dd\\x7f\\x9b31m')
    expect(safeText('photo\u202egpj.exe \u2066x\u2069 \u200f')).toBe(
      'photo\\u202egpj.exe \\u2066x\\u2069 \\u200f',
    )
    // look-alikes, accents, emoji and CJK are ordinary text
    expect(safeText('сat Ünïcødé 猫 🐈 e\u0301')).toBe('сat Ünïcødé 猫 🐈 e\u0301')
    expect(safeText('two\nlines\x1b[2J', { keepNewlines: true })).toBe('two\nlines\\x1b[2J')
  })

  it('say escapes only the interpolated values', () => {
    expect(say`rejected ${'\x1b[31mred'}: ${42}\n`).toBe('rejected \\x1b[31mred: 42\n')
  })

  it('printTable escapes every cell and keeps columns aligned on the escaped text', () => {
    const out: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true))
    printTable([
      { label: '\x1b[31mred', images: 3 },
      { label: 'blue', images: 10 },
    ])
    expect(out.join('')).toBe('label        images\n\\x1b[31mred  3\nblue         10\n')
  })

  it('JSON output stays exact', () => {
    const out: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true))
    printJson({ path: '/p/\x1b[31m\u202e.jpg' })
    expect(JSON.parse(out.join(''))).toEqual({ path: '/p/\x1b[31m\u202e.jpg' })
  })
})
