/** A monotonic clock in milliseconds, as floating point. Only differences of its readings matter. */
export type Clock = () => number

/**
 * The default clock, chosen by measurement (Node 20.20, this project's 2-core machine, pairs of
 * readings in a loop, medians): `performance.now()` 94 ns a pair; `process.hrtime.bigint()`
 * 88 ns a pair but 116 ns once each reading is turned into milliseconds as a double, which a
 * clock must return; `process.hrtime()` 95 ns and an array per reading; `Date.now()` 121 ns and
 * only millisecond resolution. `performance.now()` is also monotonic, so wall-clock adjustments
 * never produce negative durations. npm run bench reports the clock floors in every run.
 */
export const defaultClock: Clock = () => performance.now()
