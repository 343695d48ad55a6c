import { describe, expect, it } from 'vitest'
import { defaultClock } from '../src/core/clock.js'
import { DEFAULTS } from '../src/core/defaults.js'
import { InvalidOptionError, PerformanceTracker } from '../src/index.js'
import { resolveOptions, type TrackerOptions } from '../src/options.js'
import { manualClock } from './helpers/clock.js'
import { logSink } from './helpers/log-sink.js'

// Ranges, defaults and messages as docs/api.md ("new PerformanceTracker(options?)") and
// docs/errors.md (PERFWATCH_INVALID_OPTION) give them.

/** `resolveOptions` with a test logger (without one it makes a pino logger on stdout). */
function resolve(options: Record<string, unknown> = {}) {
  return resolveOptions({ logger: logSink().logger, ...options } as TrackerOptions)
}

/** The InvalidOptionError that resolving `options` throws. */
function optionError(options: unknown): InvalidOptionError {
  try {
    resolveOptions(options as TrackerOptions)
  } catch (error) {
    if (error instanceof InvalidOptionError) return error
    throw error
  }
  throw new Error(`no error for ${String(options)}`)
}

/** The message of the InvalidOptionError that `options` (with a test logger) throws. */
function messageOf(options: Record<string, unknown>): string {
  return optionError({ logger: logSink().logger, ...options }).message
}

describe('defaults', () => {
  it('resolves every option to its documented default', () => {
    const { logger } = logSink()
    expect(resolveOptions({ logger })).toEqual({
      windowSize: 1000,
      baselineSamples: 100,
      storagePath: 'baselines/perfwatch.json',
      logger,
      stdDevThreshold: 2,
      enabled: true,
      clock: defaultClock,
      maxOpenTimers: 10_000,
      maxOperations: 2000,
      saveDelayMs: 1000,
      warningIntervalMs: 10_000,
      detectionSamples: 1000,
      baselinePolicy: 'frozen',
      refreshSamples: 10_000,
      maxBaselineChange: 0.1,
      detectionToleranceMs: 0.1,
      minLearningMs: 5000,
      recoveryHoldMs: 10_000,
      idleAfterMs: 60_000,
      watchProcess: true,
      maxFileBytes: 64 * 1024 * 1024,
      thresholds: {},
    })
  })

  it('makes a logger with info, warn and error when none is given', () => {
    const { logger } = resolveOptions()
    expect(typeof logger.info).toBe('function')
    expect(typeof logger.warn).toBe('function')
    expect(typeof logger.error).toBe('function')
  })

  it('takes undefined as the default and null as a value', () => {
    expect(resolve({ windowSize: undefined, enabled: undefined })).toMatchObject({
      windowSize: 1000,
      enabled: true,
    })
    expect(resolve({ storagePath: null }).storagePath).toBeNull()
    expect(messageOf({ windowSize: null })).toBe('windowSize must be an integer >= 2, got null')
  })

  it('watches the process by default only with the default clock', () => {
    expect(resolve({}).watchProcess).toBe(true)
    expect(resolve({ clock: defaultClock }).watchProcess).toBe(true)
    expect(resolve({ clock: manualClock() }).watchProcess).toBe(false)
    expect(resolve({ clock: manualClock(), watchProcess: true }).watchProcess).toBe(true)
    expect(resolve({ watchProcess: false }).watchProcess).toBe(false)
  })

  it('defaults refreshSamples to 10,000 or windowSize if larger, and never below windowSize', () => {
    expect(resolve({ windowSize: 10_000 }).refreshSamples).toBe(10_000)
    expect(resolve({ windowSize: 20_000 }).refreshSamples).toBe(20_000)
    expect(resolve({ windowSize: 20_000, refreshSamples: 20_000 }).refreshSamples).toBe(20_000)
    expect(messageOf({ windowSize: 20_000, refreshSamples: 19_999 })).toBe(
      'refreshSamples must be an integer >= 20000, got 19999',
    )
    expect(messageOf({ refreshSamples: 999 })).toBe(
      'refreshSamples must be an integer >= 1000, got 999',
    )
  })
})

describe('integer options', () => {
  // [option, lowest, highest, options that make both ends reachable]
  it.each<[string, number, number, Record<string, unknown>]>([
    ['baselineSamples', 2, 1_000_000, { windowSize: 1_000_000 }],
    ['maxOpenTimers', 1, 2 ** 20, {}],
    ['maxOperations', 1, 100_000, {}],
    ['saveDelayMs', 0, 3_600_000, {}],
    ['warningIntervalMs', 0, 86_400_000, {}],
    ['detectionSamples', 500, 100_000, {}],
    ['refreshSamples', 2, 1_000_000_000, { windowSize: 2, baselineSamples: 2 }],
    ['minLearningMs', 0, 86_400_000, {}],
    ['recoveryHoldMs', 0, 86_400_000, {}],
    ['idleAfterMs', 1, 86_400_000, {}],
    ['maxFileBytes', 1024, 2 ** 31 - 1, {}],
  ])(
    '%s takes the integers from %d to %d, and names both ends in its errors',
    (name, lowest, highest, base) => {
      expect(resolve({ ...base, [name]: lowest })).toMatchObject({ [name]: lowest })
      expect(resolve({ ...base, [name]: highest })).toMatchObject({ [name]: highest })
      expect(messageOf({ ...base, [name]: lowest - 1 })).toBe(
        `${name} must be an integer >= ${lowest}, got ${lowest - 1}`,
      )
      expect(messageOf({ ...base, [name]: highest + 1 })).toBe(
        `${name} must be at most ${highest}, got ${highest + 1}`,
      )
      expect(messageOf({ ...base, [name]: lowest + 0.5 })).toBe(
        `${name} must be an integer >= ${lowest}, got ${lowest + 0.5}`,
      )
      expect(messageOf({ ...base, [name]: String(lowest) })).toBe(
        `${name} must be an integer >= ${lowest}, got "${lowest}"`,
      )
      const error = optionError({ ...base, [name]: -1 })
      expect(error).toBeInstanceOf(RangeError)
      expect(error).toMatchObject({ option: name, code: 'PERFWATCH_INVALID_OPTION' })
    },
  )

  it('windowSize takes 1 to 1,000,000, and baselineSamples at most windowSize', () => {
    expect(resolve({ windowSize: 1_000_000 }).windowSize).toBe(1_000_000)
    expect(messageOf({ windowSize: 1_000_001 })).toBe(
      'windowSize must be at most 1000000, got 1000001',
    )
    // baselineSamples is at least 2, so a window of 1 never has room for a baseline
    expect(messageOf({ windowSize: 1, baselineSamples: 2 })).toBe(
      'windowSize must be an integer >= 2, got 1',
    )
    expect(resolve({ windowSize: 2, baselineSamples: 2 }).windowSize).toBe(2)
    expect(resolve({ windowSize: 50, baselineSamples: 50 })).toMatchObject({
      windowSize: 50,
      baselineSamples: 50,
    })
    const error = optionError({ windowSize: 50, baselineSamples: 51 })
    expect(error.option).toBe('baselineSamples')
    expect(error.message).toBe('baselineSamples must be at most windowSize (50), got 51')
  })
})

describe('number options', () => {
  it.each<[string, number]>([
    ['stdDevThreshold', 100],
    ['detectionToleranceMs', 60_000],
  ])('%s takes any number from 0 to %d', (name, highest) => {
    expect(resolve({ [name]: 0 })).toMatchObject({ [name]: 0 })
    expect(resolve({ [name]: 2.5 })).toMatchObject({ [name]: 2.5 })
    expect(resolve({ [name]: highest })).toMatchObject({ [name]: highest })
    expect(messageOf({ [name]: -0.001 })).toBe(`${name} must be a number >= 0, got -0.001`)
    expect(messageOf({ [name]: Number.NaN })).toBe(`${name} must be a number >= 0, got NaN`)
    expect(messageOf({ [name]: '2' })).toBe(`${name} must be a number >= 0, got "2"`)
    expect(messageOf({ [name]: highest + 0.001 })).toBe(
      `${name} must be at most ${highest}, got ${highest + 0.001}`,
    )
    expect(optionError({ [name]: -1 }).option).toBe(name)
  })

  it('maxBaselineChange takes a number above 0 and up to 1', () => {
    expect(resolve({ maxBaselineChange: 1 }).maxBaselineChange).toBe(1)
    expect(resolve({ maxBaselineChange: 1e-9 }).maxBaselineChange).toBe(1e-9)
    for (const [value, shown] of [
      [0, '0'],
      [1.0001, '1.0001'],
      [Number.NaN, 'NaN'],
      ['0.5', '"0.5"'],
    ]) {
      expect(messageOf({ maxBaselineChange: value })).toBe(
        `maxBaselineChange must be a number in (0, 1], got ${shown}`,
      )
    }
  })
})

describe('other options', () => {
  it('storagePath is a non-empty string or null', () => {
    expect(resolve({ storagePath: 'data/b.json' }).storagePath).toBe('data/b.json')
    expect(messageOf({ storagePath: '' })).toBe(
      'storagePath must be a non-empty string or null, got ""',
    )
    expect(messageOf({ storagePath: 5 })).toBe(
      'storagePath must be a non-empty string or null, got 5',
    )
    expect(optionError({ storagePath: {} }).option).toBe('storagePath')
  })

  it('enabled, watchProcess are booleans; clock is a function', () => {
    expect(resolve({ enabled: false }).enabled).toBe(false)
    expect(messageOf({ enabled: 'false' })).toBe('enabled must be a boolean, got "false"')
    expect(messageOf({ enabled: 0 })).toBe('enabled must be a boolean, got 0')
    expect(messageOf({ watchProcess: 'yes' })).toBe('watchProcess must be a boolean, got "yes"')
    expect(optionError({ watchProcess: 1 }).option).toBe('watchProcess')
    const clock = manualClock()
    expect(resolve({ clock }).clock).toBe(clock)
    expect(messageOf({ clock: 5 })).toBe('clock must be a function, got 5')
    expect(messageOf({ clock: null })).toBe('clock must be a function, got null')
  })

  it("baselinePolicy is 'frozen' or 'rolling', exactly", () => {
    expect(resolve({ baselinePolicy: 'rolling' }).baselinePolicy).toBe('rolling')
    expect(resolve({ baselinePolicy: 'frozen' }).baselinePolicy).toBe('frozen')
    expect(messageOf({ baselinePolicy: 'Rolling' })).toBe(
      `baselinePolicy must be 'frozen' or 'rolling', got "Rolling"`,
    )
  })

  it('logger is any object with info, warn and error functions, and an optional isLevelEnabled', () => {
    const noop = () => undefined
    const methods = { info: noop, warn: noop, error: noop }
    expect(resolveOptions({ logger: console }).logger).toBe(console)
    expect(resolveOptions({ logger: methods }).logger).toBe(methods)
    const withLevels = { ...methods, isLevelEnabled: () => true }
    expect(resolveOptions({ logger: withLevels }).logger).toBe(withLevels)
    const expected =
      'logger must be a logger with info, warn and error methods (pino, a pino child, console)'
    const cases: [unknown, string][] = [
      [null, 'null'],
      ['console', '"console"'],
      [Object.assign(() => undefined, methods), 'a function'], // not an object
      [{ warn: noop, error: noop }, 'an object'],
      [{ info: noop, error: noop }, 'an object'],
      [{ info: noop, warn: noop }, 'an object'],
      [{ ...methods, info: 'info' }, 'an object'],
      [{ ...methods, isLevelEnabled: true }, 'an object'],
    ]
    for (const [logger, shown] of cases) {
      const error = optionError({ logger })
      expect(error.option).toBe('logger')
      expect(error.message).toBe(`${expected}, got ${shown}`)
    }
  })
})

describe('options that are not an object', () => {
  it.each<[unknown, string]>([
    [[], 'an array'],
    [null, 'null'],
    ['fast', '"fast"'],
    [5, '5'],
  ])('%o is refused, by the tracker too', (options, shown) => {
    const error = optionError(options)
    expect(error).toMatchObject({ option: 'options', code: 'PERFWATCH_INVALID_OPTION' })
    expect(error.message).toBe(`options must be an object, got ${shown}`)
    expect(() => new PerformanceTracker(options as TrackerOptions)).toThrow(error.message)
  })
})

describe('unknown options', () => {
  const hint = (key: string) => optionError({ [key]: 1 }).message

  it('suggests the option equal ignoring case, or the closest within three edits', () => {
    expect(hint('MAXFILEBYTES')).toBe('Unknown option "MAXFILEBYTES": did you mean maxFileBytes?')
    expect(hint('clocks')).toBe('Unknown option "clocks": did you mean clock?') // 1 edit
    // 3 edits (detect-ion): still suggested
    expect(hint('detectSamples')).toBe(
      'Unknown option "detectSamples": did you mean detectionSamples?',
    )
    // 3 deletions from logger, 3 edits from clock too: the first in DEFAULTS' order wins
    expect(hint('log')).toBe('Unknown option "log": did you mean logger?')
  })

  it('lists every option when none is within three edits', () => {
    const list = Object.keys(DEFAULTS).join(', ')
    // storagePath is 4 edits away
    expect(hint('storage')).toBe(`Unknown option "storage": valid options are ${list}`)
    const long = 'x'.repeat(200)
    expect(hint(long)).toBe(`Unknown option "${long}": valid options are ${list}`)
    // the list is every documented option
    expect(Object.keys(DEFAULTS).sort()).toEqual(
      [
        'windowSize',
        'baselineSamples',
        'storagePath',
        'logger',
        'stdDevThreshold',
        'enabled',
        'clock',
        'maxOpenTimers',
        'maxOperations',
        'saveDelayMs',
        'warningIntervalMs',
        'detectionSamples',
        'minLearningMs',
        'baselinePolicy',
        'refreshSamples',
        'detectionToleranceMs',
        'recoveryHoldMs',
        'idleAfterMs',
        'watchProcess',
        'maxBaselineChange',
        'maxFileBytes',
        'thresholds',
      ].sort(),
    )
  })

  it('names the unknown key as the option, and the tracker refuses it the same way', () => {
    const error = optionError({ windowsize: 500 })
    expect(error).toMatchObject({ option: 'windowsize', code: 'PERFWATCH_INVALID_OPTION' })
    expect(() => new PerformanceTracker({ windowsize: 500 } as TrackerOptions)).toThrow(
      'Unknown option "windowsize": did you mean windowSize?',
    )
  })
})
