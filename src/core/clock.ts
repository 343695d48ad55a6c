/** A monotonic clock in milliseconds, as floating point. Only differences of its readings matter. */
export type Clock = () => number

/**
 * The default clock. Two `performance.now()` readings cost about as much as two
 * `process.hrtime.bigint()` ones (docs/results/hotpath.md, the floors), and the bigint must then
 * be turned into milliseconds as a double, which a clock returns; `process.hrtime()` allocates
 * an array per reading; `Date.now()` has only millisecond resolution. `performance.now()` is
 * also monotonic, so wall-clock adjustments never produce negative durations.
 */
export const defaultClock: Clock = () => performance.now()
