import { InvalidArgumentError } from 'commander'
import { describe, expect, it } from 'vitest'
import { wholeNumber, wholeNumbers } from '../../../src/cli/options'

describe('whole-number options', () => {
  const epochs = wholeNumber(1, 1000)

  it('accepts plain decimal digits within the range', () => {
    expect(epochs('1')).toBe(1)
    expect(epochs('1000')).toBe(1000)
    expect(epochs('007')).toBe(7)
    expect(wholeNumbers(0, 10)('0, 3,10')).toEqual([0, 3, 10])
  })

  it.each([
    '1e3',
    '0x10',
    '0b11',
    '0o7',
    '-1',
    '+5',
    '1.0',
    '1.5',
    ' 5',
    '5 ',
    '',
    'Infinity',
    'NaN',
    '1_000',
    '٣',
    '１',
  ])('refuses %j as a usage mistake', (text) => {
    expect(() => epochs(text)).toThrow(InvalidArgumentError)
    expect(() => epochs(text)).toThrow('Expected a whole number from 1 to 1000, written in plain digits.')
  })

  it('refuses numbers out of range, however many digits', () => {
    for (const text of ['0', '1001', '99999999999', '9'.repeat(400)])
      expect(() => epochs(text)).toThrow(InvalidArgumentError)
    expect(() => wholeNumbers(0, 10)('1,11')).toThrow(InvalidArgumentError)
  })
})
