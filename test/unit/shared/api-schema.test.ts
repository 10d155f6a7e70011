import { describe, expect, it } from 'vitest'
import { API_SCHEMAS, InvalidArgumentsError, validateArgs } from '../../../src/shared/api-schema'
import { API_CHANNELS } from '../../../src/shared/api'

describe('API argument validation', () => {
  it('has a schema for every channel and no stray schemas', () => {
    expect(Object.keys(API_SCHEMAS).sort()).toEqual([...API_CHANNELS].sort())
  })

  it('accepts well-formed arguments', () => {
    expect(validateArgs('images.label', [1, [2, 3], null])).toEqual([1, [2, 3], null])
    expect(validateArgs('imports.folder', [{ folder: '/tmp/x', dataset: 'birds' }])).toEqual([
      { folder: '/tmp/x', dataset: 'birds' },
    ])
  })

  it('rejects unknown channels, wrong types, extra keys and extra arguments with a readable message', () => {
    expect(() => validateArgs('system.exec', [])).toThrow(/no such API channel/)
    expect(() => validateArgs('constructor', [])).toThrow(InvalidArgumentsError)
    expect(() => validateArgs('images.label', ['1', [2], null])).toThrow(/argument 0/)
    expect(() => validateArgs('images.label', [1, [-2], null])).toThrow(/argument 1\.0/)
    expect(() => validateArgs('imports.folder', [{ folder: '/x', dataset: 'a', evil: true }])).toThrow(/evil/)
    expect(() => validateArgs('datasets.remove', [1, 2])).toThrow(InvalidArgumentsError)
    expect(() => validateArgs('datasets.create', ['   '])).toThrow(/argument 0/)
    expect(() => validateArgs('images.list', [{ datasetId: 1, limit: 1e9 }])).toThrow(/limit/)
  })
})
