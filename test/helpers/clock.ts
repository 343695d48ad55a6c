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

/** How a faulty clock's reading fails. */
export type ClockFault = 'throw' | 'NaN' | 'Infinity' | 'backwards'

/** A manual clock that steps on every reading and can be made to fail. */
export interface FaultyClock extends ManualClock {
  /** Added after every reading, so a call timed by two readings lasts this long. */
  stepMs: number
  /** Makes one reading fail: the one after the next `skip` readings. */
  failNext(fault: ClockFault, skip?: number): void
  /** Makes every reading fail until called with null. */
  failAlways(fault: ClockFault | null): void
}

export function faultyClock(startMs = 1000): FaultyClock {
  const base = manualClock(startMs)
  let always: ClockFault | null = null
  let next: ClockFault | null = null
  let toSkip = 0
  const clock = (() => {
    const nowMs = base()
    clock.reads = base.reads
    base.advance(clock.stepMs)
    let fault = always
    if (next !== null && toSkip-- === 0) {
      fault = next
      next = null
    }
    if (fault === null) return nowMs
    if (fault === 'throw') throw new Error('clock broke')
    if (fault === 'NaN') return Number.NaN
    if (fault === 'Infinity') return Number.POSITIVE_INFINITY
    return nowMs - 1000 // backwards
  }) as FaultyClock
  clock.reads = 0
  clock.stepMs = 0
  clock.advance = base.advance
  clock.failNext = (fault, skip = 0) => {
    next = fault
    toSkip = skip
  }
  clock.failAlways = (fault) => {
    always = fault
  }
  return clock
}
