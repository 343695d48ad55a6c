import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  API_ERROR_CODES,
  Baseline,
  BaselineFileError,
  ERROR_CODES,
  HistoryDriverError,
  HistoryFileError,
  InvalidArgumentError,
  InvalidDurationError,
  InvalidOptionError,
  NotEnoughSamplesError,
  operationPrefix,
  PerfwatchError,
  StageFileError,
  TrackerExistsError,
  timeOperation,
  UnknownOperationError,
  UnknownRouteError,
  UnknownRunError,
  UnknownStageError,
  UnknownTimerError,
  WARNING_CODES,
} from '../../src/index.js'

describe('error codes', () => {
  it('are each documented in docs/errors.md, and the doc names no other', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    const documented = [...new Set(doc.match(/PERFWATCH_[A-Z_]+/g))].sort()
    const codes = [
      ...Object.values(ERROR_CODES),
      ...Object.values(WARNING_CODES),
      ...Object.values(API_ERROR_CODES),
    ]
    expect(documented).toEqual(codes.sort())
  })
})

describe('error classes', () => {
  // Built inside the test (a factory per class): errors built in the describe body would make
  // every mutant of their constructors static (docs/testing.md, "Setup inside tests").
  const errors: Array<[string, () => Error & { code: string }]> = [
    ['UnknownTimerError', () => new UnknownTimerError('7')],
    ['UnknownOperationError', () => new UnknownOperationError('op')],
    ['NotEnoughSamplesError', () => new NotEnoughSamplesError('op', 3, 100)],
    ['BaselineFileError', () => new BaselineFileError('/tmp/x.json', 'unreadable')],
    ['TrackerExistsError', () => new TrackerExistsError()],
    ['InvalidOptionError', () => new InvalidOptionError('windowSize', 'an integer >= 1', 0)],
    ['InvalidArgumentError', () => new InvalidArgumentError('name', 'a string', 1)],
    ['InvalidDurationError', () => new InvalidDurationError('op', -1)],
    ['StageFileError', () => new StageFileError('/tmp/run', 'cannot be listed')],
    ['UnknownRunError', () => new UnknownRunError('r', [])],
    ['UnknownRouteError', () => new UnknownRouteError('GET /x')],
    ['HistoryFileError', () => new HistoryFileError('/tmp/h.db', 'is not an SQLite database')],
    ['HistoryDriverError', () => new HistoryDriverError(new Error('missing'))],
    ['UnknownStageError', () => new UnknownStageError('r', 's', ['t'])],
  ]

  it.each(errors)('%s is a PerfwatchError with a code, named after its class', (name, make) => {
    const error = make()
    expect(error.name).toBe(name)
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

describe('error messages', () => {
  it('say what was wrong and what to do, as docs/errors.md shows them', () => {
    expect(new UnknownTimerError('7').message).toBe(
      'No active timer "7": it was never started, already ended, or evicted because too many ' +
        'timers were open (see maxOpenTimers)',
    )
    expect(new UnknownOperationError('op').message).toBe(
      'No operation "op": it has no samples and no baseline in this tracker',
    )
    expect(new NotEnoughSamplesError('op', 3, 100).message).toBe(
      '"op" has 3 successful samples in its window and a baseline needs 100 (baselineSamples): ' +
        'record more calls, then accept again',
    )
    expect(new BaselineFileError('/tmp/x.json', 'unreadable').message).toBe(
      '/tmp/x.json: unreadable',
    )
    expect(new TrackerExistsError().message).toBe(
      'The default tracker already exists, so these options would be ignored: pass options to ' +
        'the first getPerformanceTracker() call, before any @timeOperation method runs, or ' +
        'create your own `new PerformanceTracker(options)` and pass it to the decorator as ' +
        '{ tracker }',
    )
    expect(new InvalidDurationError('op', -1).message).toBe(
      'durationMs for "op" must be a number in [0, 1e12) (milliseconds), got -1; nothing was ' +
        'recorded',
    )
    expect(new InvalidArgumentError('@timeOperation decorates class methods only').message).toBe(
      '@timeOperation decorates class methods only',
    )
    expect(new StageFileError('/tmp/run', 'cannot be listed').message).toBe(
      '/tmp/run: cannot be listed',
    )
    expect(new UnknownStageError('r', 's', ['parse', 'embed']).message).toBe(
      'Run "r" has no metrics of stage "s"; its stages are "parse", "embed"',
    )
  })

  it('name the runs there are for an unknown run, the newest 5 and how many more', () => {
    const message = (runId: string, knownRuns: string[]) =>
      new UnknownRunError(runId, knownRuns).message
    expect(message('r', [])).toBe('No stage metrics for run "r": there are no runs yet')
    expect(message('b', ['a', 'b'])).toBe(
      'No stage metrics for run "b": its folder has no readable metric file (each file skipped ' +
        'was logged with PERFWATCH_STAGE_FILE)',
    )
    expect(message('r', ['e', 'd', 'c', 'b', 'a'])).toBe(
      'No stage metrics for run "r": runs with metrics, newest first: "e", "d", "c", "b", "a"',
    )
    expect(message('r', ['g', 'f', 'e', 'd', 'c', 'b', 'a'])).toBe(
      'No stage metrics for run "r": runs with metrics, newest first: "g", "f", "e", "d", "c", ' +
        'and 2 more',
    )
  })

  it('are named after their class, for stack traces and logs', () => {
    expect(new InvalidOptionError('windowSize', 'an integer >= 1', 0).name).toBe(
      'InvalidOptionError',
    )
    expect(new InvalidArgumentError('x').name).toBe('InvalidArgumentError')
    expect(new InvalidDurationError('op', -1).name).toBe('InvalidDurationError')
    expect(new UnknownTimerError('7').name).toBe('UnknownTimerError')
  })

  it('describe the wrong value without repeating a huge one', () => {
    const got = (value: unknown) => new InvalidArgumentError('name', 'a string', value).message
    expect(got('x'.repeat(80))).toBe(`name must be a string, got "${'x'.repeat(80)}"`)
    expect(got(`${'a'.repeat(40)}${'b'.repeat(41)}`)).toBe(
      `name must be a string, got "${'a'.repeat(40)}"… (81 characters)`,
    )
    expect(got(() => 1)).toBe('name must be a string, got a function')
    expect(got(null)).toBe('name must be a string, got null')
    expect(got(undefined)).toBe('name must be a string, got undefined')
    expect(got(12.5)).toBe('name must be a string, got 12.5')
    expect(got(Symbol('s'))).toBe('name must be a string, got Symbol(s)')
    expect(got([1])).toBe('name must be a string, got an array')
    expect(got({ a: 1 })).toBe('name must be a string, got an object')
    expect(new InvalidOptionError('windowSize', 'an integer >= 1', '10').message).toBe(
      'windowSize must be an integer >= 1, got "10"',
    )
  })

  it('are recognised from another copy of perfwatch by their shared mark', () => {
    // What a second copy of the package (another version in node_modules) puts on its errors.
    const foreign = Object.defineProperty(new Error('x'), Symbol.for('perfwatch.error'), {
      value: true,
    })
    expect(foreign).toBeInstanceOf(PerfwatchError)
    expect(undefined).not.toBeInstanceOf(PerfwatchError)
    expect('PERFWATCH_UNKNOWN_TIMER').not.toBeInstanceOf(PerfwatchError)
  })
})
