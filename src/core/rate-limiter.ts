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
