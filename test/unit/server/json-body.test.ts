import { describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH, nestingDepthExceeds, parseJsonBody } from '../../../src/server/json-body'

describe('API body parsing', () => {
  it('parses ordinary arguments, and an empty body as no arguments', () => {
    expect(parseJsonBody('[{"datasetId": 1, "ids": [1, 2]}, "x"]')).toEqual({
      ok: true,
      value: [{ datasetId: 1, ids: [1, 2] }, 'x'],
    })
    expect(parseJsonBody('')).toEqual({ ok: true, value: [] })
  })

  it('refuses nesting past the limit without parsing, and counts no bracket inside a string', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n)
    expect(parseJsonBody(deep(MAX_JSON_DEPTH)).ok).toBe(true)
    expect(parseJsonBody(deep(MAX_JSON_DEPTH + 1))).toEqual({
      ok: false,
      message: `The request nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels.`,
    })
    expect(nestingDepthExceeds(JSON.stringify(['['.repeat(100), '\\"[[[[']), 3)).toBe(false)
    expect(nestingDepthExceeds('{"a":{"b":{"c":[1]}}}', 3)).toBe(true)
    const started = Date.now()
    expect(nestingDepthExceeds(deep(8_000_000), MAX_JSON_DEPTH)).toBe(true)
    expect(nestingDepthExceeds(`["${'['.repeat(8_000_000)}"]`, MAX_JSON_DEPTH)).toBe(false)
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('says plainly when the body is not JSON', () => {
    expect(parseJsonBody('{')).toEqual({ ok: false, message: 'The request body is not valid JSON.' })
  })
})
