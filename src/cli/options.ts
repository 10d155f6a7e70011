import { InvalidArgumentError } from 'commander'

/**
 * The one parser for every whole-number option: plain decimal digits only, within [min, max]. `Number()`
 * alone reads `1e3` as 1000, `0x10` as 16 and `''` as 0, which once started a 1000-epoch run from a typo.
 * Used as a commander argument parser, so a bad value is a usage mistake (exit code 2) before any work starts.
 */
export function wholeNumber(min: number, max: number): (text: string) => number {
  return (text: string): number => {
    // 16 digits is past every range here and short of Number's precision, so Number() below is exact
    const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : Number.NaN
    if (!(value >= min && value <= max)) {
      throw new InvalidArgumentError(
        `Expected a whole number from ${min} to ${max}, written in plain digits.`,
      )
    }
    return value
  }
}

/** A comma-separated list of whole numbers, each checked like wholeNumber. */
export function wholeNumbers(min: number, max: number): (text: string) => number[] {
  const one = wholeNumber(min, max)
  return (text: string): number[] => text.split(',').map((s) => one(s.trim()))
}

/** Ids of datasets, runs and images: positive whole numbers (SQLite rowids stay far below this bound). */
export const anId = wholeNumber(1, Number.MAX_SAFE_INTEGER)
