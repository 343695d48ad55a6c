import { describe, expect, it } from 'vitest'
import { testTracker } from '../helpers/tracker.js'

// Issue 7, item 4: record(name, -0) was stored as -0, which the ring reads as a 0 ms failure.
describe('record(name, -0)', () => {
  it('is a successful 0 ms sample, on the fast path and the checked one', () => {
    const { tracker } = testTracker()
    tracker.record('op', -0) // new operation: the checked path
    tracker.record('op', -0) // existing operation: the fast path
    tracker.record('op', -0, { success: true })
    expect(tracker.getOperationStats('op')).toMatchObject({
      totalCount: 3,
      successRate: 1,
      errorRate: 0,
      recentMax: 0,
    })
  })
})
