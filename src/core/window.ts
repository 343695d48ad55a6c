/**
 * The read side of an operation's rolling window. The window is a Float64Array ring written on
 * the hot path by `Operation.record` (inline: a double passed to a call V8 does not inline is
 * boxed); these functions copy from it, off the hot path.
 *
 * Ring layout, for capacity 4 after 6 samples s1..s6 where s5 failed:
 *   durations = [-s5, s6, s3, s4], head = 2 (the next write, also the oldest sample), count = 4.
 * A failure is stored negated (a 0 ms failure as -0), so one Float64Array holds both the
 * durations and the outcomes. While count < capacity the samples are durations[0 .. count) and
 * head === count. The newest sample is at head - 1 (wrapping). Statistics copy the window in ring
 * order: order does not matter to them.
 */

/** A stored sample is a failure: a negative duration, or -0 for a 0 ms failure. */
export function isFailure(stored: number): boolean {
  return stored < 0 || Object.is(stored, -0)
}

/** Every sample's duration (failures included) and how many succeeded. */
export function allDurations(
  durations: Float64Array,
  count: number,
): { values: Float64Array; successes: number } {
  const values = new Float64Array(count)
  let successes = 0
  for (let i = 0; i < count; i++) {
    const stored = durations[i] as number
    if (!isFailure(stored)) successes++
    values[i] = Math.abs(stored)
  }
  return { values, successes }
}

/** The successful durations among the newest `last` samples, and how many samples that was. */
export function newestSuccesses(
  durations: Float64Array,
  head: number,
  count: number,
  last: number,
): { values: Float64Array; sampleCount: number } {
  const n = Math.min(last, count)
  const values = new Float64Array(n)
  let kept = 0
  let index = head
  for (let k = 0; k < n; k++) {
    index = index === 0 ? durations.length - 1 : index - 1
    const stored = durations[index] as number
    if (!isFailure(stored)) values[kept++] = stored
  }
  return { values: values.subarray(0, kept), sampleCount: n }
}

/** A copy of the window's successful durations. */
export function successfulDurations(durations: Float64Array, count: number): Float64Array {
  const values = new Float64Array(count)
  let kept = 0
  for (let i = 0; i < count; i++) {
    const stored = durations[i] as number
    if (!isFailure(stored)) values[kept++] = stored
  }
  return values.slice(0, kept)
}
