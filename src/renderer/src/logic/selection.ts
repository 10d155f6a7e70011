/** Pure selection rules of the grid; the selection store applies them. */

export type ClickKind = 'single' | 'toggle' | 'range'

/** Shift extends a range; Ctrl (or Cmd on a Mac) toggles one image; a plain click selects one. */
export function clickKind(e: { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }): ClickKind {
  if (e.shiftKey) return 'range'
  if (e.ctrlKey || e.metaKey) return 'toggle'
  return 'single'
}

/** The inclusive index range between the anchor and the clicked index (the anchor defaults to it). */
export function rangeBetween(anchor: number | null, index: number): [number, number] {
  const from = anchor ?? index
  return from <= index ? [from, index] : [index, from]
}

export function toggled(ids: ReadonlySet<number>, id: number): Set<number> {
  const next = new Set(ids)
  if (next.has(id)) next.delete(id)
  else next.add(id)
  return next
}

export type Direction = 'left' | 'right' | 'up' | 'down'

/** The index an arrow key moves to in a grid of `columns`, clamped to the images there are. */
export function moveIndex(
  index: number | null,
  dir: Direction,
  columns: number,
  total: number,
): number | null {
  if (total === 0) return null
  if (index === null) return 0
  const step = dir === 'left' ? -1 : dir === 'right' ? 1 : dir === 'up' ? -columns : columns
  const next = index + step
  if (next < 0) return dir === 'up' ? index : 0
  if (next >= total) return dir === 'down' ? index : total - 1
  return next
}

/**
 * Where the selection goes after labelling the image at `index` (auto-advance). If the image
 * left the filter, the next one slid into its place; otherwise the next one is one further.
 * `total` is the filter's size after labelling. Null when nothing is left.
 */
export function advanceIndex(index: number, total: number, stayedInFilter: boolean): number | null {
  if (total === 0) return null
  const next = stayedInFilter ? index + 1 : index
  return Math.min(next, total - 1)
}
