import { describe, expect, it } from 'vitest'
import { isTyping, keyAction, type KeyLike } from '../../../../src/renderer/src/logic/keys'

const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({
  key: k,
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
})

describe('key mapping', () => {
  it('maps digits to label positions and 0/Backspace to unlabel', () => {
    expect(keyAction(key('1'))).toEqual({ kind: 'label', position: 1 })
    expect(keyAction(key('9'))).toEqual({ kind: 'label', position: 9 })
    expect(keyAction(key('0'))).toEqual({ kind: 'unlabel' })
    expect(keyAction(key('Backspace'))).toEqual({ kind: 'unlabel' })
  })

  it('maps undo, redo and select all on Ctrl and Cmd', () => {
    expect(keyAction(key('z', { ctrlKey: true }))).toEqual({ kind: 'undo' })
    expect(keyAction(key('z', { metaKey: true }))).toEqual({ kind: 'undo' })
    expect(keyAction(key('Z', { ctrlKey: true, shiftKey: true }))).toEqual({ kind: 'redo' })
    expect(keyAction(key('y', { ctrlKey: true }))).toEqual({ kind: 'redo' })
    expect(keyAction(key('a', { metaKey: true }))).toEqual({ kind: 'selectAll' })
    expect(keyAction(key('1', { ctrlKey: true }))).toBeNull() // Ctrl+1 stays the browser's
  })

  it('maps the palette, preview, arrows and Escape, and leaves other keys alone', () => {
    expect(keyAction(key('l'))).toEqual({ kind: 'palette' })
    expect(keyAction(key('L', { shiftKey: true }))).toEqual({ kind: 'palette' })
    expect(keyAction(key('/'))).toEqual({ kind: 'palette' })
    expect(keyAction(key(' '))).toEqual({ kind: 'preview' })
    expect(keyAction(key('Enter'))).toEqual({ kind: 'accept' })
    expect(keyAction(key('ArrowUp'))).toEqual({ kind: 'move', dir: 'up' })
    expect(keyAction(key('Escape'))).toEqual({ kind: 'close' })
    expect(keyAction(key('x'))).toBeNull()
    expect(keyAction(key('1', { altKey: true }))).toBeNull()
  })

  it('knows when keys belong to a text field', () => {
    expect(isTyping({ tagName: 'INPUT', isContentEditable: false } as unknown as EventTarget)).toBe(true)
    expect(isTyping({ tagName: 'DIV', isContentEditable: false } as unknown as EventTarget)).toBe(false)
    expect(isTyping(null)).toBe(false)
  })
})
