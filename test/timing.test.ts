import { createHook } from 'node:async_hooks'
import { types } from 'node:util'
import { describe, expect, it } from 'vitest'
import { createTimedFunction, type TimedTarget } from '../src/timing.js'
import { type ManualClock, manualClock } from './helpers/clock.js'

// createTimedFunction directly, with a target that records each finished call and how long after
// its start the call was finished on a manual clock: a body that advances the clock by 5 ms and
// a caller that advances it 7 ms more before the result settles tell a call recorded at return
// (5 ms) from one recorded at settlement (12 ms).

type Body = (this: unknown, ...args: unknown[]) => unknown
type Timed = (this: unknown, ...args: unknown[]) => unknown

interface Finished {
  success: boolean
  durationMs: number
}

function recorder() {
  const clock: ManualClock = manualClock()
  const finished: Finished[] = []
  const counts = { starts: 0 }
  const target: TimedTarget = {
    start() {
      counts.starts++
      return clock()
    },
    finish(startMs, success) {
      finished.push({ success, durationMs: clock() - startMs })
    },
    record(durationMs, success) {
      finished.push({ success, durationMs })
    },
  }
  return { clock, target, finished, counts }
}

const atReturn = (success = true): Finished => ({ success, durationMs: 5 })
const atSettlement = (success = true): Finished => ({ success, durationMs: 12 })

/** The two wrapper forms: a `function` is a constructor, a method is not. */
const kinds: Record<string, (body: Body) => Body> = {
  'a function': (body) =>
    function (this: unknown, ...args: unknown[]) {
      return body.apply(this, args)
    },
  'a method': (body) =>
    ({
      method(this: unknown, ...args: unknown[]) {
        return body.apply(this, args)
      },
    }).method,
}

describe.each(Object.keys(kinds))('createTimedFunction around %s', (kind) => {
  const make = kinds[kind] as (body: Body) => Body

  /** A wrapper whose body advances the clock 5 ms and then returns `value`. */
  function returning(value: unknown) {
    const r = recorder()
    const timed = createTimedFunction(
      make(() => {
        r.clock.advance(5)
        return value
      }),
      () => r.target,
    ) as Timed
    return { ...r, timed }
  }

  it('asks resolve on the first call only once it answers a target, and keeps that target', () => {
    const r = recorder()
    let asked = 0
    const timed = createTimedFunction(
      make(() => 1),
      () => {
        asked++
        return asked === 1 ? r.target : null
      },
    ) as Timed
    timed()
    timed()
    timed()
    expect(asked).toBe(1)
    expect(r.finished).toHaveLength(3)
  })

  it('calls straight through while resolve answers undefined, asking again on the next call', () => {
    const r = recorder()
    const answers = [undefined, undefined, r.target, null]
    const seen: unknown[] = []
    const timed = createTimedFunction(
      make(function (this: unknown, x: unknown) {
        return [this, x]
      }),
      (thisArg) => {
        seen.push(thisArg)
        return answers[seen.length - 1]
      },
    ) as Timed
    const receiver = { name: 'receiver' }
    for (let i = 0; i < 4; i++) {
      const [gotThis, gotX] = timed.call(receiver, i) as unknown[]
      expect(gotThis).toBe(receiver)
      expect(gotX).toBe(i)
    }
    // the third answer, a target, is kept: the fourth call is timed without asking
    expect(seen).toEqual([receiver, receiver, receiver])
    expect(r.counts.starts).toBe(2)
    expect(r.finished).toHaveLength(2)
  })

  it('calls straight through from then on when resolve answers null', () => {
    const error = new Error('boom')
    let asked = 0
    const timed = createTimedFunction(
      make(function (this: unknown, ...args: unknown[]) {
        if (args[0] === 'throw') throw error
        return [this, args.length]
      }),
      () => {
        asked++
        return null
      },
    ) as Timed
    const receiver = {}
    const [gotThis, count] = timed.call(receiver, 1, undefined) as unknown[]
    expect(gotThis).toBe(receiver)
    expect(count).toBe(2)
    let thrown: unknown
    try {
      timed('throw')
    } catch (caught) {
      thrown = caught
    }
    expect(thrown).toBe(error)
    expect(asked).toBe(1)
  })

  it.each([
    ['a number', 42],
    ['a string', 'text'],
    ['undefined', undefined],
    ['null', null],
    ['a boolean', false],
    ['a bigint', 10n],
    ['a symbol', Symbol('result')],
    ['an object', { id: 1 }],
    ['an array', [1, 2]],
    ['a function', () => 'inner'],
  ])('returns %s as it is, recording a success when the call returns', (_, value) => {
    const { timed, finished } = returning(value)
    expect(timed()).toBe(value)
    expect(finished).toEqual([atReturn()])
  })

  it.each([
    ['an Error', new Error('boom')],
    ['a string', 'text'],
    ['undefined', undefined],
    ['null', null],
    ['an object', { code: 'E_OBJECT' }],
  ])('throws %s as it is, recording a failure when the call throws', (_, value) => {
    const r = recorder()
    const timed = createTimedFunction(
      make(() => {
        r.clock.advance(5)
        throw value
      }),
      () => r.target,
    ) as Timed
    let thrown: unknown = 'nothing thrown'
    try {
      timed()
    } catch (caught) {
      thrown = caught
    }
    expect(thrown).toBe(value)
    expect(r.finished).toEqual([atReturn(false)])
  })

  it('returns a number or string as it is even when their prototypes have a then', () => {
    const { timed, finished } = returning(42)
    const text = returning('text')
    const then = () => undefined
    Object.defineProperty(Number.prototype, 'then', { value: then, configurable: true })
    Object.defineProperty(String.prototype, 'then', { value: then, configurable: true })
    try {
      expect(timed()).toBe(42)
      expect(text.timed()).toBe('text')
    } finally {
      delete (Number.prototype as { then?: unknown }).then
      delete (String.prototype as { then?: unknown }).then
    }
    expect(finished).toEqual([atReturn()])
    expect(text.finished).toEqual([atReturn()])
  })

  it('returns a promise settling as the returned one does, recording the call then', async () => {
    const error = new Error('rejected')
    const fulfilled = returning(Promise.resolve('value'))
    const rejected = returning(Promise.reject(error))
    const [value, reason] = [fulfilled.timed(), rejected.timed()] as Promise<unknown>[]
    expect(fulfilled.finished).toEqual([])
    expect(rejected.finished).toEqual([])
    fulfilled.clock.advance(7)
    rejected.clock.advance(7)
    expect(await value).toBe('value')
    await expect(reason).rejects.toBe(error)
    expect(fulfilled.finished).toEqual([atSettlement()])
    expect(rejected.finished).toEqual([atSettlement(false)])
  })

  it('returns an object thenable as it is, recording the call when it settles', async () => {
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable, on purpose
      then(resolve: (value: string) => void) {
        resolve('rows')
      },
    }
    const { timed, finished, clock } = returning(thenable)
    expect(timed()).toBe(thenable)
    expect(finished).toEqual([])
    clock.advance(7)
    expect(await thenable).toBe('rows')
    expect(finished).toEqual([atSettlement()])
  })

  it('returns a function that is a thenable as it is, recording it when it settles', async () => {
    const callable = Object.assign(() => 'called', {
      // biome-ignore lint/suspicious/noThenProperty: a callable thenable, on purpose
      then(resolve: (rows: string) => void) {
        resolve('rows')
      },
    })
    const { timed, finished, clock } = returning(callable)
    expect(timed()).toBe(callable)
    expect(finished).toEqual([])
    clock.advance(7)
    expect(await callable).toBe('rows')
    expect(callable()).toBe('called')
    expect(finished).toEqual([atSettlement()])
  })
})

describe('the wrapper as a function', () => {
  it.each([
    ['a function', function named(_a: unknown, _b: unknown) {}],
    ['a method', { method(_a: unknown, _b: unknown, _c: unknown) {} }.method],
    ['an arrow function', (_a: unknown) => undefined],
    ['a class', class Named {}],
  ])('has the name and length of %s, with the same descriptors', (_, fn) => {
    const timed = createTimedFunction(fn as Body, () => null)
    for (const key of ['name', 'length']) {
      expect(Object.getOwnPropertyDescriptor(timed, key)).toEqual(
        Object.getOwnPropertyDescriptor(fn, key),
      )
    }
  })

  it.each([
    ['an arrow function', () => 1],
    ['a method', { method() {} }.method],
  ])('of %s throws a TypeError on new, records nothing and has no prototype', (_, fn) => {
    const r = recorder()
    const Timed = createTimedFunction(fn as Body, () => r.target) as unknown as new () => unknown
    expect(() => new Timed()).toThrow(TypeError)
    expect(Object.hasOwn(Timed, 'prototype')).toBe(false)
    expect(r.counts.starts).toBe(0)
    expect(r.finished).toEqual([])
  })

  it('constructs untimed while resolve answers undefined, and from then on after null', () => {
    function Point(this: { x: unknown }, x: unknown) {
      this.x = x
    }
    const answers = [undefined, null]
    let asked = 0
    const Timed = createTimedFunction(Point as Body, () => answers[asked++]) as unknown as new (
      x: unknown,
    ) => { x: unknown }
    for (let i = 0; i < 3; i++) {
      const point = new Timed(i)
      expect(point).toBeInstanceOf(Point)
      expect(point.x).toBe(i)
    }
    expect(asked).toBe(2)
  })

  it('passes new through: the original as new.target, or the subclass that extends the wrapper', () => {
    const r = recorder()
    function Made(this: { madeBy: unknown }) {
      this.madeBy = new.target
    }
    class Shape {
      readonly madeBy: unknown
      constructor() {
        this.madeBy = new.target
      }
    }
    for (const original of [Made, Shape]) {
      type Instance = { madeBy: unknown }
      const Timed = createTimedFunction(
        original as Body,
        () => r.target,
      ) as unknown as new () => Instance
      const made = new Timed()
      expect(made).toBeInstanceOf(original)
      expect(made.madeBy).toBe(original)
      class Derived extends Timed {}
      const derived = new Derived()
      expect(derived).toBeInstanceOf(Derived)
      expect(derived.madeBy).toBe(Derived)
    }
    expect(r.finished).toHaveLength(4)
  })

  it('records a throwing constructor as a failure and rethrows the same error', () => {
    const r = recorder()
    const error = new Error('invalid')
    const Timed = createTimedFunction(
      function Failing() {
        r.clock.advance(5)
        throw error
      } as Body,
      () => r.target,
    ) as unknown as new () => object
    let thrown: unknown
    try {
      new Timed()
    } catch (caught) {
      thrown = caught
    }
    expect(thrown).toBe(error)
    expect(r.finished).toEqual([atReturn(false)])
  })

  it('times new as a sync call: a success when the constructor returns', () => {
    const r = recorder()
    const Timed = createTimedFunction(
      function Made(this: object) {
        r.clock.advance(5)
      } as Body,
      () => r.target,
    ) as unknown as new () => object
    const made = new Timed()
    expect(Object.getPrototypeOf(made)).toBe(Timed.prototype)
    expect(r.finished).toEqual([atReturn()])
  })
})

/** A wrapper of an arrow function whose body advances the clock 5 ms and returns `make()`. */
function returningEach(make: () => unknown) {
  const r = recorder()
  const timed = createTimedFunction(
    () => {
      r.clock.advance(5)
      return make()
    },
    () => r.target,
  ) as () => unknown
  return { ...r, timed }
}

/** A Promise subclass that counts how often its constructor ran. */
function countedPromise() {
  const counts = { made: 0 }
  class Counted<T> extends Promise<T> {
    constructor(
      executor: (resolve: (value: T) => void, reject: (reason: unknown) => void) => void,
    ) {
      super(executor)
      counts.made++
    }
  }
  return { Counted, counts }
}

describe('a returned native promise', () => {
  it('is followed by a derived promise that settles the same, recorded when it settles', async () => {
    let resolve: (value: unknown) => void = () => {}
    const original = new Promise((r) => {
      resolve = r
    })
    const { timed, finished, clock } = returningEach(() => original)
    const result = timed() as Promise<unknown>
    expect(types.isPromise(result)).toBe(true)
    expect(result).not.toBe(original)
    await Promise.resolve()
    expect(finished).toEqual([])
    clock.advance(7)
    const value = { id: 1 }
    resolve(value)
    expect(await result).toBe(value)
    expect(finished).toEqual([atSettlement()])
  })

  it('rejects the derived promise with the same reason, recorded as a failure', async () => {
    const error = new Error('rejected')
    let reject: (reason: unknown) => void = () => {}
    const original = new Promise((_, r) => {
      reject = r
    })
    const { timed, finished, clock } = returningEach(() => original)
    const result = timed() as Promise<unknown>
    clock.advance(7)
    reject(error)
    await expect(result).rejects.toBe(error)
    expect(finished).toEqual([atSettlement(false)])
  })

  it("carries over an async function promise's own properties only when one is enumerable", async () => {
    // The cheap path (docs/design.md, "Thenables"): a promise with no enumerable key is chained
    // with Promise.prototype.then, and its symbol-keyed or non-enumerable properties stay behind.
    const tag = Symbol('tag')
    const withHidden = () => {
      const promise = Promise.resolve(1) as Promise<number> & { [tag]?: string }
      promise[tag] = 'tagged'
      Object.defineProperty(promise, 'hidden', { value: 'hidden', enumerable: false })
      return promise
    }
    const plain = returningEach(withHidden).timed() as Promise<number> & Record<string, unknown>
    expect(Object.hasOwn(plain, tag)).toBe(false)
    expect(Object.hasOwn(plain, 'hidden')).toBe(false)
    const listed = returningEach(() => Object.assign(withHidden(), { child: 'child' })).timed() as {
      [key: string | symbol]: unknown
    }
    expect([listed.child, listed[tag], listed.hidden]).toEqual(['child', 'tagged', 'hidden'])
    expect(Object.getOwnPropertyDescriptor(listed, 'hidden')?.enumerable).toBe(false)
    expect(await plain).toBe(1)
    expect(await listed).toBe(1)
  })

  it('of a subclass is derived without running its constructor, keeping its prototype', async () => {
    const { Counted, counts } = countedPromise()
    let resolve: (value: unknown) => void = () => {}
    const original = new Counted<unknown>((r) => {
      resolve = r
    })
    const { timed, finished, clock } = returningEach(() => original)
    const result = timed() as Promise<unknown>
    expect(counts.made).toBe(1)
    expect(result).not.toBe(original)
    expect(types.isPromise(result)).toBe(true)
    expect(Object.getPrototypeOf(result)).toBe(Counted.prototype)
    expect(Object.getPrototypeOf(original)).toBe(Counted.prototype)
    expect(Object.isExtensible(result)).toBe(true)
    await Promise.resolve()
    expect(finished).toEqual([])
    clock.advance(7)
    resolve('done')
    expect(await result).toBe('done')
    expect(finished).toEqual([atSettlement()])
  })

  it('of a subclass, not extensible, is returned untouched and recorded at return', async () => {
    const { Counted, counts } = countedPromise()
    const original = Object.preventExtensions(Counted.resolve('done'))
    const { timed, finished } = returningEach(() => original)
    expect(timed()).toBe(original)
    expect(Object.getPrototypeOf(original)).toBe(Counted.prototype)
    expect(counts.made).toBe(1)
    expect(finished).toEqual([atReturn()])
    expect(await original).toBe('done')
    expect(finished).toHaveLength(1)
  })

  it('with an own then is followed with the intrinsic then, leaving its own to the caller', async () => {
    const original = Promise.resolve(1)
    let ownThenCalls = 0
    const ownThen = function (this: Promise<number>, ...args: Parameters<Promise<number>['then']>) {
      ownThenCalls++
      return Promise.prototype.then.apply(this, args)
    }
    Object.defineProperty(original, 'then', { value: ownThen, writable: true, configurable: true })
    const { timed, finished, clock } = returningEach(() => original)
    const result = timed() as Promise<number>
    expect(ownThenCalls).toBe(0)
    expect(result).not.toBe(original)
    expect(Object.getOwnPropertyDescriptor(result, 'then')?.value).toBe(ownThen)
    clock.advance(7)
    expect(await result).toBe(1)
    expect(finished).toEqual([atSettlement()])
  })

  it('with an own constructor is returned untouched and recorded as a success at return', async () => {
    // Switches off V8's promise fast paths in this process (docs/design.md): speed only.
    const original = Promise.reject(new Error('late'))
    Object.defineProperty(original, 'constructor', { value: Promise })
    const { timed, finished } = returningEach(() => original)
    expect(timed()).toBe(original)
    expect(finished).toEqual([atReturn()])
    await expect(original).rejects.toThrow('late')
    expect(finished).toHaveLength(1)
  })

  it('frozen, with own properties: the derived promise is frozen with the same ones', async () => {
    const original = Object.freeze(Object.assign(Promise.resolve(1), { child: 'child' }))
    const { timed, finished, clock } = returningEach(() => original)
    const result = timed() as typeof original
    expect(result).not.toBe(original)
    expect(Object.isFrozen(result)).toBe(true)
    expect(Object.getOwnPropertyDescriptor(result, 'child')).toEqual(
      Object.getOwnPropertyDescriptor(original, 'child'),
    )
    clock.advance(7)
    expect(await result).toBe(1)
    expect(finished).toEqual([atSettlement()])
  })

  it('not extensible, with own properties: the derived promise takes no more, and is not sealed', async () => {
    const original = Object.preventExtensions(Object.assign(Promise.resolve(1), { child: 'child' }))
    const { timed, finished, clock } = returningEach(() => original)
    const result = timed() as typeof original
    expect(result).not.toBe(original)
    expect(Object.isExtensible(result)).toBe(false)
    expect(Object.isSealed(result)).toBe(false) // its child stays configurable, as on the original
    expect(Object.getOwnPropertyDescriptor(result, 'child')).toEqual(
      Object.getOwnPropertyDescriptor(original, 'child'),
    )
    clock.advance(7)
    expect(await result).toBe(1)
    expect(finished).toEqual([atSettlement()])
  })

  it('with own properties: the derived promise takes more properties, as the original does', () => {
    const original = Object.assign(Promise.resolve(1), { child: 'child' })
    const result = returningEach(() => original).timed() as typeof original
    expect(Object.isExtensible(result)).toBe(true)
    Object.assign(result, { cancel: 'cancel' })
    expect(result).toMatchObject({ child: 'child', cancel: 'cancel' })
  })

  it('with own properties keeps its own async id under async_hooks', async () => {
    // Node keeps a promise's async ids under own symbols; copying the original's onto the derived
    // promise would make the derived one the original to promises chained on it.
    const created = new WeakMap<object, { asyncId: number; triggerAsyncId: number }>()
    const hook = createHook({
      init(asyncId, type, triggerAsyncId, resource) {
        if (type === 'PROMISE') created.set(resource as object, { asyncId, triggerAsyncId })
      },
    }).enable()
    try {
      const original = Object.assign(Promise.resolve(1), { child: 'child' })
      const result = returningEach(() => original).timed() as Promise<number>
      const next = result.then((value) => value)
      const resultId = created.get(result)?.asyncId
      expect(resultId).toBeGreaterThan(0)
      expect(resultId).not.toBe(created.get(original)?.asyncId)
      expect(created.get(next)?.triggerAsyncId).toBe(resultId)
      expect(await next).toBe(1)
    } finally {
      hook.disable()
    }
  })
})

/** A thenable whose `then` records the arguments it got and settles only when told to. */
class Recording {
  received: unknown[][] = []
  settleWith: 'resolve' | 'reject' | null = null

  // biome-ignore lint/suspicious/noThenProperty: a thenable, on purpose
  then(...args: unknown[]): void {
    this.received.push(args)
    const [onFulfilled, onRejected] = args as [(value: unknown) => void, (e: unknown) => void]
    if (this.settleWith === 'resolve') onFulfilled('value')
    else if (this.settleWith === 'reject') onRejected('reason')
  }
}

describe('a returned thenable', () => {
  it('is returned as it is and recorded at its first settlement', () => {
    const thenable = new Recording()
    const { timed, finished, clock } = returningEach(() => thenable)
    expect(timed()).toBe(thenable)
    expect(finished).toEqual([])
    clock.advance(7)
    thenable.settleWith = 'reject'
    const seen: unknown[] = []
    thenable.then(undefined, (reason: unknown) => seen.push(reason))
    thenable.settleWith = 'resolve'
    thenable.then((value: unknown) => seen.push(value))
    expect(seen).toEqual(['reason', 'value'])
    expect(finished).toEqual([atSettlement(false)])
  })

  it("passes the caller's arguments to its then: their number, non-functions, a third function", () => {
    const thenable = new Recording()
    returningEach(() => thenable).timed()
    const onRejected = () => undefined
    const third = () => undefined
    thenable.then()
    thenable.then(undefined, onRejected, third)
    thenable.then(null, 'not a function')
    const [none, some, others] = thenable.received as [unknown[], unknown[], unknown[]]
    expect(none).toEqual([])
    expect(some).toHaveLength(3)
    expect(some[0]).toBeUndefined()
    expect(typeof some[1]).toBe('function') // wrapped, to record the call when it runs
    expect(some[2]).toBe(third)
    expect(others).toEqual([null, 'not a function'])
  })

  it("passes the caller's callbacks as they are once it has settled", () => {
    const thenable = new Recording()
    returningEach(() => thenable).timed()
    thenable.settleWith = 'resolve'
    const first = () => undefined
    thenable.then(first)
    expect(thenable.received[0]?.[0]).not.toBe(first)
    const onFulfilled = () => undefined
    const onRejected = () => undefined
    thenable.then(onFulfilled, onRejected)
    expect(thenable.received[1]).toEqual([onFulfilled, onRejected])
    expect(thenable.received[1]?.[0]).toBe(onFulfilled)
    expect(thenable.received[1]?.[1]).toBe(onRejected)
  })

  it('keeps an own enumerable then enumerable', async () => {
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable, on purpose
      then(resolve: (value: number) => void) {
        resolve(1)
      },
    }
    const { timed, finished, clock } = returningEach(() => thenable)
    timed()
    expect(Object.keys(thenable)).toEqual(['then'])
    expect(Object.getOwnPropertyDescriptor(thenable, 'then')).toMatchObject({
      enumerable: true,
      writable: true,
      configurable: true,
    })
    clock.advance(7)
    expect(await thenable).toBe(1)
    expect(finished).toEqual([atSettlement()])
  })

  const settleWithOne = (resolve: (value: number) => void) => resolve(1)
  it.each([
    ['an own accessor', { get: () => settleWithOne, enumerable: true, configurable: true }],
    [
      'a read-only own',
      { value: settleWithOne, writable: false, enumerable: true, configurable: true },
    ],
    [
      'a non-configurable own',
      { value: settleWithOne, writable: true, enumerable: true, configurable: false },
    ],
  ])('with %s then keeps it as it is and is recorded at return', async (_, descriptor) => {
    const thenable = {}
    Object.defineProperty(thenable, 'then', descriptor)
    const { timed, finished } = returningEach(() => thenable)
    expect(timed()).toBe(thenable)
    expect(finished).toEqual([atReturn()])
    expect(Object.getOwnPropertyDescriptor(thenable, 'then')).toEqual(descriptor)
    expect(await thenable).toBe(1)
    expect(finished).toHaveLength(1)
  })

  it('returned again before it settles is patched once, each call recorded at settlement', () => {
    const thenable = new Recording()
    const { timed, finished, clock } = returningEach(() => thenable)
    timed() // starts at 1000, returns at 1005
    const patched = Object.getOwnPropertyDescriptor(thenable, 'then')?.value
    timed() // starts at 1005, returns at 1010
    expect(Object.getOwnPropertyDescriptor(thenable, 'then')?.value).toBe(patched)
    expect(finished).toEqual([])
    clock.advance(7)
    thenable.settleWith = 'resolve'
    thenable.then(() => undefined)
    // the first call waited from its start, 5 ms before the second one's
    expect(finished).toEqual([{ success: true, durationMs: 17 }, atSettlement()])
    expect(thenable.received).toHaveLength(1)
  })

  it('holds at most 64 calls waiting; later ones are recorded as they return', () => {
    const thenable = new Recording()
    const { timed, finished, clock } = returningEach(() => thenable)
    for (let i = 0; i < 64; i++) timed()
    expect(finished).toEqual([])
    timed()
    timed()
    expect(finished).toEqual([atReturn(), atReturn()])
    clock.advance(7)
    thenable.settleWith = 'resolve'
    thenable.then(() => undefined)
    expect(finished).toHaveLength(66)
    expect(finished.slice(2).every((call) => call.success)).toBe(true)
  })

  it('that is a Proxy is recorded at return, running none of its traps but the then read', () => {
    const trapped: string[] = []
    const settleWithOne = (resolve: (value: number) => void) => resolve(1)
    const thenable = new Proxy({} as { then?: unknown }, {
      get: (_, key) => {
        trapped.push(`get ${String(key)}`)
        return key === 'then' ? settleWithOne : undefined
      },
      defineProperty: () => {
        trapped.push('defineProperty')
        return true
      },
      getOwnPropertyDescriptor: () => {
        trapped.push('getOwnPropertyDescriptor')
        return undefined
      },
    })
    const { timed, finished } = returningEach(() => thenable)
    expect(timed()).toBe(thenable)
    expect(trapped).toEqual(['get then'])
    expect(finished).toEqual([atReturn()])
  })

  it('frozen, with an inherited then, is recorded at return', async () => {
    const thenable = new Recording()
    thenable.settleWith = 'resolve'
    Object.freeze(thenable)
    const { timed, finished } = returningEach(() => thenable)
    expect(timed()).toBe(thenable)
    expect(finished).toEqual([atReturn()])
    expect(Object.hasOwn(thenable, 'then')).toBe(false)
    expect(await (thenable as unknown as PromiseLike<string>)).toBe('value')
    expect(finished).toHaveLength(1)
  })
})
