import { expect, it } from 'vitest'
import { testTracker } from '../helpers/tracker.js'

// Issue 7: a thenable that called its resolve callback three times recorded three samples, and
// perfwatch read `then` twice before the caller read it.
class Repeating {
  thenReads = 0

  // biome-ignore lint/suspicious/noThenProperty: a thenable that settles three times, on purpose
  get then() {
    this.thenReads++
    return (resolve: (value: number) => void) => {
      resolve(1)
      resolve(2)
      resolve(3)
    }
  }
}

it('records one sample for a thenable that settles three times', async () => {
  const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
  const thenable = {
    // biome-ignore lint/suspicious/noThenProperty: a thenable that settles three times, on purpose
    then(resolve: (value: number) => void, reject: (reason: unknown) => void) {
      resolve(1)
      reject(new Error('late'))
      resolve(3)
    },
  }
  expect(await tracker.wrap('repeat', () => thenable)()).toBe(1)
  expect(tracker.getOperationStats('repeat')).toMatchObject({ totalCount: 1, successRate: 1 })
})

it('reads then once, before the caller reads it', async () => {
  const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
  const repeating = new Repeating()
  const result = tracker.wrap('repeat', () => repeating)()
  expect(repeating.thenReads).toBeLessThanOrEqual(1)
  expect(await result).toBe(1)
  expect(repeating.thenReads).toBe(1)
  expect(tracker.getOperationStats('repeat')).toMatchObject({ totalCount: 1, successRate: 1 })
})
