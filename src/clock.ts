/** A monotonic clock in milliseconds, as floating point. Only differences of its readings matter. */
export type Clock = () => number

/**
 * The default clock. `performance.now()` is monotonic (wall-clock adjustments cannot produce
 * negative durations), has sub-microsecond resolution, and returns a double directly, where
 * `process.hrtime.bigint()` allocates a BigInt and needs a conversion per reading.
 */
export const defaultClock: Clock = () => performance.now()
