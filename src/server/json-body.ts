/**
 * Parsing an API body. JSON.parse and the schemas cope with any shape, but a body of millions of
 * nested brackets (32 MB allows 16 million) blocks the server for seconds and costs hundreds of MB
 * before validation can refuse it; no API argument nests deeper than a few levels.
 */
export const MAX_JSON_DEPTH = 32

export type ParsedBody = { ok: true; value: unknown } | { ok: false; message: string }

export function parseJsonBody(text: string, maxDepth = MAX_JSON_DEPTH): ParsedBody {
  if (!text.length) return { ok: true, value: [] }
  if (nestingDepthExceeds(text, maxDepth))
    return { ok: false, message: `The request nests arrays or objects deeper than ${maxDepth} levels.` }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false, message: 'The request body is not valid JSON.' }
  }
}

/** One pass over the text, ignoring brackets inside strings; stops at the first level too deep. */
export function nestingDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}
