/**
 * The one validation module: what a name, a duration, a count and an options object are. Every
 * check of the package (options, API arguments, baselines, the file reader) uses these, so they
 * cannot disagree about `''`, `-0` or `NaN`.
 */
import { InvalidArgumentError } from './errors.js'

/**
 * Longest operation name, in UTF-16 code units. Names are map keys, log fields and keys of the
 * baseline file; unbounded ones (a raw URL, a payload) made every save fail.
 */
export const MAX_NAME_LENGTH = 1024

/**
 * The largest duration perfwatch records or restores, in ms (about 31.7 years). Every statistic
 * of such values stays finite (squares of 1e12 summed over a million samples are 1e30) and every
 * centroid fits the float32 digest (up to 3.4e38), so whatever is recorded can be saved and
 * read back.
 */
export const MAX_DURATION_MS = 1e12

/** True for an operation name (or prefix): a non-empty string of at most 1,024 characters. */
export function isName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name.length <= MAX_NAME_LENGTH
}

/**
 * @throws InvalidArgumentError unless `name` is a non-empty string of at most 1,024 characters;
 * `argument` names it in the error (an operation prefix follows the same rule).
 */
export function checkName(name: unknown, argument = 'operation name'): asserts name is string {
  if (!isName(name)) {
    throw new InvalidArgumentError(
      argument,
      `a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
      name,
    )
  }
}

/** True for a duration perfwatch records: a number in `[0, MAX_DURATION_MS)` ms (NaN is not). */
export function isDuration(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value < MAX_DURATION_MS
}

/** True for a whole number in `[min, max]` that a double holds exactly. */
export function isCount(
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max
}

/** True for what may be options or metadata: an object that is not null and not an array. */
export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** @throws InvalidArgumentError unless `value` is an object (not null, not an array). */
export function checkObject(argument: string, value: unknown): asserts value is object {
  if (!isObject(value)) throw new InvalidArgumentError(argument, 'an object', value)
}
