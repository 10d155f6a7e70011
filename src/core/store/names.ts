import { StoreError } from './errors'

export const MAX_NAME_LENGTH = 100

// Control characters (tabs, newlines, NUL...) break CSV rows, folder names and terminal output.
const CONTROL = /\p{Cc}/u

/** Trimmed, NFC-normalised name, or a StoreError saying why `raw` cannot name a `kind`. */
export function cleanName(kind: 'dataset' | 'label', raw: string): string {
  if (typeof raw !== 'string') throw new StoreError(`A ${kind} name must be text.`, 'invalid')
  const name = raw.normalize('NFC').trim()
  if (name === '') throw new StoreError(`A ${kind} name cannot be empty.`, 'invalid')
  if (CONTROL.test(name)) {
    throw new StoreError(
      `The ${kind} name ${JSON.stringify(name)} contains a control character (tab, newline...); use plain text.`,
      'invalid',
    )
  }
  if ([...name].length > MAX_NAME_LENGTH) {
    throw new StoreError(
      `The ${kind} name '${name.slice(0, 30)}…' is ${[...name].length} characters long; the limit is ${MAX_NAME_LENGTH}.`,
      'invalid',
    )
  }
  return name
}

/** Key under which two names count as the same (case-insensitive, also for non-Latin scripts). */
export function nameKey(name: string): string {
  return name.normalize('NFC').trim().toLowerCase()
}
