import { expect, it } from 'vitest'
import { testTracker } from '../helpers/tracker.js'

// Issue 7: the wrapper threw where the function did not, because it called the returned
// promise's own `then` or built its result through the subclass constructor (species).
type Executor<T> = (resolve: (value: T) => void, reject: (reason: unknown) => void) => void

/** A subclass whose constructor needs a second argument: species construction throws. */
class LabelledPromise<T> extends Promise<T> {
  readonly label: string

  constructor(executor: Executor<T>, label: string) {
    if (typeof label !== 'string') throw new TypeError('a label is required')
    super(executor)
    this.label = label
  }
}

it('returns a Promise subclass with a two-argument constructor without throwing', async () => {
  const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
  const make = () => new LabelledPromise((ok) => ok(3), 'three')
  const result = tracker.wrap('labelled', make)()
  expect(result).toBeInstanceOf(LabelledPromise)
  expect(result.label).toBe('three')
  // Awaiting one runs species construction, which throws for the original too.
  await expect(make()).rejects.toThrow('a label is required')
  await expect(result).rejects.toThrow('a label is required')
  expect(tracker.getOperationStats('labelled')).toMatchObject({ totalCount: 1, successRate: 1 })
})

it('returns a native promise whose own then throws without calling it', async () => {
  const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
  const error = new Error('then is off limits')
  const wrapped = tracker.wrap('guarded', () => {
    const promise = Promise.resolve(4)
    // biome-ignore lint/suspicious/noThenProperty: an own then that throws, on purpose
    promise.then = () => {
      throw error
    }
    return promise
  })
  const result = wrapped()
  expect(() => result.then()).toThrow(error)
  expect(await result).toBe(4)
  expect(tracker.getOperationStats('guarded')).toMatchObject({ totalCount: 1, successRate: 1 })
})
