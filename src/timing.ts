// biome-ignore-all lint/complexity/noArguments: `Reflect.apply(fn, this, arguments)` is the allocation-free pass-through (see createTimedFunction)
/**
 * The one timing wrapper behind `wrap()` and both decorator modes: two clock reads around the
 * user's call, nothing else on the caller's path. perfwatch's own failures never reach the
 * caller: the target swallows and reports them, and the user's result, error and `this` pass
 * through unchanged (docs/design.md, "Thenables", says how each kind of result is timed).
 */
import { types } from 'node:util'

/** Where a timed function records; implemented by the tracker per operation. Never throws. */
export interface TimedTarget {
  /** Reads the clock; NaN when the clock failed (the call is then not recorded). */
  start(): number
  /** Records the call that started at `startMs`. */
  finish(startMs: number, success: boolean): void
  /**
   * Records a call timed elsewhere that ends now: `durationMs` is one `isDuration` accepts (the
   * caller checked it). What the HTTP adapters record each request through, resolved once per
   * route, so a request pays no name lookup or option check.
   */
  record(durationMs: number, success: boolean): void
}

/**
 * Where a decorator gets its targets from: a tracker. Declared here, not imported from the
 * tracker, so decorators.ts and tracker.ts do not import each other.
 */
export interface TimingSource {
  readonly enabled: boolean
  /** The target recording calls of `operation`; `null` when they are not timed. */
  timedTarget(operation: string): TimedTarget | null
}

/**
 * Resolves where calls are recorded, on the first call that can tell: a target, `null` to call
 * straight through from now on (disabled tracker), or `undefined` to call this one call through
 * untimed and ask again next time.
 */
export type ResolveTarget = (thisArg: unknown) => TimedTarget | null | undefined

// biome-ignore lint/suspicious/noExplicitAny: wraps functions of any signature
type AnyFunction = (this: any, ...args: any[]) => any

const { isPromise, isProxy } = types
// The intrinsics, even where the global `Promise` was replaced (bluebird): an async function
// always returns a native promise.
const nativePrototype: Promise<unknown> = Object.getPrototypeOf((async () => {})())
const nativeThen = nativePrototype.then

/**
 * Returns a function that times each call of `fn`: sync calls until they return or throw, a
 * returned native promise until it settles, a returned thenable until the first settlement after
 * the caller calls its `then`. A throw or rejection is recorded as a failure. `this`, the
 * arguments, the thrown error and any returned value other than a native promise pass through as
 * they are; `new` works as on `fn`; the wrapper has `fn`'s `name`, `length` and `prototype`.
 */
export function createTimedFunction<F extends AnyFunction>(fn: F, resolve: ResolveTarget): F {
  // Stays undefined while `resolve` answers undefined: the next call asks again.
  let target: TimedTarget | null | undefined
  // `Reflect.apply(fn, this, arguments)` is kept over rest parameters: V8 passes `arguments`
  // through without materialising an array, so the wrapper allocates nothing per call. The two
  // forms repeat the body because only `function` syntax makes a constructor: other functions
  // get a method, which, like the arrow functions and methods it wraps, throws on `new`. Moving
  // the shared tail (time the returned object, or finish) into a helper measured 5-10 % slower
  // per wrapped call (npm run bench, hotpath, 2026-11-23), so it is repeated too.
  const timed: AnyFunction = isConstructor(fn)
    ? function (this: unknown): unknown {
        if (target === undefined) target = resolve(this)
        const t = target
        if (new.target !== undefined) {
          return construct(fn, arguments, new.target === timed ? fn : new.target, t)
        }
        if (t == null) return Reflect.apply(fn, this, arguments)
        const startMs = t.start()
        let result: unknown
        try {
          result = Reflect.apply(fn, this, arguments)
        } catch (error) {
          t.finish(startMs, false)
          throw error
        }
        if (
          typeof result === 'object'
            ? // Stryker disable next-line ConditionalExpression: null in timeObject is no thenable (reading its `then` throws, caught) and is recorded at return, as here
              result !== null
            : typeof result === 'function'
        ) {
          return timeObject(result as object, t, startMs)
        }
        t.finish(startMs, true)
        return result
      }
    : {
        timed(this: unknown): unknown {
          if (target === undefined) target = resolve(this)
          const t = target
          if (t == null) return Reflect.apply(fn, this, arguments)
          const startMs = t.start()
          let result: unknown
          try {
            result = Reflect.apply(fn, this, arguments)
          } catch (error) {
            t.finish(startMs, false)
            throw error
          }
          if (
            typeof result === 'object'
              ? // Stryker disable next-line ConditionalExpression: null in timeObject is no thenable (reading its `then` throws, caught) and is recorded at return, as here
                result !== null
              : typeof result === 'function'
          ) {
            return timeObject(result as object, t, startMs)
          }
          t.finish(startMs, true)
          return result
        },
      }.timed
  // Keep what callers and frameworks read from a function.
  Object.defineProperty(timed, 'name', { value: fn.name, configurable: true })
  Object.defineProperty(timed, 'length', { value: fn.length, configurable: true })
  const prototype = Object.getOwnPropertyDescriptor(fn, 'prototype')
  if (prototype !== undefined) Object.defineProperty(timed, 'prototype', prototype)
  return timed as F
}

function isConstructor(fn: AnyFunction): boolean {
  // A Proxy is a constructor exactly when its target is; this trap runs nothing of `fn`.
  const probe = new Proxy(fn, { construct: () => ({}) }) as unknown as new () => object
  try {
    new probe()
  } catch {
    return false
  }
  return true
}

/** `new` through the wrapper: timed as a sync call; the instance is returned as it is. */
function construct(
  fn: AnyFunction,
  args: IArguments,
  newTarget: AnyFunction,
  t: TimedTarget | null | undefined,
): object {
  if (t == null) return Reflect.construct(fn, args, newTarget)
  const startMs = t.start()
  let instance: object
  try {
    instance = Reflect.construct(fn, args, newTarget)
  } catch (error) {
    t.finish(startMs, false)
    throw error
  }
  t.finish(startMs, true)
  return instance
}

/** Times a returned object or function and returns what the caller gets. */
function timeObject(result: object, t: TimedTarget, startMs: number): unknown {
  if (isPromise(result)) return timePromise(result, t, startMs)
  let then: unknown
  try {
    then = (result as { then?: unknown }).then
  } catch {
    // A throwing `then` getter: not a thenable.
  }
  if (typeof then !== 'function' || !patchThen(result, then as AnyFunction, t, startMs)) {
    t.finish(startMs, true)
  }
  return result
}

/**
 * A native promise is timed through a promise derived from it with the intrinsic `then`: the
 * caller gets the derived one, so a rejection nobody handles still reaches `unhandledRejection`
 * (a handler on the original would mark it handled). The derived promise takes the original's own
 * properties (`child` of `promisify(exec)`) and prototype, so the caller sees the same members.
 */
function timePromise(promise: Promise<unknown>, t: TimedTarget, startMs: number): unknown {
  const onFulfilled = (value: unknown) => {
    t.finish(startMs, true)
    return value
  }
  const onRejected = (error: unknown) => {
    t.finish(startMs, false)
    throw error
  }
  const prototype: object | null = Object.getPrototypeOf(promise)
  // An async function's promise: nothing to carry over, and its `then` is the intrinsic one,
  // called as a method so V8 inlines it. Listing all own keys instead of for…in and two lookups
  // costs ~90 ns a call (docs/design.md, "Thenables").
  if (
    prototype === nativePrototype &&
    !hasEnumerableKey(promise) &&
    !Object.hasOwn(promise, 'then') &&
    !Object.hasOwn(promise, 'constructor')
  ) {
    return promise.then(onFulfilled, onRejected)
  }
  const derived = deriveWithoutSpecies(promise, prototype, onFulfilled, onRejected)
  if (derived === undefined) {
    t.finish(startMs, true)
    return promise
  }
  const keys = Reflect.ownKeys(promise)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as PropertyKey
    // Keys the new promise already owns are the runtime's (async_hooks ids, AsyncLocalStorage).
    if (Object.hasOwn(derived, key)) continue
    const descriptor = Object.getOwnPropertyDescriptor(promise, key) as PropertyDescriptor
    Object.defineProperty(derived, key, descriptor)
  }
  // Stryker disable next-line ConditionalExpression: the same prototype set again changes nothing; the check keeps the call off the common path
  if (prototype !== nativePrototype) Object.setPrototypeOf(derived, prototype)
  // Frozen and sealed carry over as such: the runtime's own keys on the new promise (kept above)
  // would otherwise stay writable under AsyncLocalStorage (test/regression/12-frozen-promise-…).
  if (Object.isFrozen(promise)) Object.freeze(derived)
  else if (Object.isSealed(promise)) Object.seal(derived)
  else if (!Object.isExtensible(promise)) Object.preventExtensions(derived)
  return derived
}

/** for…in, own or inherited: no allocation and no call into C++, unlike listing the keys. */
function hasEnumerableKey(object: object): boolean {
  for (const _ in object) return true
  return false
}

/**
 * The intrinsic `then` builds its result through `promise.constructor[Symbol.species]`, which on
 * a subclass runs the subclass constructor (user code that may throw). With the native prototype
 * for the length of the call it builds a native promise and runs nothing of the user's. (An own
 * `constructor` would do too, but defining one on any promise switches off V8's promise fast
 * paths for the whole process.) Returns undefined when that cannot be done: a promise with an own
 * `constructor`, or a non-extensible subclass instance.
 */
function deriveWithoutSpecies(
  promise: Promise<unknown>,
  prototype: object | null,
  onFulfilled: (value: unknown) => unknown,
  onRejected: (error: unknown) => never,
): Promise<unknown> | undefined {
  if (Object.hasOwn(promise, 'constructor')) return undefined
  if (prototype === nativePrototype) return nativeThen.call(promise, onFulfilled, onRejected)
  if (!Object.isExtensible(promise)) return undefined
  Object.setPrototypeOf(promise, nativePrototype)
  try {
    return nativeThen.call(promise, onFulfilled, onRejected)
  } finally {
    Object.setPrototypeOf(promise, prototype)
  }
}

/**
 * Calls waiting for the thenable a patched `then` belongs to, keyed by that `then`:
 * `[target, startMs, target, startMs, …]`, emptied at the first settlement.
 */
const waitingCalls = new WeakMap<AnyFunction, unknown[]>()
/** Calls one thenable may hold waiting; beyond, a call returning it is timed as it returns. */
const MAX_WAITING_CALLS = 64

/**
 * Times a thenable without starting it: gives it an own `then` that calls the original one with
 * the caller's arguments, the callbacks among the first two wrapped to record the call at the
 * first settlement. Returns false when `then` cannot be replaced without running user code or
 * changing what the object declares (a Proxy, a frozen object, an own accessor or read-only
 * `then`): the call is then recorded as it returns.
 */
function patchThen(thenable: object, then: AnyFunction, t: TimedTarget, startMs: number): boolean {
  const earlier = waitingCalls.get(then)
  if (earlier !== undefined) {
    // Returned again before it settled (a chainable method returning `this`): one patch, one wait.
    // Bounded: a thenable returned over and over and never awaited must not hold every call.
    if (earlier.length >= 2 * MAX_WAITING_CALLS) return false
    earlier.push(t, startMs)
    return true
  }
  if (isProxy(thenable)) return false
  const own = Object.getOwnPropertyDescriptor(thenable, 'then')
  // An accessor or read-only `then`; a non-configurable one makes defineProperty below fail.
  if (own !== undefined && own.writable !== true) return false
  const waiting: unknown[] = [t, startMs]
  const settle = (success: boolean) => {
    for (let i = 0; i < waiting.length; i += 2) {
      ;(waiting[i] as TimedTarget).finish(waiting[i + 1] as number, success)
    }
    waiting.length = 0
  }
  const timedThen = function (this: unknown): unknown {
    if (waiting.length === 0) return Reflect.apply(then, this, arguments)
    const args: unknown[] = []
    for (let i = 0; i < arguments.length; i++) {
      const arg: unknown = arguments[i]
      args[i] =
        i < 2 && typeof arg === 'function' ? settling(arg as AnyFunction, settle, i === 0) : arg
    }
    try {
      return Reflect.apply(then, this, args)
    } catch (error) {
      settle(false) // as `await` does, a throwing `then` counts as a rejection
      throw error
    }
  }
  const isPatched = Reflect.defineProperty(thenable, 'then', {
    value: timedThen,
    writable: true,
    enumerable: own?.enumerable ?? false,
    configurable: true,
  })
  if (!isPatched) return false
  waitingCalls.set(timedThen, waiting)
  return true
}

/** The caller's callback, recording the waiting calls first; `this`, arguments, result unchanged. */
function settling(
  callback: AnyFunction,
  settle: (success: boolean) => void,
  success: boolean,
): AnyFunction {
  return function (this: unknown): unknown {
    settle(success)
    return Reflect.apply(callback, this, arguments)
  }
}
