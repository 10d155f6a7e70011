/**
 * A request the store refuses, with a sentence meant for the person who made it.
 * `code` lets shells map it (e.g. 'not-found' → HTTP 404) without parsing the message.
 */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: 'not-found' | 'duplicate' | 'invalid',
  ) {
    super(message)
    this.name = 'StoreError'
  }
}
