import { type Clock, defaultClock } from './clock.js'
import { MIN_DETECTION_SAMPLES } from './detection.js'
import { InvalidOptionError } from './errors.js'
import { createDefaultLogger, type Logger } from './log.js'

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
  /** The pino logger warnings go to. @default pino({ name: 'perfwatch' }) */
  logger?: Logger
  /** A sample is degraded above `mean + stdDevThreshold * stdDev` of the baseline. @default 2 */
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
   * A baseline file larger than this is neither read nor written over: it is left alone and an
   * error is logged. @default 67108864 (64 MiB)
   */
  maxFileBytes?: number
  /**
   * Per-sample warnings: at most one line per operation per this many ms (by `clock`), then a
   * count of the ones held back; `0` turns per-sample lines off. @default 10000
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
   * The detector ignores shifts smaller than this many ms: a 0.2 ms method that becomes 0.21 ms
   * is not a degradation anyone acts on. @default 0.1
   */
  detectionToleranceMs?: number
}

/** Options after defaults and validation. */
export interface ResolvedOptions {
  windowSize: number
  baselineSamples: number
  storagePath: string | null
  logger: Logger
  stdDevThreshold: number
  enabled: boolean
  clock: Clock
  maxOpenTimers: number
  maxOperations: number
  saveDelayMs: number
  maxFileBytes: number
  warningIntervalMs: number
  detectionSamples: number
  baselinePolicy: 'frozen' | 'rolling'
  refreshSamples: number
  maxBaselineChange: number
  detectionToleranceMs: number
}

export const DEFAULT_STORAGE_PATH = 'baselines/perfwatch.json'

/** The one options validator: defaults, then checks that name the option. */
export function resolveOptions(options: TrackerOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'an object', options)
  }
  const windowSize = integer(options, 'windowSize', 1000, 1)
  const baselineSamples = integer(options, 'baselineSamples', 100, 2)
  if (baselineSamples > windowSize) {
    throw new InvalidOptionError(
      'baselineSamples',
      `at most windowSize (${windowSize})`,
      baselineSamples,
    )
  }
  const stdDevThreshold = options.stdDevThreshold ?? 2
  if (
    typeof stdDevThreshold !== 'number' ||
    !(stdDevThreshold >= 0 && stdDevThreshold < Infinity)
  ) {
    throw new InvalidOptionError('stdDevThreshold', 'a finite number >= 0', stdDevThreshold)
  }
  const storagePath = options.storagePath === undefined ? DEFAULT_STORAGE_PATH : options.storagePath
  if (storagePath !== null && (typeof storagePath !== 'string' || storagePath === '')) {
    throw new InvalidOptionError('storagePath', 'a non-empty string or null', storagePath)
  }
  const enabled = options.enabled ?? true
  if (typeof enabled !== 'boolean') throw new InvalidOptionError('enabled', 'a boolean', enabled)
  const clock = options.clock ?? defaultClock
  if (typeof clock !== 'function') throw new InvalidOptionError('clock', 'a function', clock)
  const maxOpenTimers = integer(options, 'maxOpenTimers', 10_000, 1)
  const maxOperations = integer(options, 'maxOperations', 2000, 1)
  const saveDelayMs = integer(options, 'saveDelayMs', 1000, 0)
  const maxFileBytes = integer(options, 'maxFileBytes', 64 * 1024 * 1024, 1024)
  const warningIntervalMs = integer(options, 'warningIntervalMs', 10_000, 0)
  const detectionSamples = integer(options, 'detectionSamples', 1000, MIN_DETECTION_SAMPLES)
  const baselinePolicy = options.baselinePolicy ?? 'frozen'
  if (baselinePolicy !== 'frozen' && baselinePolicy !== 'rolling') {
    throw new InvalidOptionError('baselinePolicy', "'frozen' or 'rolling'", baselinePolicy)
  }
  const refreshSamples = integer(
    options,
    'refreshSamples',
    Math.max(10_000, windowSize),
    windowSize,
  )
  const maxBaselineChange = options.maxBaselineChange ?? 0.1
  if (typeof maxBaselineChange !== 'number' || !(maxBaselineChange > 0 && maxBaselineChange <= 1)) {
    throw new InvalidOptionError('maxBaselineChange', 'a number in (0, 1]', maxBaselineChange)
  }
  const detectionToleranceMs = options.detectionToleranceMs ?? 0.1
  if (
    typeof detectionToleranceMs !== 'number' ||
    !(detectionToleranceMs >= 0 && detectionToleranceMs < Number.POSITIVE_INFINITY)
  ) {
    throw new InvalidOptionError(
      'detectionToleranceMs',
      'a finite number >= 0',
      detectionToleranceMs,
    )
  }
  if (options.logger !== undefined && !isLogger(options.logger)) {
    throw new InvalidOptionError(
      'logger',
      'a pino logger (with info, warn and error)',
      options.logger,
    )
  }
  return {
    windowSize,
    baselineSamples,
    storagePath,
    logger: options.logger ?? createDefaultLogger(),
    stdDevThreshold,
    enabled,
    clock,
    maxOpenTimers,
    maxOperations,
    saveDelayMs,
    maxFileBytes,
    warningIntervalMs,
    detectionSamples,
    baselinePolicy,
    refreshSamples,
    maxBaselineChange,
    detectionToleranceMs,
  }
}

type IntegerOption =
  | 'windowSize'
  | 'baselineSamples'
  | 'maxOpenTimers'
  | 'maxOperations'
  | 'saveDelayMs'
  | 'maxFileBytes'
  | 'warningIntervalMs'
  | 'detectionSamples'
  | 'refreshSamples'

function integer(options: TrackerOptions, name: IntegerOption, fallback: number, min: number) {
  const value = options[name] ?? fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(name, `an integer >= ${min}`, value)
  }
  return value
}

function isLogger(value: unknown): value is Logger {
  const logger = value as Partial<Logger> | null
  return (
    typeof logger === 'object' &&
    logger !== null &&
    typeof logger.info === 'function' &&
    typeof logger.warn === 'function' &&
    typeof logger.error === 'function'
  )
}
