import { describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  InvalidOptionError,
  PerformanceTracker,
  type RecordOptions,
  type TrackerOptions,
  timeOperation,
} from '../../src/index.js'
import { testTracker } from '../helpers/tracker.js'

// Issue 7, item 4: endOperation(id, false), record(name, ms, false) and record(name, ms, 'oops')
// silently recorded a success; an array passed as options was accepted.
// Each case in its own array: it.each spreads array cases into arguments.
const notOptions = [false, true, 'oops', 0, null, [], [{ success: false }]].map((o) => [o])

describe('options that are not an object', () => {
  it.each(notOptions)('endOperation(id, %o) throws and leaves the timer open', (options) => {
    const { tracker, clock } = testTracker()
    const id = tracker.startOperation('op')
    expect(() => tracker.endOperation(id, options as RecordOptions)).toThrow(InvalidArgumentError)
    expect(tracker.getOperationStats('op')?.totalCount).toBe(0)
    clock.advance(3)
    expect(tracker.endOperation(id)).toBe(3)
  })

  it.each(notOptions)('record(name, ms, %o) throws and records nothing', (options) => {
    const { tracker } = testTracker()
    tracker.record('op', 1)
    expect(() => tracker.record('op', 2, options as RecordOptions)).toThrow(InvalidArgumentError)
    expect(() => tracker.record('new', 2, options as RecordOptions)).toThrow(InvalidArgumentError)
    expect(tracker.getOperationStats('op')?.totalCount).toBe(1)
    expect(tracker.getOperationStats('new')).toBeUndefined()
  })

  it('rejects metadata that is not an object', () => {
    const { tracker } = testTracker()
    const meta = 'user 7' as unknown as Record<string, unknown>
    expect(() => tracker.startOperation('op', meta)).toThrow(InvalidArgumentError)
    const id = tracker.startOperation('op')
    expect(() => tracker.endOperation(id, { metadata: meta })).toThrow(InvalidArgumentError)
    expect(() => tracker.record('op', 1, { metadata: [] as never })).toThrow(InvalidArgumentError)
    expect(tracker.getOperationStats('op')?.totalCount).toBe(0)
  })

  it.each([[[]], ['options'], [5], [null]])('new PerformanceTracker(%o) throws', (options) => {
    expect(() => new PerformanceTracker(options as TrackerOptions)).toThrow(InvalidOptionError)
  })

  it.each([[[]], ['x'], [5], [null]])('timeOperation(name, %o) throws', (options) => {
    expect(() => timeOperation('op', options as never)).toThrow(InvalidArgumentError)
  })
})
