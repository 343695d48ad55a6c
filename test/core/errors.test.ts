import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  Baseline,
  BaselineFileError,
  ERROR_CODES,
  InvalidArgumentError,
  InvalidDurationError,
  InvalidOptionError,
  NotEnoughSamplesError,
  operationPrefix,
  PerfwatchError,
  TrackerExistsError,
  timeOperation,
  UnknownOperationError,
  UnknownTimerError,
  WARNING_CODES,
} from '../../src/index.js'

describe('error codes', () => {
  it('are each documented in docs/errors.md, and the doc names no other', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    const documented = [...new Set(doc.match(/PERFWATCH_[A-Z_]+/g))].sort()
    const codes = [...Object.values(ERROR_CODES), ...Object.values(WARNING_CODES)]
    expect(documented).toEqual(codes.sort())
  })
})

describe('error classes', () => {
  const errors = [
    new UnknownTimerError('7'),
    new UnknownOperationError('op'),
    new NotEnoughSamplesError('op', 3, 100),
    new BaselineFileError('/tmp/x.json', 'unreadable'),
    new TrackerExistsError(),
    new InvalidOptionError('windowSize', 'an integer >= 1', 0),
    new InvalidArgumentError('name', 'a string', 1),
    new InvalidDurationError('op', -1),
  ]

  it.each(errors.map((e) => [e.name, e]))('%s is a PerfwatchError with a code', (_, error) => {
    expect(error).toBeInstanceOf(PerfwatchError)
    expect(error).toBeInstanceOf(Error)
    expect(Object.values(ERROR_CODES)).toContain(error.code)
  })

  it('keeps the built-in parents and the ordinary subclass checks', () => {
    expect(new InvalidOptionError('windowSize', 'an integer >= 1', 0)).toBeInstanceOf(RangeError)
    expect(new InvalidDurationError('op', -1)).toBeInstanceOf(RangeError)
    expect(new InvalidArgumentError('name', 'a string', 1)).toBeInstanceOf(TypeError)
    expect(new UnknownOperationError('op')).not.toBeInstanceOf(UnknownTimerError)
    expect(new InvalidArgumentError('name', 'a string', 1)).not.toBeInstanceOf(InvalidOptionError)
  })

  it('says no for errors that are not perfwatch errors', () => {
    expect(new RangeError('x')).not.toBeInstanceOf(PerfwatchError)
    expect(Object.assign(new Error('x'), { code: 'PERFWATCH_UNKNOWN_TIMER' })).not.toBeInstanceOf(
      PerfwatchError,
    )
    expect(null).not.toBeInstanceOf(PerfwatchError)
  })
})

describe('misuse of the API outside the tracker', () => {
  it('is an InvalidArgumentError (a TypeError) with its code', () => {
    const misuses = [
      () => Baseline.fromSamples('op', Float64Array.of(1)),
      () => Baseline.fromSamples('op', Float64Array.of(1, Number.NaN)),
      () => Baseline.merge([]),
      () => Baseline.fromJSON('not a baseline'),
      // decorators applied by hand to what they cannot decorate, as plain JavaScript could
      () => (operationPrefix('billing') as (...args: unknown[]) => unknown)({}),
      () => (timeOperation() as (...args: unknown[]) => unknown)(class {}, 'x', undefined),
    ]
    for (const misuse of misuses) {
      expect(misuse).toThrow(InvalidArgumentError)
      expect(misuse).toThrow(expect.objectContaining({ code: 'PERFWATCH_INVALID_ARGUMENT' }))
    }
  })
})
