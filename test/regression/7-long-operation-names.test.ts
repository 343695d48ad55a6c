import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../../src/index.js'
import { testTracker } from '../helpers/tracker.js'

// Issue 7, item 7: names had no length limit; 300 names of 1 MB made every save fail.
const longest = 'x'.repeat(1024)
const tooLong = 'x'.repeat(1025)

describe('operation names', () => {
  it('may have up to 1,024 characters; a longer new name is an InvalidArgumentError', () => {
    const { tracker } = testTracker()
    tracker.record(longest, 1)
    expect(() => tracker.record(tooLong, 1)).toThrow(InvalidArgumentError)
    expect(() => tracker.record(tooLong, 1)).toThrow(/at most 1024 characters/)
    expect(() => tracker.startOperation(tooLong)).toThrow(InvalidArgumentError)
    expect(() => tracker.wrap(tooLong, () => 1)).toThrow(InvalidArgumentError)
    expect(() => tracker.timeOperation(tooLong)).toThrow(InvalidArgumentError)
    expect(tracker.getSystemSummary().trackedOperations).toEqual([longest])
  })

  it('a decorated method whose default name is too long runs untimed, with a coded warning', async () => {
    const { tracker } = testTracker()
    class Service {}
    const key = 'm'.repeat(1100)
    const descriptor: PropertyDescriptor = { value: () => 42, writable: true, configurable: true }
    tracker.timeOperation()(Service.prototype, key, descriptor) // legacy decorator call
    Object.defineProperty(Service.prototype, key, descriptor)
    const service = new Service() as Record<string, () => number>
    const warnings: Error[] = []
    const onWarning = (warning: Error) => warnings.push(warning)
    process.on('warning', onWarning)
    try {
      expect(service[key]?.()).toBe(42)
      await new Promise((resolve) => setImmediate(resolve)) // warnings are emitted on next tick
    } finally {
      process.off('warning', onWarning)
    }
    expect(tracker.getSystemSummary().trackedOperations).toEqual([])
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual([
      'PERFWATCH_UNTIMED_METHOD',
    ])
  })
})
