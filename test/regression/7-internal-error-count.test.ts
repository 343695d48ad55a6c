import { describe, expect, it } from 'vitest'
import { PerformanceTracker } from '../../src/index.js'
import { faultyClock } from '../helpers/clock.js'
import { ERROR, logSink } from '../helpers/log-sink.js'

// Issue 7, item 3: internal errors were logged but not counted anywhere a caller could see.
describe('getSystemSummary().internalErrors', () => {
  it('counts every swallowed failure while logging at most one line a minute', () => {
    const clock = faultyClock()
    const sink = logSink()
    const tracker = new PerformanceTracker({ storagePath: null, clock, logger: sink.logger })
    expect(tracker.getSystemSummary().internalErrors).toBe(0)
    clock.failAlways('throw')
    const double = tracker.wrap('double', (x: number) => 2 * x)
    for (let i = 0; i < 50; i++) expect(double(i)).toBe(2 * i)
    // two readings per call, and the summary's own reading (for idle operations)
    expect(tracker.getSystemSummary().internalErrors).toBe(101)
    const errors = sink.lines.filter((line) => line.level === ERROR)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ err: { message: 'clock broke' }, suppressed: 0 })
  })
})
