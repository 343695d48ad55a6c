/**
 * Fixed budgets (thresholds) of an operation: their shape, the one check of that shape (the
 * options validator and `setThresholds` both use it), and the rule that recommends budgets from a
 * baseline. Pure; the hot-path side is in operation.ts, the log lines in the runtime.
 */
import { describeValue } from './errors.js'
import { MAX_DURATION_MS } from './validate.js'

/**
 * Fixed budgets of one operation, each optional. A successful call that takes longer than
 * `criticalMs` is a `critical` violation; longer than `warnMs` (and not than `criticalMs`), a
 * `warning`. A failure that leaves the window's error rate above `maxErrorRate` (with at least
 * `MIN_ERROR_RATE_SAMPLES` samples in the window) is an error-rate violation.
 */
export interface OperationThresholds {
  /** A call longer than this many ms is a `warning` violation (exactly `warnMs` is not). */
  warnMs?: number
  /** A call longer than this many ms is a `critical` violation; at least `warnMs`. */
  criticalMs?: number
  /** Largest share of failed calls in the window, 0-1, before a failure is a violation. */
  maxErrorRate?: number
  /**
   * Accepted and ignored, so `recommendThresholds()`'s result can be passed back as it is: what
   * the recommended numbers came from.
   */
  basedOn?: ThresholdBasis
}

/** The baseline numbers a recommendation came from, ms. */
export interface ThresholdBasis {
  p95: number
  p99: number
  sampleCount: number
}

/** What `recommendThresholds()` proposes for one operation (usable as its thresholds). */
export interface RecommendedThresholds {
  warnMs: number
  criticalMs: number
  basedOn: ThresholdBasis
}

/** Violations of an operation's thresholds since the tracker started, by kind. */
export interface ThresholdViolations {
  /** Calls above `warnMs` and not above `criticalMs`. */
  warning: number
  /** Calls above `criticalMs`. */
  critical: number
  /** Failures that left the window's error rate above `maxErrorRate`. */
  errorRate: number
}

/**
 * Fewest samples in the window (successes and failures) before the error-rate rule applies (or a
 * full window, when `windowSize` is smaller): one failure among 3 calls is 33 %, and no reason to
 * alarm. At 20, one failure is 5 %.
 */
export const MIN_ERROR_RATE_SAMPLES = 20

/** The recommendation rule's factors: `warnMs` = p95 x 1.5, `criticalMs` = p99 x 2. */
export const RECOMMENDED_WARN_FACTOR = 1.5
export const RECOMMENDED_CRITICAL_FACTOR = 2

const KEYS = ['warnMs', 'criticalMs', 'maxErrorRate'] as const

/**
 * What is wrong with `value` as thresholds, as a full message naming `path` (such as
 * `thresholds.warnMs must be a number of ms in [0, 1e12), got -1`), or undefined when it is
 * valid. Undefined values count as absent; `basedOn` is ignored.
 */
export function thresholdsProblem(value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `${path} must be an object of warnMs, criticalMs and maxErrorRate, got ${describeValue(value)}`
  }
  for (const key of Object.keys(value)) {
    if ((KEYS as readonly string[]).includes(key) || key === 'basedOn') continue
    const close = KEYS.find((name) => name.toLowerCase() === key.toLowerCase())
    const hint =
      close === undefined ? `valid keys are ${KEYS.join(', ')}` : `did you mean ${close}?`
    return `${path} has an unknown key ${JSON.stringify(key)}: ${hint}`
  }
  const { warnMs, criticalMs, maxErrorRate } = value as OperationThresholds
  for (const [key, ms] of [
    ['warnMs', warnMs],
    ['criticalMs', criticalMs],
  ] as const) {
    if (ms !== undefined && !(typeof ms === 'number' && ms >= 0 && ms < MAX_DURATION_MS)) {
      return `${path}.${key} must be a number of ms in [0, 1e12), got ${describeValue(ms)}`
    }
  }
  // An absent budget is undefined, and a comparison with undefined is false: only two set conflict.
  if ((criticalMs as number) < (warnMs as number)) {
    return `${path}.criticalMs must be at least warnMs (${warnMs}), got ${criticalMs}`
  }
  if (
    maxErrorRate !== undefined &&
    !(typeof maxErrorRate === 'number' && maxErrorRate >= 0 && maxErrorRate <= 1)
  ) {
    return `${path}.maxErrorRate must be a number in [0, 1] (a share of calls), got ${describeValue(maxErrorRate)}`
  }
  return undefined
}

/**
 * A copy of valid thresholds with only the budgets that are set (no `basedOn`, no undefined
 * values), or null when none is.
 */
export function normalizeThresholds(thresholds: OperationThresholds): OperationThresholds | null {
  const copy: OperationThresholds = {}
  for (const key of KEYS) {
    const value = thresholds[key]
    if (value !== undefined) copy[key] = value
  }
  return Object.keys(copy).length > 0 ? copy : null
}

/**
 * Budgets recommended from a baseline's p95 and p99 (ms): `warnMs` = p95 x 1.5, `criticalMs` =
 * p99 x 2 and at least `warnMs`, each rounded up to 2 significant digits (`123.4` → 130, `0.873`
 * → 0.88). Undefined when the p99 is 0 (a clock too coarse to time the operation): no multiple of
 * it makes a budget.
 */
export function recommendFrom(basis: ThresholdBasis): RecommendedThresholds | undefined {
  if (!(basis.p99 > 0)) return undefined
  const warnMs = roundUpToTwoDigits(basis.p95 * RECOMMENDED_WARN_FACTOR)
  const criticalMs = Math.max(warnMs, roundUpToTwoDigits(basis.p99 * RECOMMENDED_CRITICAL_FACTOR))
  return { warnMs, criticalMs, basedOn: { ...basis } }
}

/**
 * Rounds a positive finite number up to 2 significant digits: `123.4` → 130, `0.873` → 0.88, `40` → 40.
 * A product that lands a hair above a round number by floating point (`0.2 * 1.5` is
 * `0.30000000000000004`) is not rounded up a step (0.3, not 0.31).
 */
export function roundUpToTwoDigits(value: number): number {
  if (!(value > 0)) return 0 // a p95 of 0: a budget of 0, above which every call is over it
  // Math.log10 can be a hair off within a few ulps below a power of ten (log10(999.9999999999999)
  // is 3): the mantissa is then 9.999…, not 99.999…, and rounds up to the same power of ten.
  const exponent = Math.floor(Math.log10(value)) - 1
  const digits = Math.ceil(value / 10 ** exponent - 1e-9)
  // Parsed as a decimal, so the double nearest to it: 35 * 10 ** -2 is 0.35000000000000003.
  return Number(`${digits}e${exponent}`)
}
