import { expect, expectTypeOf, it } from 'vitest'
import { testTracker } from '../helpers/tracker.js'

// Issue 7: `new` on a wrapped function called the original without `new`: a class threw, and
// an arrow function or method ran instead of throwing.
class Shape {
  readonly kind: string
  readonly madeBy: unknown

  constructor(kind: string) {
    this.kind = kind
    this.madeBy = new.target
  }
}

it('constructs through the wrapper exactly as through the original', () => {
  const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
  const Wrapped = tracker.wrap('Shape', Shape) // typed as the class itself
  expectTypeOf(Wrapped).toEqualTypeOf<typeof Shape>()
  expect(Wrapped.prototype).toBe(Shape.prototype)
  const circle = new Wrapped('circle')
  expect(circle).toBeInstanceOf(Shape)
  expect(circle).toMatchObject({ kind: 'circle', madeBy: Shape })
  class Square extends Wrapped {}
  const square = new Square('square')
  expect(square).toBeInstanceOf(Square)
  expect(square).toBeInstanceOf(Shape)
  expect(square.madeBy).toBe(Square)
  expect(tracker.getOperationStats('Shape')).toMatchObject({ totalCount: 2, successRate: 1 })
})

it('throws a TypeError on new for a wrapped arrow function or method, as the original does', () => {
  const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
  const { method } = {
    method() {
      return 1
    },
  }
  for (const fn of [() => 1, method]) {
    const Wrapped = tracker.wrap('op', fn) as unknown as new () => unknown
    expect(() => new Wrapped()).toThrow(TypeError)
  }
  expect(tracker.getOperationStats('op')?.totalCount).toBe(0)
})
