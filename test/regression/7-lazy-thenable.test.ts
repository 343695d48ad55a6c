import { expect, it } from 'vitest'
import { testTracker } from '../helpers/tracker.js'

// Issue 7: a lazy thenable (a knex or mongoose query builder) came back started and replaced by
// a native promise, so `.where()` after the call was undefined.
class Query {
  thenCalls = 0

  where(): this {
    return this
  }

  // biome-ignore lint/suspicious/noThenProperty: a lazy thenable, as query builders are
  then(onFulfilled: (rows: number) => unknown): unknown {
    this.thenCalls++
    return onFulfilled(1)
  }
}

it('returns a lazy thenable as the same object and leaves starting it to the caller', async () => {
  const { tracker, clock } = testTracker({ baselineSamples: 10, windowSize: 100 })
  let built: Query | undefined
  const query = tracker.wrap('q', () => {
    built = new Query()
    return built
  })()
  expect(query).toBe(built)
  expect(query.where()).toBe(query)
  expect(query.thenCalls).toBe(0)
  expect(tracker.getOperationStats('q')?.totalCount).toBe(0)
  clock.advance(5)
  expect(await query.where()).toBe(1)
  expect(query.thenCalls).toBe(1)
  expect(tracker.getOperationStats('q')).toMatchObject({ totalCount: 1, recentMean: 5 })
})
