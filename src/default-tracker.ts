import { TrackerExistsError } from './core/errors.js'
import { checkObject } from './core/validate.js'
import { createMethodDecorator, type TimeOperationDecorator } from './decorators.js'
import type { TrackerOptions } from './options.js'
import { PerformanceTracker } from './tracker.js'

// On globalThis under a registered symbol, so two copies of the package in one process (a
// dependency pinning another version) still share one default tracker.
const DEFAULT_TRACKER_KEY = Symbol.for('perfwatch.tracker')

type GlobalWithTracker = typeof globalThis & { [DEFAULT_TRACKER_KEY]?: PerformanceTracker }

/**
 * The default tracker if one was created (by this copy of perfwatch or another), without
 * creating it: for readers such as the profiler's report. @internal
 */
export function existingPerformanceTracker(): PerformanceTracker | undefined {
  return (globalThis as GlobalWithTracker)[DEFAULT_TRACKER_KEY]
}

/**
 * The process-wide default tracker: created by the first call (with `options`), the same
 * instance on every later call.
 * @throws TrackerExistsError when `options` are given after the tracker was created, since they
 * would be ignored; InvalidOptionError for invalid options.
 */
export function getPerformanceTracker(options?: TrackerOptions): PerformanceTracker {
  const global = globalThis as GlobalWithTracker
  const existing = global[DEFAULT_TRACKER_KEY]
  if (existing !== undefined) {
    if (options !== undefined) throw new TrackerExistsError()
    return existing
  }
  const tracker = new PerformanceTracker(options)
  global[DEFAULT_TRACKER_KEY] = tracker
  return tracker
}

/**
 * Times every call of the decorated method, as `tracker.wrap` does, under `name` (default
 * `ClassName.methodName`, or `prefix.methodName` in a class with `@operationPrefix(prefix)`).
 * Records into `options.tracker`, else into `getPerformanceTracker()`, which is looked up on the
 * method's first call. Works with TC39 standard decorators and with legacy
 * `experimentalDecorators`.
 * @throws InvalidArgumentError for an invalid `name` or options that are not an object.
 *
 * @example
 * class Orders {
 *   @timeOperation()
 *   async load(id: string) { return db.orders.find(id) }
 * }
 */
export function timeOperation(
  name?: string,
  options?: { tracker?: PerformanceTracker },
): TimeOperationDecorator {
  if (options !== undefined) checkObject('options', options)
  const tracker = options?.tracker
  if (tracker !== undefined) return createMethodDecorator(name, () => tracker)
  return createMethodDecorator(name, () => getPerformanceTracker(), existingPerformanceTracker)
}
