import { describe, expect, it } from 'vitest'
import { UnknownTimerError } from '../../src/index.js'
import { testTracker } from '../helpers/tracker.js'

// Issue 7, item 4: endOperation parsed ids with Number(), so ' 16384 ' ended timer "16384".
describe('endOperation accepts only the id startOperation returned', () => {
  it('rejects padded, signed, zero-led, fractional and exponent forms, leaving the timer open', () => {
    const { tracker, clock } = testTracker()
    const id = tracker.startOperation('op')
    expect(id).toBe('16384')
    for (const variant of [
      ` ${id} `,
      `${id}\n`,
      `+${id}`,
      `0${id}`,
      `${id}.0`,
      '16384e0',
      '0x4000',
    ]) {
      expect(() => tracker.endOperation(variant)).toThrow(UnknownTimerError)
    }
    expect(tracker.getOperationStats('op')?.totalCount).toBe(0)
    clock.advance(2)
    expect(tracker.endOperation(id)).toBe(2)
  })
})
