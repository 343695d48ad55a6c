import { describe, expect, it } from 'vitest'
import { InvalidArgumentError, type RecordOptions } from '../../src/index.js'
import { testTracker } from '../helpers/tracker.js'

// Issue 7, item 6: on a disabled tracker, 10^5 startOperation calls created 2,001 operations
// (30.5 MB) and endOperation threw UnknownTimerError for ids it never issued.
describe('enabled: false', () => {
  it('startOperation checks the name and returns one constant id, touching nothing', () => {
    const { tracker, clock } = testTracker({ enabled: false })
    const ids = new Set(Array.from({ length: 3000 }, (_, i) => tracker.startOperation(`op.${i}`)))
    expect(ids.size).toBe(1)
    expect(tracker.getSystemSummary().trackedOperations).toEqual([])
    expect(clock.reads).toBe(0)
    expect(() => tracker.startOperation('')).toThrow(InvalidArgumentError)
  })

  it('endOperation checks its options and returns 0, for any id', () => {
    const { tracker, clock } = testTracker({ enabled: false })
    const id = tracker.startOperation('op')
    expect(tracker.endOperation(id)).toBe(0)
    expect(tracker.endOperation(id, { success: false })).toBe(0)
    expect(tracker.endOperation('never issued')).toBe(0)
    expect(() => tracker.endOperation(id, false as unknown as RecordOptions)).toThrow(
      InvalidArgumentError,
    )
    expect(clock.reads).toBe(0)
    expect(tracker.getOperationStats('op')).toBeUndefined()
  })
})
