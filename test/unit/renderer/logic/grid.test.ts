import { describe, expect, it } from 'vitest'
import { columnsFor, pagesFor, rowCount } from '../../../../src/renderer/src/logic/grid'

describe('grid arithmetic', () => {
  it('fits columns, rows and pages', () => {
    expect(columnsFor(1000, 132)).toBe(7)
    expect(columnsFor(50, 132)).toBe(1)
    expect(rowCount(50_000, 7)).toBe(7143)
    expect(pagesFor(0, 0, 120)).toEqual([0])
    expect(pagesFor(119, 241, 120)).toEqual([0, 1, 2])
    expect(pagesFor(5, 4, 120)).toEqual([])
  })
})
