import { pino } from 'pino'
import { WARNING_CODES } from './core/errors.js'
import type { Logger } from './core/logger.js'
import { RateLimiter } from './core/rate-limiter.js'

/** The default logger: pino at `info`, named `perfwatch`, writing JSON lines to stdout. */
export function createDefaultLogger(): Logger {
  return pino({ name: 'perfwatch' })
}

/** The same logger for a line written while the process exits: written before `exit` returns. */
export function createExitLogger(): Logger {
  return pino({ name: 'perfwatch' }, pino.destination({ dest: 1, sync: true }))
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
        { code: WARNING_CODES.internalError, err: error, suppressed: held },
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
