import { expect, it } from 'vitest'
import { InvalidOptionError, PerformanceTracker, type TrackerOptions } from '../../src/index.js'

// Issue 11 (found by tests written for surviving mutants): `watchProcess: null` silently meant
// the default, although only undefined does (null is a value, taken by storagePath alone); and
// `windowSize: 1` passed its own check but could never hold a baseline (at least 2 samples).
const create = (options: TrackerOptions) =>
  new PerformanceTracker({ storagePath: null, ...options }).close()

it('refuses watchProcess: null, naming the option', () => {
  expect(() => create({ watchProcess: null as unknown as boolean })).toThrow(
    new InvalidOptionError('watchProcess', 'a boolean', null),
  )
})

it('refuses a window of 1 sample by its own bound, and takes 2', () => {
  expect(() => create({ windowSize: 1, baselineSamples: 2 })).toThrow(
    'windowSize must be an integer >= 2, got 1',
  )
  expect(() => create({ windowSize: 2, baselineSamples: 2, watchProcess: false })).not.toThrow()
})
