import { pino } from 'pino'

/**
 * What perfwatch needs of a logger: the methods it calls, called as pino calls them,
 * `(object, message)`. pino, its child loggers and Fastify's `request.log` satisfy it as they are;
 * so does `console`. Without `isLevelEnabled` every level counts as enabled.
 */
export interface Logger {
  info(object: object, message: string): void
  warn(object: object, message: string): void
  error(object: object, message: string): void
  isLevelEnabled?(level: 'info' | 'warn' | 'error'): boolean
}

/** The default logger: pino at `info`, named `perfwatch`, writing JSON lines to stdout. */
export function createDefaultLogger(): Logger {
  return pino({ name: 'perfwatch' })
}

// Internal failures are logged at most once a minute, with a count of the ones held back.
const INTERNAL_ERROR_INTERVAL_MS = 60_000

/**
 * The user's logger as every part of a tracker calls it: a call that throws is counted as an
 * internal error and swallowed, never rethrown and never reported through the logger that just
 * failed. Also counts and reports perfwatch's other internal failures (clock, listeners).
 */
export class SafeLogger implements Logger {
  /** Failures of perfwatch itself that were swallowed. */
  internalErrors = 0
  private readonly logger: Logger
  private readonly limiter = new RateLimiter(INTERNAL_ERROR_INTERVAL_MS)

  constructor(logger: Logger) {
    this.logger = logger
  }

  info(object: object, message: string): void {
    this.call('info', object, message)
  }

  warn(object: object, message: string): void {
    this.call('warn', object, message)
  }

  error(object: object, message: string): void {
    this.call('error', object, message)
  }

  /** False when the logger says so or its check throws; true when it has no check. */
  isLevelEnabled(level: 'info' | 'warn' | 'error'): boolean {
    if (this.logger.isLevelEnabled === undefined) return true
    try {
      return this.logger.isLevelEnabled(level) !== false
    } catch {
      this.internalErrors++
      return false
    }
  }

  /**
   * Counts a failure of perfwatch itself and logs it at `error`, at most once a minute with a
   * count of the ones held back (by `Date.now()`: the tracker's clock may be what failed).
   */
  readonly reportInternalError = (error: unknown): void => {
    this.internalErrors++
    const held = this.limiter.take(Date.now())
    if (held < 0) return
    try {
      this.logger.error(
        { err: error, suppressed: held },
        'perfwatch failed internally while recording; the monitored call was not affected',
      )
    } catch {
      // The logger failed too: the failure is already counted.
    }
  }

  private call(level: 'info' | 'warn' | 'error', object: object, message: string): void {
    try {
      this.logger[level](object, message)
    } catch {
      this.internalErrors++
    }
  }
}

/**
 * Lets one event through per interval and counts the ones it held back, so a burst of the same
 * problem costs one log line per interval plus a count, never one line per occurrence.
 */
export class RateLimiter {
  private readonly intervalMs: number
  private nextAllowedMs = Number.NEGATIVE_INFINITY
  private suppressed = 0

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs
  }

  /**
   * Returns -1 when the event must be held back, else how many events were held back since the
   * last one let through (and resets that count). A NaN time (a failed clock) holds it back.
   */
  take(nowMs: number): number {
    if (!(nowMs >= this.nextAllowedMs)) {
      this.suppressed++
      return -1
    }
    this.nextAllowedMs = nowMs + this.intervalMs
    return this.drain()
  }

  /** How many events were held back since the last one let through; resets that count. */
  drain(): number {
    const held = this.suppressed
    this.suppressed = 0
    return held
  }
}
