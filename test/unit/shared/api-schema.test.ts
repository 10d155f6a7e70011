import { describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import {
  API_SCHEMAS,
  InvalidArgumentsError,
  validateArgs,
  type AssertNone,
  type SchemaMismatches,
} from '../../../src/shared/api-schema'
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

  it('refuses an argument after the last optional one (CSV base folder, export split)', () => {
    expect(validateArgs('datasets.applyCsv', [1, 'path,label', '/base'])).toEqual([1, 'path,label', '/base'])
    expect(() => validateArgs('datasets.applyCsv', [1, 'path,label', '/base', '/more'])).toThrow(
      InvalidArgumentsError,
    )
    expect(validateArgs('datasets.exportFolder', [1, '/out'])).toEqual([1, '/out'])
    expect(() => validateArgs('datasets.exportFolder', [1, '/out', 'train', 'test'])).toThrow(
      InvalidArgumentsError,
    )
  })

  it('refuses settings for runs.start that are not an object, before the service sees them', () => {
    expect(() => validateArgs('runs.start', [[1, 2]])).toThrow(/settings must be an object/)
    expect(() => validateArgs('runs.start', ['fast'])).toThrow(/settings must be an object/)
    expect(validateArgs('runs.start', [{ dataset: 1 }])).toEqual([{ dataset: 1 }])
  })
})

// Checked by the type check (tsc in npm test), not at run time: every schema gives its method's arguments.
describe('the schemas and the API agree at compile time', () => {
  it('finds no channel whose schema differs from its method', () => {
    expectTypeOf<SchemaMismatches<typeof API_SCHEMAS>>().toEqualTypeOf<never>()
  })

  it('names a channel whose schema takes extra arguments, and fails the type check', () => {
    // what exportFolder's schema was: an optional element as a rest, so any number of splits
    type Wrong = Omit<typeof API_SCHEMAS, 'datasets.exportFolder'> & {
      'datasets.exportFolder': z.ZodTuple<[z.ZodNumber, z.ZodString], z.ZodOptional<z.ZodString>>
    }
    expectTypeOf<SchemaMismatches<Wrong>>().toEqualTypeOf<'datasets.exportFolder'>()
    // @ts-expect-error the check must refuse it (tsc fails here if it ever stops catching mismatches)
    expectTypeOf<AssertNone<SchemaMismatches<Wrong>>>().toBeNever()
  })
})
