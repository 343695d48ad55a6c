import type { Clock } from './core/clock.js'
import { WARNING_CODES } from './core/errors.js'
import { formatLatencies, formatPercent } from './core/format.js'
import type { Operation } from './core/operation.js'
import { RateLimiter } from './core/rate-limiter.js'
import type { ThresholdEvent } from './core/snapshot.js'
import { runSoon } from './defer.js'
import type { Emitter } from './emitter.js'
import type { SafeLogger } from './log.js'

/** One operation's line limiters, one per kind, so a warning never hides a critical line. */
interface Limiters {
  readonly warning: RateLimiter
  readonly critical: RateLimiter
  readonly errorRate: RateLimiter
}

/**
 * The log lines and events of fixed budgets (thresholds). Every violation is counted by the
 * operation; here:
 *
 * - lines: at most one per `intervalMs` (the tracker's `warningIntervalMs`, by its clock) per
 *   operation and kind (`warning`, `critical`, `errorRate`), each with `suppressed`, the
 *   violations of that kind held back since the previous line; `warning` at `warn`, `critical`
 *   and error-rate lines at `error`. Budgets are set on purpose for a few operations, so lines are
 *   limited per operation rather than for the whole tracker as slow-call lines are. `intervalMs`
 *   0 turns the lines off, as it does slow-call lines (counts and events go on);
 * - events (`threshold`): one per violation, built only when someone listens, delivered together
 *   after the call that caused them returns (one `setImmediate` per batch).
 *
 * Its methods run inside `Operation.record`, on the caller's path: held back, a violation costs a
 * WeakMap lookup and a comparison, and allocates nothing; whatever fails is reported through
 * `reportError`, never thrown.
 */
export class ThresholdLog {
  private readonly logger: SafeLogger
  /** The tracker's clock, read safely: NaN when it failed. */
  private readonly clock: Clock
  private readonly emitter: Emitter
  private readonly intervalMs: number
  private readonly reportError: (error: unknown) => void
  private readonly limiters = new WeakMap<Operation, Limiters>()
  /** Events waiting for delivery; a delivery is scheduled while it is not empty. */
  private pending: ThresholdEvent[] = []

  constructor(
    logger: SafeLogger,
    clock: Clock,
    emitter: Emitter,
    intervalMs: number,
    reportError: (error: unknown) => void,
  ) {
    this.logger = logger
    this.clock = clock
    this.emitter = emitter
    this.intervalMs = intervalMs
    this.reportError = reportError
  }

  /** A successful call over `warnMs` (`warning`) or `criticalMs` (`critical`, `thresholdMs`). */
  duration(
    operation: Operation,
    severity: 'warning' | 'critical',
    durationMs: number,
    thresholdMs: number,
    endMs: number,
  ): void {
    try {
      if (this.emitter.has('threshold')) {
        this.deliver({
          operation: operation.name,
          metric: 'duration',
          severity,
          durationMs,
          thresholdMs,
          at: new Date().toISOString(),
        })
      }
      const suppressed = this.take(operation, severity, endMs)
      if (suppressed < 0) return
      const level = severity === 'critical' ? 'error' : 'warn'
      if (!this.logger.isLevelEnabled(level)) return
      const budget = severity === 'critical' ? 'criticalMs' : 'warnMs'
      const [duration, threshold] = formatLatencies(durationMs, thresholdMs)
      this.logger[level](
        {
          code: WARNING_CODES.threshold,
          event: 'threshold',
          operation: operation.name,
          metric: 'duration',
          severity,
          durationMs,
          thresholdMs,
          suppressed,
        },
        `${operation.name} took ${duration}, over its ${budget} budget of ` +
          `${threshold} (${severity})${heldBack(suppressed, severity)}`,
      )
    } catch (error) {
      this.reportError(error)
    }
  }

  /** A failure left the window's error rate over `maxErrorRate`. */
  errorRate(
    operation: Operation,
    errorRate: number,
    maxErrorRate: number,
    sampleCount: number,
    endMs: number,
  ): void {
    try {
      if (this.emitter.has('threshold')) {
        this.deliver({
          operation: operation.name,
          metric: 'errorRate',
          severity: 'critical',
          errorRate,
          maxErrorRate,
          sampleCount,
          at: new Date().toISOString(),
        })
      }
      const suppressed = this.take(operation, 'errorRate', endMs)
      if (suppressed < 0 || !this.logger.isLevelEnabled('error')) return
      this.logger.error(
        {
          code: WARNING_CODES.threshold,
          event: 'threshold',
          operation: operation.name,
          metric: 'errorRate',
          severity: 'critical',
          errorRate,
          maxErrorRate,
          sampleCount,
          suppressed,
        },
        `${formatPercent(errorRate)} of the last ${sampleCount} calls of ${operation.name} ` +
          `failed, over its maxErrorRate budget of ${formatPercent(maxErrorRate)} (critical)` +
          heldBack(suppressed, 'error-rate'),
      )
    } catch (error) {
      this.reportError(error)
    }
  }

  /**
   * The limiter's answer for one line: -1 to hold it back (also with `intervalMs` 0: no lines),
   * else the violations of that kind held back since the last line.
   */
  private take(operation: Operation, kind: keyof Limiters, endMs: number): number {
    if (this.intervalMs === 0) return -1
    let limiters = this.limiters.get(operation)
    if (limiters === undefined) {
      limiters = {
        warning: new RateLimiter(this.intervalMs),
        critical: new RateLimiter(this.intervalMs),
        errorRate: new RateLimiter(this.intervalMs),
      }
      this.limiters.set(operation, limiters)
    }
    return limiters[kind].take(endMs >= 0 ? endMs : this.clock())
  }

  /** Queues an event; the first of a batch schedules the delivery of all. */
  private deliver(event: ThresholdEvent): void {
    this.pending.push(event)
    // Stryker disable next-line ConditionalExpression: a delivery scheduled per event finds the batch already delivered by the first; it only saves setImmediate calls
    if (this.pending.length > 1) return
    runSoon(() => {
      const events = this.pending
      this.pending = []
      for (const e of events) this.emitter.emit('threshold', e, this.reportError)
    }, this.reportError)
  }
}

/** ` (3 more warning violations held back since the last line)`, or nothing. */
function heldBack(suppressed: number, kind: string): string {
  if (suppressed === 0) return ''
  return `; ${suppressed} more ${kind} violation${suppressed === 1 ? '' : 's'} since the last line`
}
