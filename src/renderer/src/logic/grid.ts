/** Thumbnail cell size in the grid, in CSS pixels (image plus caption). */
export const CELL_WIDTH = 132
export const CELL_HEIGHT = 156

/** How many columns fit in `width` pixels: at least one. */
export function columnsFor(width: number, cell = CELL_WIDTH): number {
  return Math.max(1, Math.floor(width / cell))
}

/** The page numbers holding the images from index `from` to `to` (inclusive). */
export function pagesFor(from: number, to: number, pageSize: number): number[] {
  const pages: number[] = []
  if (to < from) return pages
  for (let p = Math.floor(from / pageSize); p <= Math.floor(to / pageSize); p++) pages.push(p)
  return pages
}

/** The number of rows of pixels a virtual row occupies. */
export function rowCount(total: number, columns: number): number {
  return Math.ceil(total / columns)
}
