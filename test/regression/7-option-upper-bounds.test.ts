import { describe, expect, it } from 'vitest'
import { InvalidOptionError, PerformanceTracker, type TrackerOptions } from '../../src/index.js'

// Issue 7, item 9: numeric options had no upper bound: windowSize 2^32 passed and the first
// record threw an uncoded RangeError; saveDelayMs 3e9 overflowed setTimeout and became 1 ms.
const create = (options: TrackerOptions) =>
  new PerformanceTracker({ storagePath: null, ...options })

describe('every numeric option has an upper bound', () => {
  it.each<[keyof TrackerOptions, number, number]>([
    ['windowSize', 1_000_000, 1_000_001],
    ['maxOpenTimers', 2 ** 20, 2 ** 20 + 1],
    ['maxOperations', 100_000, 100_001],
    ['saveDelayMs', 3_600_000, 3_600_001],
    ['warningIntervalMs', 86_400_000, 86_400_001],
    ['detectionSamples', 100_000, 100_001],
    ['refreshSamples', 1e9, 1e9 + 1],
    ['stdDevThreshold', 100, 100.5],
    ['detectionToleranceMs', 60_000, 60_000.5],
    ['maxFileBytes', 2 ** 31 - 1, 2 ** 31],
  ])('%s: %d is accepted, %d is an InvalidOptionError', (name, highest, tooHigh) => {
    expect(() => create({ [name]: highest })).not.toThrow()
    expect(() => create({ [name]: tooHigh })).toThrow(InvalidOptionError)
    expect(() => create({ [name]: tooHigh })).toThrow(new RegExp(`^${name} must be at most`))
  })

  it('rejects the values that used to fail later', () => {
    expect(() => create({ windowSize: 2 ** 32 })).toThrow(InvalidOptionError)
    expect(() => create({ saveDelayMs: 3e9 })).toThrow(InvalidOptionError)
  })

  it('maxFileBytes is an integer from 1,024', () => {
    expect(() => create({ maxFileBytes: 1024 })).not.toThrow()
    expect(() => create({ maxFileBytes: 1023 })).toThrow(/^maxFileBytes must be an integer >= 1024/)
    expect(() => create({ maxFileBytes: 2048.5 })).toThrow(InvalidOptionError)
  })
})
