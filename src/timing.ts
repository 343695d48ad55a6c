// biome-ignore-all lint/complexity/noArguments: `fn.apply(this, arguments)` is the allocation-free pass-through (see createTimedFunction)
/**
 * The one timing wrapper behind `wrap()` and both decorator modes: two clock reads around the
 * user's call, nothing else on the caller's path. perfwatch's own failures never reach the
 * caller: the target swallows and reports them, and the user's result, error and `this` pass
 * through unchanged.
 */

/** Where a timed function records; implemented by the tracker per operation. Never throws. */
export interface TimedTarget {
  /** Reads the clock; NaN when the clock failed (the call is then not recorded). */
  start(): number
  /** Records the call that started at `startMs`. */
  finish(startMs: number, success: boolean): void
}

/**
 * Resolves where calls are recorded, on the first call that can tell: a target, `null` to call
 * straight through from now on (disabled tracker), or `undefined` to call this one call through
 * untimed and ask again next time.
 */
export type ResolveTarget = (thisArg: unknown) => TimedTarget | null | undefined

// biome-ignore lint/suspicious/noExplicitAny: wraps functions of any signature
type AnyFunction = (this: any, ...args: any[]) => any

/**
 * Returns a function that times each call of `fn`: sync calls until they return or throw, a
 * returned thenable until it settles. A throw or rejection is recorded as a failure and the same
 * error is re-thrown. `this`, the arguments and the return value pass through; the wrapper has
 * `fn`'s `name` and `length`.
 */
export function createTimedFunction<F extends AnyFunction>(fn: F, resolve: ResolveTarget): F {
  let target: TimedTarget | null | undefined
  // `fn.apply(this, arguments)` is kept over rest parameters: V8 passes `arguments` through
  // without materialising an array, so the wrapper allocates nothing per call.
  function timed(this: unknown): unknown {
    if (target === undefined) {
      const resolved = resolve(this)
      if (resolved === undefined) return fn.apply(this, arguments as unknown as unknown[])
      target = resolved
    }
    if (target === null) return fn.apply(this, arguments as unknown as unknown[])
    const t = target
    const startMs = t.start()
    let result: unknown
    try {
      result = fn.apply(this, arguments as unknown as unknown[])
    } catch (error) {
      t.finish(startMs, false)
      throw error
    }
    // Most methods return a primitive or nothing: skip the thenable probe for those.
    if (typeof result === 'object' || typeof result === 'function') {
      if (isThenable(result)) return settle(result, t, startMs)
    }
    t.finish(startMs, true)
    return result
  }
  // Keep what callers and frameworks read from a function.
  Object.defineProperty(timed, 'name', { value: fn.name, configurable: true })
  Object.defineProperty(timed, 'length', { value: fn.length, configurable: true })
  return timed as F
}

function settle(result: PromiseLike<unknown>, t: TimedTarget, startMs: number): unknown {
  const onFulfilled = (value: unknown) => {
    t.finish(startMs, true)
    return value
  }
  const onRejected = (error: unknown) => {
    t.finish(startMs, false)
    throw error
  }
  // A native promise (or subclass) chains directly. Any other thenable is adopted the way
  // `await` adopts it, so one whose `then` returns nothing useful still settles the caller's
  // promise with its value, and one whose `then` throws rejects it.
  if (result instanceof Promise) return result.then(onFulfilled, onRejected)
  return new Promise((resolve, reject) => {
    try {
      result.then(
        (value) => resolve(onFulfilled(value)),
        (error: unknown) => {
          try {
            onRejected(error)
          } catch {
            reject(error)
          }
        },
      )
    } catch (error) {
      t.finish(startMs, false)
      reject(error)
    }
  })
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false
  try {
    return typeof (value as { then?: unknown }).then === 'function'
  } catch {
    return false
  }
}
