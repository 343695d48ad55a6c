import { describe, expect, it } from 'vitest'
import { testTracker } from '../helpers/tracker.js'

// Issue 7, item 8: getSystemSummary() assigned operations[name], so "__proto__" replaced the
// prototype of the operations object instead of being listed.
describe('an operation named __proto__', () => {
  it('is listed in getSystemSummary().operations, which stays a plain object', () => {
    const { tracker } = testTracker()
    tracker.record('__proto__', 3)
    tracker.record('constructor', 4)
    const { operations } = tracker.getSystemSummary()
    expect(Object.getPrototypeOf(operations)).toBe(Object.prototype)
    expect(Object.keys(operations)).toEqual(['__proto__', 'constructor'])
    expect(Object.getOwnPropertyDescriptor(operations, '__proto__')?.value).toMatchObject({
      operation: '__proto__',
      totalCount: 1,
    })
    expect(JSON.parse(JSON.stringify(operations)).constructor.recentMean).toBe(4)
  })
})
