/**
 * The renderer's client for the one Cohort API. In the desktop app calls go through the
 * preload bridge (`window.cohort`); results come back as envelopes and errors become ApiError
 * with the service's human message.
 */
import type { ApiArgs, ApiChannel, ApiEventName, ApiEvents, ApiResult, Envelope } from '../../shared/api'

export interface Bridge {
  call(channel: string, args: unknown[]): Promise<Envelope>
  on(event: string, listener: (payload: unknown) => void): () => void
  pickFolder?(): Promise<string | null>
  /** the desktop app only: where a dropped or picked file lives ('' when it has no file) */
  pathForFile?(file: File): string
  /** web mode only: the address of a picture (it carries the tab's token) */
  imageUrl?(imageId: number, variant: 'thumb' | 'full'): string
}

declare global {
  interface Window {
    cohort?: Bridge
  }
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

let bridge: Bridge | undefined

/** Tests and web mode supply their own bridge; the desktop app uses the preload's. */
export function useBridge(b: Bridge): void {
  bridge = b
}

function current(): Bridge {
  const b = bridge ?? window.cohort
  if (!b) throw new ApiError('Cohort is not connected to its library.', 'Disconnected')
  return b
}

export async function call<C extends ApiChannel>(channel: C, ...args: ApiArgs<C>): Promise<ApiResult<C>> {
  const envelope = await current().call(channel, args)
  if (!envelope.ok) throw new ApiError(envelope.error.message, envelope.error.name)
  return envelope.value as ApiResult<C>
}

export function on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
  return current().on(event, listener as (payload: unknown) => void)
}

export function canPickFolder(): boolean {
  return typeof current().pickFolder === 'function'
}

/** Whether a dropped folder's path can be known: the desktop app only (a browser never reveals it). */
export function canDropFolders(): boolean {
  return typeof current().pathForFile === 'function'
}

export async function pickFolder(): Promise<string | null> {
  return (await current().pickFolder?.()) ?? null
}

/** The file path of a dropped or picked file in the desktop app; null in a browser (send its bytes). */
export function filePath(file: File): string | null {
  return current().pathForFile?.(file) || null
}

/** Images are named by id only; the shell resolves ids the store knows. */
export function imageUrl(imageId: number, variant: 'thumb' | 'full' = 'thumb'): string {
  if (window.cohort) return `cohort-image://image/${imageId}/${variant}`
  return bridge?.imageUrl?.(imageId, variant) ?? `/image/${imageId}/${variant}`
}
