import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/core/errors.js'
import {
  checkName,
  checkObject,
  isCount,
  isDuration,
  isName,
  MAX_DURATION_MS,
  MAX_NAME_LENGTH,
} from '../../src/core/validate.js'

describe('the one validation module', () => {
  it('takes a name of 1 to 1,024 characters, nothing else', () => {
    expect(isName('a')).toBe(true)
    expect(isName('x'.repeat(MAX_NAME_LENGTH))).toBe(true)
    expect(isName('x'.repeat(MAX_NAME_LENGTH + 1))).toBe(false)
    expect(isName('')).toBe(false)
    expect(isName(1)).toBe(false)
    expect(() => checkName('', 'operation prefix')).toThrow(
      new InvalidArgumentError(
        'operation prefix',
        'a non-empty string of at most 1024 characters',
        '',
      ),
    )
  })

  it('takes a duration in [0, MAX_DURATION_MS), -0 included, NaN and strings not', () => {
    expect(isDuration(0)).toBe(true)
    expect(isDuration(-0)).toBe(true)
    expect(isDuration(MAX_DURATION_MS - 1)).toBe(true)
    expect(isDuration(MAX_DURATION_MS)).toBe(false)
    expect(isDuration(-Number.MIN_VALUE)).toBe(false)
    expect(isDuration(Number.NaN)).toBe(false)
    expect(isDuration('5')).toBe(false)
  })

  it('takes a count that is a safe integer within both bounds', () => {
    expect(isCount(2, 2)).toBe(true)
    expect(isCount(1, 2)).toBe(false)
    expect(isCount(5, 0, 5)).toBe(true)
    expect(isCount(6, 0, 5)).toBe(false)
    expect(isCount(2.5, 0)).toBe(false)
    expect(isCount(2 ** 53, 0)).toBe(false)
    expect(isCount('2', 0)).toBe(false)
  })

  it('takes options or metadata that are objects, not null or arrays', () => {
    expect(() => checkObject('metadata', { a: 1 })).not.toThrow()
    for (const [value, got] of [
      [null, 'null'],
      [[1], 'an array'],
      ['x', '"x"'],
    ] as const) {
      expect(() => checkObject('metadata', value)).toThrow(
        new InvalidArgumentError(`metadata must be an object, got ${got}`),
      )
    }
  })
})
