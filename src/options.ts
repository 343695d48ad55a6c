import { type Clock, defaultClock } from './core/clock.js'
import { DEFAULTS } from './core/defaults.js'
import { MIN_DETECTION_SAMPLES } from './core/detection.js'
import { describeValue, InvalidOptionError } from './core/errors.js'
import type { Logger } from './core/logger.js'
import {
  normalizeThresholds,
  type OperationThresholds,
  thresholdsProblem,
} from './core/thresholds.js'
import { isCount, isName, isObject, MAX_NAME_LENGTH } from './core/validate.js'
import { createDefaultLogger } from './log.js'
import { MAX_OPEN_TIMERS } from './timers.js'

/** Options of `new PerformanceTracker(options)`; every one is optional. */
export interface TrackerOptions {
  /** Samples kept per operation in the rolling window. @default 1000 */
  windowSize?: number
  /**
   * Successful samples needed before an operation's baseline is built; at most `windowSize`.
   * @default 100
   */
  baselineSamples?: number
  /**
   * The JSON file baselines are saved to and restored from, relative to the working directory;
   * `null` keeps everything in memory. @default 'baselines/perfwatch.json'
   */
  storagePath?: string | null
  /**
   * Where warnings go: a pino logger (or child, or Fastify's logger), `console`, or anything with
   * `info`, `warn` and `error` taking `(object, message)`. @default pino({ name: 'perfwatch' })
   */
  logger?: Logger
  /** A sample is slow above `mean + stdDevThreshold * stdDev` of the baseline. @default 2 */
  stdDevThreshold?: number
  /** `false` turns recording off: decorators and `wrap` call straight through. @default true */
  enabled?: boolean
  /** Monotonic clock in ms; inject one in tests. @default performance.now */
  clock?: Clock
  /** Timers open at once; past it the oldest is evicted with one warning. @default 10000 */
  maxOpenTimers?: number
  /**
   * Distinct operation names; samples of further names are recorded under the operation
   * `perfwatch.overflow`, with one warning. @default 2000
   */
  maxOperations?: number
  /** How long baseline writes are debounced, in ms. @default 1000 */
  saveDelayMs?: number
  /**
   * Slow-call lines (the per-sample rule): at most one per this many ms (by `clock`) for the whole
   * tracker, the first naming one slow call, the next ones summarising the slow calls of every
   * operation since; `0` turns them off (counting goes on). @default 10000
   */
  warningIntervalMs?: number
  /**
   * Successful samples the sustained-degradation detector's baseline is built from (at least
   * 500). The first baseline, built at `baselineSamples`, keeps learning until it has this many,
   * then is frozen. @default 1000
   */
  detectionSamples?: number
  /**
   * `frozen`: a baseline never changes once mature, so a slowdown never becomes the new normal.
   * `rolling`: every `refreshSamples` successes it is blended with the window's successful
   * samples, moving at most `maxBaselineChange` per refresh; an interval in which a degradation
   * was raised is skipped.
   * @default 'frozen'
   */
  baselinePolicy?: 'frozen' | 'rolling'
  /** Successes between rolling refreshes, at least `windowSize`. @default 10000 */
  refreshSamples?: number
  /** Largest relative move of p50, p95, mean or std dev in one rolling refresh. @default 0.1 */
  maxBaselineChange?: number
  /**
   * The detector ignores shifts smaller than this many ms, and a slow call is logged only when it
   * is this far above the per-sample threshold (it is still counted in `degradedCount`): a
   * 0.2 ms method that becomes 0.21 ms is not a degradation anyone acts on. @default 0.1
   */
  detectionToleranceMs?: number
  /**
   * A baseline matures (and the detector starts) only once the operation has been learning for
   * this many ms (by `clock`) as well as `detectionSamples` samples; a busy operation keeps every
   * second, fourth, ... call meanwhile, so its baseline spans this whole time (it matures after
   * between this and twice this). A service is then judged against how it behaves over seconds,
   * not against its first half second of traffic. `0` matures at `detectionSamples`.
   * @default 5000
   */
  minLearningMs?: number
  /**
   * A sustained degradation clears only once the detector's charts have drained to 0 and none
   * came back to its limit for this many ms (by `clock`): a slowdown that returns within it is
   * the same episode, raised once and recovered once. `0` clears as soon as they drain.
   * @default 10000
   */
  recoveryHoldMs?: number
  /**
   * An operation with no sample for this many ms (by `clock`) shows as `idle`, not `ok` or
   * `degraded`: a state is only as current as its last sample. @default 60000
   */
  idleAfterMs?: number
  /**
   * Watch the event loop and report each stall of the process (a blocked event loop, a long GC
   * pause) as one `stall` event and log line, naming the operations it slowed. Stalls are timed
   * by `performance.now()`, so this is on by default only with the default `clock`.
   * @default true with the default clock, false with an injected one
   */
  watchProcess?: boolean
  /**
   * A baseline file larger than this many bytes is not read; it is left alone and a clear error
   * is logged (see file-format.md). @default 67108864 (64 MiB)
   */
  maxFileBytes?: number
  /**
   * Fixed budgets per operation name: `{ 'db.query': { warnMs: 200, criticalMs: 1000,
   * maxErrorRate: 0.05 } }`. A successful call above `criticalMs` is a `critical` violation,
   * above `warnMs` a `warning`; a failure that leaves the window's error rate above
   * `maxErrorRate` (with at least 20 samples in the window) an error-rate violation. Each is
   * counted (`thresholdViolations`), logged (rate-limited by `warningIntervalMs`) and emitted as a
   * `threshold` event. `recommendThresholds()`'s result can be passed as it is (`basedOn` is
   * ignored). Change them later with `setThresholds`.
   * @default {}
   */
  thresholds?: Record<string, OperationThresholds>
}

/** Options after defaults and validation. */
export type ResolvedOptions = {
  [K in keyof TrackerOptions]-?: Exclude<TrackerOptions[K], undefined>
}

/** Every option has a default (the `satisfies` fails to compile when one is missing). */
const OPTION_NAMES = Object.keys(DEFAULTS satisfies Record<keyof TrackerOptions, unknown>)

/**
 * Inclusive bounds of the numeric options (docs/api.md gives the reasons). Every one has an upper
 * bound: an unbounded windowSize failed at the first record, and setTimeout turns a saveDelayMs
 * above 2^31 - 1 into 1 ms.
 */
const LIMITS = {
  windowSize: [2, 1_000_000], // a baseline needs at least 2 samples, and room for them
  baselineSamples: [2, 1_000_000],
  stdDevThreshold: [0, 100],
  maxOpenTimers: [1, MAX_OPEN_TIMERS],
  maxOperations: [1, 100_000],
  saveDelayMs: [0, 3_600_000],
  warningIntervalMs: [0, 86_400_000],
  detectionSamples: [MIN_DETECTION_SAMPLES, 100_000],
  refreshSamples: [1, 1_000_000_000],
  detectionToleranceMs: [0, 60_000],
  minLearningMs: [0, 86_400_000],
  recoveryHoldMs: [0, 86_400_000],
  idleAfterMs: [1, 86_400_000],
  maxFileBytes: [1024, 2 ** 31 - 1],
} as const

/** The one options validator: unknown names, then defaults and checks that name the option. */
export function resolveOptions(options: TrackerOptions = {}): ResolvedOptions {
  if (!isObject(options)) throw new InvalidOptionError('options', 'an object', options)
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(DEFAULTS, key)) throw unknownOption(key)
  }
  const windowSize = integer(options, 'windowSize')
  const baselineSamples = integer(options, 'baselineSamples')
  if (baselineSamples > windowSize) {
    throw new InvalidOptionError(
      'baselineSamples',
      `at most windowSize (${windowSize})`,
      baselineSamples,
    )
  }
  const storagePath = option(options, 'storagePath')
  if (storagePath !== null && (typeof storagePath !== 'string' || storagePath === '')) {
    throw new InvalidOptionError('storagePath', 'a non-empty string or null', storagePath)
  }
  const enabled = option(options, 'enabled')
  if (typeof enabled !== 'boolean') throw new InvalidOptionError('enabled', 'a boolean', enabled)
  const clock = option(options, 'clock')
  if (typeof clock !== 'function') throw new InvalidOptionError('clock', 'a function', clock)
  const watchProcess =
    options.watchProcess === undefined ? clock === defaultClock : options.watchProcess
  if (typeof watchProcess !== 'boolean') {
    throw new InvalidOptionError('watchProcess', 'a boolean', watchProcess)
  }

  const baselinePolicy = option(options, 'baselinePolicy')
  if (baselinePolicy !== 'frozen' && baselinePolicy !== 'rolling') {
    throw new InvalidOptionError('baselinePolicy', "'frozen' or 'rolling'", baselinePolicy)
  }
  const maxBaselineChange = option(options, 'maxBaselineChange')
  if (typeof maxBaselineChange !== 'number' || !(maxBaselineChange > 0 && maxBaselineChange <= 1)) {
    throw new InvalidOptionError('maxBaselineChange', 'a number in (0, 1]', maxBaselineChange)
  }
  if (options.logger !== undefined && !isLogger(options.logger)) {
    throw new InvalidOptionError(
      'logger',
      'a logger with info, warn and error methods (pino, a pino child, console)',
      options.logger,
    )
  }
  return {
    windowSize,
    baselineSamples,
    storagePath,
    logger: options.logger ?? createDefaultLogger(),
    stdDevThreshold: decimal(options, 'stdDevThreshold'),
    enabled,
    clock,
    maxOpenTimers: integer(options, 'maxOpenTimers'),
    maxOperations: integer(options, 'maxOperations'),
    saveDelayMs: integer(options, 'saveDelayMs'),
    warningIntervalMs: integer(options, 'warningIntervalMs'),
    detectionSamples: integer(options, 'detectionSamples'),
    baselinePolicy,
    refreshSamples: integer(options, 'refreshSamples', windowSize),
    maxBaselineChange,
    detectionToleranceMs: decimal(options, 'detectionToleranceMs'),
    minLearningMs: integer(options, 'minLearningMs'),
    recoveryHoldMs: integer(options, 'recoveryHoldMs'),
    idleAfterMs: integer(options, 'idleAfterMs'),
    watchProcess,
    maxFileBytes: integer(options, 'maxFileBytes'),
    thresholds: resolveThresholds(options.thresholds),
  }
}

/**
 * The `thresholds` option: an object of operation names to thresholds, each checked as
 * `setThresholds` checks it; the result holds normalised copies (no `basedOn`, no undefined
 * budgets; an operation with none is left out).
 */
function resolveThresholds(value: unknown): Record<string, OperationThresholds> {
  if (value === undefined) return {} // DEFAULTS.thresholds: no operation has budgets
  if (!isObject(value)) {
    throw new InvalidOptionError('thresholds', 'an object of operation names to thresholds', value)
  }
  const entries: Array<[string, OperationThresholds]> = []
  for (const [name, thresholds] of Object.entries(value)) {
    if (!isName(name)) {
      throw new InvalidOptionError(
        'thresholds',
        `thresholds has an invalid operation name ${describeValue(name)}: names are non-empty ` +
          `strings of at most ${MAX_NAME_LENGTH} characters`,
      )
    }
    const problem = thresholdsProblem(thresholds, `thresholds[${describeValue(name)}]`)
    if (problem !== undefined) throw new InvalidOptionError('thresholds', problem)
    const normalized = normalizeThresholds(thresholds as OperationThresholds)
    if (normalized !== null) entries.push([name, normalized])
  }
  // fromEntries defines properties: an operation named "__proto__" keeps its thresholds.
  return Object.fromEntries(entries)
}

/** The value given, or the default if undefined; null is a value (only storagePath takes it). */
function option<K extends keyof typeof DEFAULTS>(
  options: TrackerOptions,
  name: K,
): TrackerOptions[K] | (typeof DEFAULTS)[K] {
  const value = options[name]
  return value === undefined ? DEFAULTS[name] : value
}

type IntegerOption = Exclude<keyof typeof LIMITS, NumberOption>
type NumberOption = 'stdDevThreshold' | 'detectionToleranceMs'

/** An integer option within its LIMITS; `atLeast` raises the lower bound (and the default). */
function integer(options: TrackerOptions, name: IntegerOption, atLeast = 0): number {
  const [lowest, highest] = LIMITS[name]
  const min = Math.max(lowest, atLeast)
  const value = options[name] === undefined ? Math.max(DEFAULTS[name], min) : options[name]
  if (!isCount(value, min)) {
    throw new InvalidOptionError(name, `an integer >= ${min}`, value)
  }
  if (value > highest) throw new InvalidOptionError(name, `at most ${highest}`, value)
  return value
}

/** A number option within its LIMITS. */
function decimal(options: TrackerOptions, name: NumberOption): number {
  const [lowest, highest] = LIMITS[name]
  const value = option(options, name)
  if (typeof value !== 'number' || !(value >= lowest)) {
    throw new InvalidOptionError(name, `a number >= ${lowest}`, value)
  }
  if (value > highest) throw new InvalidOptionError(name, `at most ${highest}`, value)
  return value
}

/** True for what perfwatch can log through: `info`, `warn` and `error` methods (pino, console). */
export function isLogger(value: unknown): value is Logger {
  const logger = value as Partial<Logger> | null
  return (
    typeof logger === 'object' &&
    logger !== null &&
    typeof logger.info === 'function' &&
    typeof logger.warn === 'function' &&
    typeof logger.error === 'function' &&
    (logger.isLevelEnabled === undefined || typeof logger.isLevelEnabled === 'function')
  )
}

/**
 * Names the closest valid option within 3 edits, ignoring case (the same ignoring case is 0
 * edits; of equally close ones, the first in `names`), else lists them. `names` defaults to the
 * tracker's options; `StageTracker` passes its own.
 */
export function unknownOption(
  key: string,
  names: readonly string[] = OPTION_NAMES,
): InvalidOptionError {
  const lower = key.toLowerCase()
  let closest: string | undefined
  let closestDistance = 4
  for (const name of names) {
    // The distance is at least the difference in length: skip names more than 3 edits away
    // unseen, so a long key costs nothing.
    // Stryker disable next-line ConditionalExpression: not skipping gives the same result, slower
    if (Math.abs(name.length - lower.length) > 3) continue
    const distance = editDistance(lower, name.toLowerCase())
    if (distance < closestDistance) {
      closest = name
      closestDistance = distance
    }
  }
  const hint =
    closest === undefined ? `valid options are ${names.join(', ')}` : `did you mean ${closest}?`
  return new InvalidOptionError(key, `Unknown option ${JSON.stringify(key)}: ${hint}`)
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      current[j] = Math.min(
        substitution,
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
      )
    }
    previous = current
  }
  return previous[b.length] as number
}
