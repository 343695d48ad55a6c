/** A clock the test moves by hand: no sleeps needed to test durations and thresholds. */
export interface ManualClock {
  (): number
  advance(ms: number): void
  /** How many times the clock was read. */
  reads: number
}

export function manualClock(startMs = 1000): ManualClock {
  let nowMs = startMs
  const clock = (() => {
    clock.reads++
    return nowMs
  }) as ManualClock
  clock.reads = 0
  clock.advance = (ms: number) => {
    nowMs += ms
  }
  return clock
}
