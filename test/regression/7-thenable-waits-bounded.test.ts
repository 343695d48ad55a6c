import { expect, it } from 'vitest'
import { testTracker } from '../helpers/tracker.js'

// Issue 7 review: a chainable thenable returned again and again, never awaited, held every call
// waiting for its settlement: memory grew with the number of calls.
it('times calls beyond 64 waiting on one thenable as they return', async () => {
  const { tracker } = testTracker({ baselineSamples: 10, windowSize: 1000 })
  class Query {
    // biome-ignore lint/suspicious/noThenProperty: a lazy query builder is a thenable
    then(resolve: (value: number) => void) {
      resolve(1)
    }
  }
  const query = new Query()
  const where = tracker.wrap('where', () => query)
  for (let i = 0; i < 1000; i++) expect(where()).toBe(query)
  expect(tracker.getOperationStats('where')?.totalCount).toBe(1000 - 64)
  expect(await query).toBe(1)
  expect(tracker.getOperationStats('where')?.totalCount).toBe(1000)
})
