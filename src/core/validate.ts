import { InvalidArgumentError } from './errors.js'

/**
 * Longest operation name, in UTF-16 code units. Names are map keys, log fields and keys of the
 * baseline file; unbounded ones (a raw URL, a payload) made every save fail.
 */
export const MAX_NAME_LENGTH = 1024

/**
 * @throws InvalidArgumentError unless `name` is a non-empty string of at most 1,024 characters;
 * `argument` names it in the error (an operation prefix follows the same rule).
 */
export function checkName(name: unknown, argument = 'operation name'): asserts name is string {
  if (typeof name !== 'string' || name === '' || name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(
      argument,
      `a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
      name,
    )
  }
}

/** True for what may be options or metadata: an object that is not null and not an array. */
export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** @throws InvalidArgumentError unless `value` is an object (not null, not an array). */
export function checkObject(argument: string, value: unknown): asserts value is object {
  if (!isObject(value)) throw new InvalidArgumentError(argument, 'an object', value)
}
