import type { Direction } from './selection'

/** What a key press means in the dataset view. */
export type KeyAction =
  | { kind: 'label'; position: number }
  | { kind: 'unlabel' }
  | { kind: 'palette' }
  | { kind: 'move'; dir: Direction }
  | { kind: 'preview' }
  | { kind: 'close' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'selectAll' }
  | { kind: 'accept' }

export interface KeyLike {
  key: string
  shiftKey: boolean
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
}

const ARROWS: Record<string, Direction> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
}

/** Maps a key press to an action; null leaves the key to the browser. */
export function keyAction(e: KeyLike): KeyAction | null {
  const mod = e.ctrlKey || e.metaKey
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key
  if (mod && !e.altKey) {
    if (key === 'z') return e.shiftKey ? { kind: 'redo' } : { kind: 'undo' }
    if (key === 'y') return { kind: 'redo' }
    if (key === 'a') return { kind: 'selectAll' }
    return null
  }
  if (e.altKey) return null
  if (/^[1-9]$/.test(key)) return { kind: 'label', position: Number(key) }
  if (key === '0' || key === 'Backspace' || key === 'Delete') return { kind: 'unlabel' }
  if (key === 'l' || key === '/') return { kind: 'palette' }
  if (key === ' ') return { kind: 'preview' }
  // Enter takes the group's suggestion; a number key still gives any other label
  if (key === 'Enter') return { kind: 'accept' }
  if (key === 'Escape') return { kind: 'close' }
  const dir = ARROWS[key]
  return dir ? { kind: 'move', dir } : null
}

/** Keys typed into a text field belong to the field. */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el || typeof el.tagName !== 'string') return false
  return (
    el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable
  )
}
