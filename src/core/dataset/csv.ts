import { parse } from 'csv-parse/sync'
import { stringify } from 'csv-stringify/sync'
import { isAbsolute, resolve } from 'node:path'
import { guardFormula, unguardFormula } from '../../shared/spreadsheet-cell'
import type { CsvApplyResult, Split } from '../../shared/types'
import type { Db } from '../store/db'
import { requireDataset } from '../store/datasets'
import { StoreError } from '../store/errors'
import type { ImageChange } from '../store/history'
import { listImageEntries, listImageStates } from '../store/image-lists'
import { ensureLabel } from '../store/labels'
import { cleanName, nameKey } from '../store/names'
import { applyChanges } from './labelling'

export type { CsvApplyResult }

export const CSV_COLUMNS = ['path', 'label', 'split'] as const
/** Larger CSVs are refused unread: 100 000 images at ~200 characters a row are 20 MB. */
export const MAX_CSV_BYTES = 32 * 1024 * 1024
type Column = (typeof CSV_COLUMNS)[number]

export interface CsvApplyOptions {
  /** folder that relative paths in the CSV are relative to */
  baseDir?: string
}

// Spellings people (and other tools) use for the splits; 'unassigned' clears a manual split.
const SPLIT_NAMES: Record<string, Split> = {
  train: 'train',
  training: 'train',
  validation: 'validation',
  val: 'validation',
  valid: 'validation',
  test: 'test',
  testing: 'test',
  unassigned: 'unassigned',
}

/** Every image of the dataset as `path,label,split` (unlabelled → empty label), by id. */
export function exportCsv(db: Db, datasetId: number): string {
  requireDataset(db, datasetId)
  const rows = listImageEntries(db, datasetId)
  return stringify(
    // a label such as "=HYPERLINK(…)" must stay text when the file is opened in a spreadsheet
    rows.map((r) => [r.path, r.label ?? '', r.split].map(guardFormula)),
    { header: true, columns: [...CSV_COLUMNS], record_delimiter: 'unix' },
  )
}

interface RowError {
  line: number
  message: string
}

interface ParsedRow {
  line: number
  path: string
  /** undefined: the CSV has no label column; null: unlabel */
  label?: string | null
  /** undefined: leave the split as it is */
  split?: Split
}

/**
 * Sets labels (creating missing ones) and splits from a CSV with a header naming its columns
 * (`path` plus `label` and/or `split`), matching images by source path. A named split is locked
 * (a manual override); `unassigned` clears the override; an empty split cell leaves the split
 * alone; an empty label cell unlabels. Good rows are applied in one transaction as one undoable
 * action; bad rows are listed in `errors` by line.
 */
export function applyCsv(
  db: Db,
  datasetId: number,
  text: string,
  opts: CsvApplyOptions = {},
): CsvApplyResult {
  requireDataset(db, datasetId)
  const errors: RowError[] = []
  const rows = parseRows(text, opts.baseDir, errors)
  return db
    .transaction((): CsvApplyResult => {
      const images = new Map(listImageStates(db, datasetId).map((r) => [r.source_path, r]))
      // one lookup per distinct label, not per row (a CSV may have 50k rows and 10 labels)
      const labelIds = new Map<string, number>()
      const labelId = (name: string): number => {
        const key = nameKey(name)
        let id = labelIds.get(key)
        if (id === undefined) labelIds.set(key, (id = ensureLabel(db, datasetId, name).id))
        return id
      }
      const unknownPaths: string[] = []
      const seen = new Map<number, number>()
      const changes: ImageChange[] = []
      let applied = 0
      for (const row of rows) {
        const image = images.get(row.path)
        if (!image) {
          unknownPaths.push(row.path)
          continue
        }
        const earlier = seen.get(image.id)
        if (earlier !== undefined) {
          errors.push({
            line: row.line,
            message: `the same image is already on line ${earlier}; this row was ignored.`,
          })
          continue
        }
        seen.set(image.id, row.line)
        applied++
        const change: ImageChange = { imageId: image.id }
        if (row.label !== undefined) {
          const to = row.label === null ? null : labelId(row.label)
          if (to !== image.label_id) change.label = { from: image.label_id, to }
        }
        if (row.split !== undefined) {
          const lockedTo = row.split !== 'unassigned'
          if (row.split !== image.split || lockedTo !== (image.split_locked === 1)) {
            change.split = {
              from: image.split,
              to: row.split,
              lockedFrom: image.split_locked === 1,
              lockedTo,
            }
          }
        }
        if (change.label || change.split) changes.push(change)
      }
      const changed = applyChanges(
        db,
        datasetId,
        `Apply a CSV to ${changes.length} image${changes.length === 1 ? '' : 's'}`,
        changes,
      )
      return {
        applied,
        changed,
        unknownPaths,
        errors: errors.sort((a, b) => a.line - b.line).map((e) => `Line ${e.line}: ${e.message}`),
      }
    })
    .immediate()
}

/** The CSV's rows, checked cell by cell; rejected rows go to `errors`. Unreadable CSV throws. */
function parseRows(text: string, baseDir: string | undefined, errors: RowError[]): ParsedRow[] {
  let records: { record: string[]; info: { lines: number } }[]
  try {
    records = parse(text, {
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as {
      record: string[]
      info: { lines: number }
    }[]
  } catch (err) {
    throw new StoreError(`The CSV cannot be read: ${(err as Error).message}.`, 'invalid')
  }
  const header = records.shift()?.record.map((c) => c.trim().toLowerCase()) ?? []
  const columns = checkHeader(header)
  const rows: ParsedRow[] = []
  for (const { record, info } of records) {
    // info.lines is where the record ends; quoted newlines inside it push that down
    const line = info.lines - record.reduce((n, cell) => n + cell.split('\n').length - 1, 0)
    if (record.length !== columns.length) {
      errors.push({
        line,
        message: `expected ${columns.length} columns (${columns.join(',')}) but found ${record.length}; put values containing commas in double quotes.`,
      })
      continue
    }
    const cell = (c: Column): string | undefined => {
      const i = columns.indexOf(c)
      return i < 0 ? undefined : unguardFormula(record[i]!)
    }
    try {
      rows.push({
        line,
        path: rowPath(cell('path')!, baseDir),
        ...rowLabel(cell('label')),
        ...rowSplit(cell('split')),
      })
    } catch (err) {
      if (!(err instanceof StoreError)) throw err
      errors.push({ line, message: err.message })
    }
  }
  return rows
}

function checkHeader(header: string[]): Column[] {
  if (!header.includes('path')) {
    throw new StoreError(
      `The CSV needs a header row naming its columns, with at least 'path' and one of 'label' or 'split' (e.g. path,label,split).`,
      'invalid',
    )
  }
  for (const name of header) {
    if (!(CSV_COLUMNS as readonly string[]).includes(name)) {
      throw new StoreError(
        `Unknown CSV column '${name}'; the columns are ${CSV_COLUMNS.join(', ')}.`,
        'invalid',
      )
    }
    if (header.indexOf(name) !== header.lastIndexOf(name)) {
      throw new StoreError(`The CSV header names the column '${name}' twice.`, 'invalid')
    }
  }
  if (header.length < 2) {
    throw new StoreError(
      `The CSV has only a 'path' column; add a 'label' or 'split' column to apply.`,
      'invalid',
    )
  }
  return header as Column[]
}

function rowPath(raw: string, baseDir: string | undefined): string {
  const path = raw.trim()
  if (path === '') throw new StoreError('the path is empty.', 'invalid')
  if (isAbsolute(path)) return resolve(path)
  if (baseDir === undefined) {
    throw new StoreError(`'${path}' is a relative path; give the folder it is relative to.`, 'invalid')
  }
  return resolve(baseDir, path)
}

function rowLabel(raw: string | undefined): Pick<ParsedRow, 'label'> {
  if (raw === undefined) return {}
  if (raw.trim() === '') return { label: null }
  return { label: cleanName('label', raw) }
}

function rowSplit(raw: string | undefined): Pick<ParsedRow, 'split'> {
  const name = raw?.trim().toLowerCase()
  if (name === undefined || name === '') return {}
  const split = SPLIT_NAMES[name]
  if (!split) {
    throw new StoreError(
      `unknown split '${raw!.trim()}'; use train, validation, test or unassigned.`,
      'invalid',
    )
  }
  return { split }
}
