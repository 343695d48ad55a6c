import { AsyncLocalStorage } from 'node:async_hooks'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { types } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { PerformanceTracker } from '../../src/index.js'
import { testTracker } from '../helpers/tracker.js'

// The product promise: perfwatch never changes the monitored call. Every case calls the same
// body unwrapped and timed, in the three forms that time a call, and checks that the caller gets
// exactly what the body produced: the same value or error (the same object), for a native promise
// a promise that settles the same with the same own properties and prototype, and the samples.

// Services mostly run with AsyncLocalStorage on (OpenTelemetry, request contexts, StageTracker's
// currentStage), and Node then gives every new promise own symbols of its own: this file runs
// with it on; test/timing.test.ts covers the same paths with it off.
// (A store of undefined would not turn it on.)
new AsyncLocalStorage<number>().run(1, () => undefined)

type Body = (this: unknown, ...args: unknown[]) => unknown

/** One side of a comparison: how to call it, and the `this` its body must see. */
interface Subject {
  receiver: unknown
  call(...args: unknown[]): unknown
}
type Form = (tracker: PerformanceTracker, body: Body) => { plain: Subject; timed: Subject }
interface Fixture {
  definePassthrough(
    tracker: PerformanceTracker,
    body: Body,
  ): { Plain: new () => { run: Body }; Timed: new () => { run: Body } }
}

// The fixtures are compiled by tsc in global-setup.ts, once per decorator mode.
async function decoratedForm(mode: 'legacy' | 'standard'): Promise<Form> {
  const url = new URL(`../fixtures/decorators/out/${mode}/passthrough.js`, import.meta.url).href
  const fixture = (await import(url)) as Fixture
  return (tracker, body) => {
    const { Plain, Timed } = fixture.definePassthrough(tracker, body)
    const plain = new Plain()
    const timed = new Timed()
    return {
      plain: { receiver: plain, call: (...args) => plain.run(...args) },
      timed: { receiver: timed, call: (...args) => timed.run(...args) },
    }
  }
}

const forms: Record<string, Form> = {
  wrap: (tracker, body) => {
    const receiver = { name: 'receiver' }
    const timed = tracker.wrap('passthrough', body)
    return {
      plain: { receiver, call: (...args) => body.apply(receiver, args) },
      timed: { receiver, call: (...args) => timed.apply(receiver, args) },
    }
  },
  legacy: await decoratedForm('legacy'),
  standard: await decoratedForm('standard'),
}

/** What the body did in one call, and what that call gave its caller. */
interface Run {
  seenThis: unknown
  argumentCount: number
  produced: { threw: boolean; value: unknown }
  got: { threw: boolean; value: unknown }
}

/** Calls `side(body)` with `args`, recording what `body` saw and produced. */
function run(side: (body: Body) => Subject, body: Body, args: unknown[]): Run & Subject {
  const seen = { seenThis: undefined as unknown, argumentCount: -1 }
  let produced = { threw: false, value: undefined as unknown }
  const subject = side(function (this: unknown, ...inner: unknown[]) {
    seen.seenThis = this
    seen.argumentCount = inner.length
    try {
      produced = { threw: false, value: body.apply(this, inner) }
    } catch (error) {
      produced = { threw: true, value: error }
    }
    if (produced.threw) throw produced.value
    return produced.value
  })
  let got: Run['got']
  try {
    got = { threw: false, value: subject.call(...args) }
  } catch (error) {
    got = { threw: true, value: error }
  }
  return { ...subject, ...seen, produced, got }
}

/** How a value settles for a caller that awaits it. */
async function settle(value: unknown): Promise<{ status: string; value: unknown }> {
  try {
    return { status: 'fulfilled', value: await value }
  } catch (reason) {
    return { status: 'rejected', value: reason }
  }
}

interface Case {
  name: string
  /** A new body per form, so stateful bodies start afresh. */
  body: () => Body
  args?: unknown[]
  /** Samples recorded once the caller has awaited the result. */
  samples: { count: number; successRate: number }
  /** Samples when a result other than a native promise is returned (default: `samples.count`). */
  samplesAtReturn?: number
  /** The body makes a new object per call, so only the timed call's own can be compared. */
  isFresh?: boolean
  /** The settled reason is made afresh by each observation (species construction throws). */
  isReasonFresh?: boolean
  /** More checks on the timed result; `awaitBoth` awaits it and the unwrapped one. */
  check?: (result: unknown, awaitBoth: () => Promise<void>) => Promise<void> | void
}

class ValidationError extends TypeError {}
const error = new Error('boom')
const typeError = new ValidationError('bad input')
const object = { id: 1 }
const fn = () => 'inner'
const symbol = Symbol('thrown')
const thrownObject = { code: 'E_OBJECT' }

const returns =
  (value: unknown): Body =>
  () =>
    value
const throws =
  (value: unknown): Body =>
  () => {
    throw value
  }
const throwingThen = throws(typeError)
const ok = { count: 1, successRate: 1 }
const failed = { count: 1, successRate: 0 }

/** A lazy builder, as knex and mongoose return: runs only when `then` is called. */
class Query {
  reads = 0
  calls = 0
  where(): this {
    return this
  }
  // biome-ignore lint/suspicious/noThenProperty: a lazy thenable, as query builders are
  get then() {
    this.reads++
    return (resolve: (rows: unknown) => void) => {
      this.calls++
      resolve(object)
    }
  }
}

type Executor = (resolve: (value: unknown) => void, reject: (reason: unknown) => void) => void
class SubPromise extends Promise<unknown> {
  extra(): string {
    return 'subclass method'
  }
}
class LabelledPromise extends Promise<unknown> {
  label: string
  constructor(executor: Executor, label: string) {
    if (typeof label !== 'string') throw new TypeError('a label is required')
    super(executor)
    this.label = label
  }
}
const kTag = Symbol('tag')

const cases: Case[] = [
  { name: 'returns a number', body: () => returns(42), samples: ok },
  { name: 'returns a string', body: () => returns('text'), samples: ok },
  { name: 'returns undefined', body: () => returns(undefined), samples: ok },
  { name: 'returns null', body: () => returns(null), samples: ok },
  { name: 'returns an object', body: () => returns(object), samples: ok },
  { name: 'returns a function', body: () => returns(fn), samples: ok },
  { name: 'returns a symbol', body: () => returns(symbol), samples: ok },
  { name: 'throws an Error', body: () => throws(error), samples: failed },
  { name: 'throws a TypeError subclass', body: () => throws(typeError), samples: failed },
  { name: 'throws a string', body: () => throws('text'), samples: failed },
  { name: 'throws undefined', body: () => throws(undefined), samples: failed },
  { name: 'throws null', body: () => throws(null), samples: failed },
  { name: 'throws an object', body: () => throws(thrownObject), samples: failed },
  { name: 'throws a symbol', body: () => throws(symbol), samples: failed },
  {
    name: 'sees this and every argument',
    isFresh: true,
    body: () =>
      function (this: unknown, ...args: unknown[]) {
        return [this, args.length]
      },
    args: [undefined, 2, undefined],
    samples: ok,
  },
  { name: 'resolves an object', body: () => async () => object, samples: ok },
  {
    name: 'rejects with an Error',
    body: () => async () => {
      throw error
    },
    samples: failed,
  },
  {
    name: 'rejects with a non-Error',
    body: () => async () => {
      throw thrownObject
    },
    samples: failed,
  },
  { name: 'rejects with undefined', body: () => () => Promise.reject(undefined), samples: failed },
  {
    name: 'returns a native promise with own properties',
    body: () => () => {
      const promise = Object.assign(Promise.resolve(object), { child: fn, [kTag]: 'tagged' })
      Object.defineProperty(promise, 'hidden', { value: 1, enumerable: false })
      return promise
    },
    samples: ok,
    check: (result) => {
      expect((result as { child: unknown }).child).toBe(fn)
    },
  },
  {
    name: 'returns a native promise whose own then throws',
    body: () => () => {
      const promise = Promise.reject(error)
      Object.defineProperty(promise, 'then', { value: throwingThen })
      return promise
    },
    samples: failed,
    check: (result) => {
      expect(() => (result as Promise<unknown>).then()).toThrow(typeError)
    },
  },
  {
    name: 'returns a Promise subclass',
    body: () => () => SubPromise.resolve(object),
    samples: ok,
    check: (result) => {
      expect((result as SubPromise).extra()).toBe('subclass method')
    },
  },
  {
    name: 'returns a Promise subclass whose constructor takes two arguments',
    body: () => () => new LabelledPromise((resolve) => resolve(object), 'label'),
    samples: ok,
    isReasonFresh: true,
  },
  {
    name: 'returns a lazy chainable thenable',
    isFresh: true,
    body: () => () => new Query(),
    samples: ok,
    samplesAtReturn: 0,
    check: async (result, awaitBoth) => {
      const query = result as Query
      expect(query.where()).toBe(query)
      expect(query.calls).toBe(0)
      await awaitBoth()
      expect({ reads: query.reads, calls: query.calls }).toEqual({ reads: 1, calls: 1 })
    },
  },
  {
    name: 'returns a thenable that settles three times',
    isFresh: true,
    body: () => () => ({
      // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose
      then(resolve: (value: unknown) => void, reject: (reason: unknown) => void) {
        resolve(object)
        reject(error)
        resolve(fn)
      },
    }),
    samples: ok,
    samplesAtReturn: 0,
    check: (result) => {
      const seen: unknown[] = []
      ;(result as PromiseLike<unknown>).then(
        (value) => seen.push(value),
        (reason) => seen.push(reason),
      )
      expect(seen).toEqual([object, error, fn])
    },
  },
  {
    name: 'returns a thenable that rejects',
    isFresh: true,
    body: () => () => ({
      // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose
      then(_: unknown, reject: (reason: unknown) => void) {
        reject(error)
      },
    }),
    samples: failed,
    samplesAtReturn: 0,
  },
  {
    name: 'returns a thenable whose then throws',
    isFresh: true,
    body: () => () => ({
      // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose
      then() {
        throw error
      },
    }),
    samples: failed,
    samplesAtReturn: 0,
  },
  {
    name: 'returns an object whose then getter throws',
    isFresh: true,
    body: () => () => ({
      // biome-ignore lint/suspicious/noThenProperty: a throwing getter on purpose
      get then() {
        throw error
      },
    }),
    samples: ok,
    samplesAtReturn: 1,
  },
  {
    name: 'returns a Proxy thenable',
    isFresh: true,
    body: () => () =>
      new Proxy(
        {},
        {
          get: (_, key) => (key === 'then' ? (resolve: (v: unknown) => void) => resolve(1) : 0),
        },
      ),
    samples: ok,
    samplesAtReturn: 1,
  },
  {
    name: 'returns a frozen thenable',
    isFresh: true,
    body: () => () =>
      Object.freeze({
        // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose
        then(resolve: (value: unknown) => void) {
          resolve(object)
        },
      }),
    samples: ok,
    samplesAtReturn: 1,
  },
]

/**
 * Own keys and descriptors a caller can read, apart from those the runtime gives every new
 * promise: under AsyncLocalStorage or async_hooks, Node keeps each promise's async ids and store
 * under own symbols, which differ from promise to promise (test/regression/12-frozen-promise-…).
 */
const ownProperties = (value: object) => {
  const runtimeKeys = new Set(Reflect.ownKeys(Promise.resolve()))
  return Reflect.ownKeys(value)
    .filter((key) => !runtimeKeys.has(key))
    .map((key) => [key, Object.getOwnPropertyDescriptor(value, key)])
}

describe.each(Object.keys(forms))('a call timed with %s', (formName) => {
  const form = forms[formName] as Form

  it.each(cases)('$name: the caller gets exactly what the body produced', async (c) => {
    const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
    const samples = () => tracker.getOperationStats('passthrough')?.totalCount
    const args = c.args ?? []
    const plain = run((body) => form(tracker, body).plain, c.body(), args)
    const timed = run((body) => form(tracker, body).timed, c.body(), args)

    expect(plain.seenThis).toBe(plain.receiver)
    expect(timed.seenThis).toBe(timed.receiver)
    expect(timed.argumentCount).toBe(plain.argumentCount)
    expect(timed.got.threw).toBe(plain.got.threw)
    expect(timed.got.threw).toBe(timed.produced.threw)
    const result = timed.got.value
    const produced = timed.produced.value
    if (types.isPromise(produced)) {
      // A native promise: a derived one, settling the same, with the same members.
      expect(types.isPromise(result)).toBe(true)
      expect(Object.getPrototypeOf(result)).toBe(Object.getPrototypeOf(produced))
      expect(ownProperties(result as object)).toEqual(ownProperties(produced))
      expect(ownProperties(result as object)).toEqual(ownProperties(plain.got.value as object))
      await c.check?.(result, async () => undefined)
      const [got, original, unwrapped] = await Promise.all(
        [result, produced, plain.got.value].map(settle),
      )
      expect(got?.status).toBe(original?.status)
      expect(got?.status).toBe(unwrapped?.status)
      if (c.isReasonFresh) expect(got?.value).toEqual(original?.value)
      else expect(got?.value).toBe(original?.value)
    } else {
      // Anything else, thrown or returned: the same value.
      expect(result).toBe(produced)
      if (!c.isFresh) expect(result).toBe(plain.got.value)
      expect(samples()).toBe(c.samplesAtReturn ?? c.samples.count)
      const awaitBoth = async () => {
        const [got, unwrapped] = await Promise.all([result, plain.got.value].map(settle))
        expect(got?.status).toBe(unwrapped?.status)
        if (!c.isFresh) expect(got?.value).toBe(unwrapped?.value)
      }
      if (c.check) await c.check(result, awaitBoth)
      else if (!timed.got.threw) await awaitBoth()
    }
    expect(tracker.getOperationStats('passthrough')).toMatchObject({
      totalCount: c.samples.count,
      successRate: c.samples.successRate,
    })
  })
})

describe.each(['legacy', 'standard'])('a method decorated in %s mode', (formName) => {
  it('throws a TypeError on new, as the undecorated method does', () => {
    const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
    const { plain, timed } = (forms[formName] as Form)(tracker, returns(object))
    for (const subject of [plain, timed]) {
      const method = (subject.receiver as { run: unknown }).run as new () => unknown
      expect(() => new method()).toThrow(TypeError)
    }
    expect(tracker.getOperationStats('passthrough')?.totalCount ?? 0).toBe(0)
  })
})

describe('a thenable returned again before it settles', () => {
  it('is patched once, and each call is recorded at its settlement', async () => {
    const { tracker, clock } = testTracker({ baselineSamples: 10, windowSize: 100 })
    const query = new Query()
    const chain = tracker.wrap('passthrough', () => query)
    chain()
    clock.advance(2)
    chain()
    const patched = Object.getOwnPropertyDescriptor(query, 'then')
    expect(patched).toMatchObject({ enumerable: false, writable: true, configurable: true })
    clock.advance(3)
    expect(await query).toBe(object)
    expect({ reads: query.reads, calls: query.calls }).toEqual({ reads: 1, calls: 1 })
    expect(tracker.getOperationStats('passthrough')).toMatchObject({
      totalCount: 2,
      recentMax: 5,
      recentMin: 3,
    })
  })
})

describe('new on a wrapped function', () => {
  function Point(this: { x: unknown; madeBy: unknown }, x: unknown) {
    this.x = x
    this.madeBy = new.target
  }
  class Shape {
    readonly madeBy: unknown
    constructor() {
      this.madeBy = new.target
    }
  }

  it.each([
    ['a function', Point],
    ['a class', Shape],
  ])('constructs %s as the original does, new.target and subclasses included', (_, original) => {
    const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
    type Made = { madeBy: unknown }
    const Original = original as unknown as new (x?: unknown) => Made
    const Wrapped = tracker.wrap('passthrough', original as () => unknown) as unknown as new (
      x?: unknown,
    ) => Made
    expect(Wrapped.prototype).toBe(Original.prototype)
    const made = new Wrapped(1)
    expect(made).toBeInstanceOf(Original)
    expect(made).toEqual(new Original(1))
    expect(made.madeBy).toBe(Original)
    class Derived extends Wrapped {}
    const derived = new Derived(2)
    expect(derived).toBeInstanceOf(Derived)
    expect(derived).toBeInstanceOf(Original)
    expect(derived.madeBy).toBe(Derived)
    expect(tracker.getOperationStats('passthrough')).toMatchObject({
      totalCount: 2,
      successRate: 1,
    })
  })

  it('records a throwing constructor as a failure and re-throws the same error', () => {
    const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
    const Failing = tracker.wrap('passthrough', function failing() {
      throw error
    }) as unknown as new () => unknown
    expect(() => new Failing()).toThrow(error)
    expect(tracker.getOperationStats('passthrough')?.errorRate).toBe(1)
  })

  it.each([
    ['an arrow function', () => 1],
    ['a method', { method() {} }.method],
    ['an async function', async () => 1],
  ])('throws a TypeError for %s, as the original does', (_, original) => {
    const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
    const Wrapped = tracker.wrap('passthrough', original) as unknown as new () => unknown
    expect(() => new (original as unknown as new () => unknown)()).toThrow(TypeError)
    expect(() => new Wrapped()).toThrow(TypeError)
    expect(Object.hasOwn(Wrapped, 'prototype')).toBe(false)
  })
})

describe('in a process of its own', () => {
  it('a rejection reaches unhandledRejection, with the same reason, only when ignored', () => {
    const script = fileURLToPath(new URL('../fixtures/unhandled-rejection.mjs', import.meta.url))
    const output = execFileSync(process.execPath, [script], { encoding: 'utf8' })
    const result = JSON.parse(output) as Record<string, Record<string, unknown>>
    const expected = { unhandled: 1, isSameReason: true }
    for (const form of ['unwrapped', 'wrap', 'legacy', 'standard']) {
      expect(result[form]).toEqual({ async: expected, ownProperty: expected, subclass: expected })
    }
  })

  it("leaves V8's promise fast paths on: no protector is invalidated", () => {
    // Defining `constructor` or `then` on a promise switches them off for the whole process.
    const script = [
      "import { PerformanceTracker } from 'perfwatch'",
      'const tracker = new PerformanceTracker({ storagePath: null })',
      'class SubPromise extends Promise {}',
      'class Query { then(resolve) { resolve(1) } }',
      "await tracker.wrap('subclass', () => SubPromise.resolve(1))()",
      "await tracker.wrap('property', () => Object.assign(Promise.resolve(1), { child: 1 }))()",
      "await tracker.wrap('async', async () => 1)()",
      "await tracker.wrap('lazy', () => new Query())()",
      "console.log('done')",
    ].join('\n')
    const output = execFileSync(
      process.execPath,
      ['--trace-protector-invalidation', '--input-type=module', '-e', script],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    )
    expect(output).toBe('done\n')
  })
})
