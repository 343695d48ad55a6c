/** Numbers for people, in one place: log messages, the demo and reports use these. */

/**
 * A latency, with the precision it needs and at least two significant digits (up to 1 s):
 *
 * | duration | printed | examples |
 * | --- | --- | --- |
 * | 0 | `0µs` | |
 * | above 0, below 0.05 µs | `<0.1µs` | |
 * | 0.05 to 10 µs | µs, one decimal | `0.4µs`, `4.2µs` |
 * | 10 µs to 1 ms | whole µs | `42µs`, `999µs` |
 * | 1 to 10 ms | ms, one decimal | `1.0ms`, `9.9ms` |
 * | 10 ms to 1 s | whole ms | `10ms`, `812ms` |
 * | 1 s and more | s, one decimal | `1.2s`, `61.0s` |
 *
 * A value that rounds up to the next range is printed in it (`0.9996` → `1.0ms`, not `1000µs`).
 * A NaN, infinite or negative value (never a recorded duration) is printed as it is, in ms.
 */
export function formatLatency(durationMs: number): string {
  if (!(durationMs >= 0 && durationMs < Number.POSITIVE_INFINITY)) return `${durationMs}ms`
  const us = durationMs * 1000
  if (us < 0.05) return us === 0 ? '0µs' : '<0.1µs'
  if (us < 9.95) return `${us.toFixed(1)}µs`
  if (us < 999.5) return `${Math.round(us)}µs`
  if (durationMs < 9.95) return `${durationMs.toFixed(1)}ms`
  if (durationMs < 999.5) return `${Math.round(durationMs)}ms`
  return `${(durationMs / 1000).toFixed(1)}s`
}

/** `0.0512` → `"5.1%"`. */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`
}

/** A span of time: `850ms`, `12.3s`, `4.2min`, `1.5h`. */
export function formatDuration(durationMs: number): string {
  if (durationMs < 1000) return `${Math.round(durationMs)}ms`
  if (durationMs < 60_000) return `${(durationMs / 1000).toFixed(1)}s`
  if (durationMs < 3_600_000) return `${(durationMs / 60_000).toFixed(1)}min`
  return `${(durationMs / 3_600_000).toFixed(1)}h`
}

/** A latency, or `-` when there is none. */
export function formatLatencyOrDash(durationMs: number | null): string {
  return durationMs === null ? '-' : formatLatency(durationMs)
}

/** `1234.5` → `"1235 calls/s"`; `null` → `"unknown calls/s"`. */
export function formatRate(callsPerSecond: number | null): string {
  if (callsPerSecond === null) return 'unknown calls/s'
  return `${callsPerSecond < 10 ? callsPerSecond.toFixed(1) : Math.round(callsPerSecond)} calls/s`
}

/** Items of a log line: the first `max`, then how many more (`a, b, c, and 4 more`). */
export function formatList(items: readonly string[], max = 10): string {
  const shown = items.slice(0, max).join(', ')
  return items.length > max ? `${shown}, and ${items.length - max} more` : shown
}

/**
 * Two latencies read side by side, such as a duration and the budget it went over, printed so
 * they read differently whenever they differ: `formatLatency` of each, or more digits when
 * both would round to the same text (`30.4ms` and `30ms`, never `30ms` and `30ms`).
 */
export function formatLatencies(aMs: number, bMs: number): [string, string] {
  const a = formatLatency(aMs)
  const b = formatLatency(bMs)
  if (a !== b || aMs === bMs) return [a, b]
  return [formatPrecisely(aMs), formatPrecisely(bMs)]
}

/** `30.4ms`, `2.0437s`: up to three decimals of ms below 1 s, four of s above, zeros trimmed. */
function formatPrecisely(durationMs: number): string {
  return durationMs >= 1000
    ? `${Number((durationMs / 1000).toFixed(4))}s`
    : `${Number(durationMs.toFixed(3))}ms`
}

/** A size in memory, MB meaning MiB (1,048,576 bytes): `45.2MB`, `-3.1MB`, `812KB`, `0B`. */
export function formatBytes(bytes: number): string {
  const size = Math.abs(bytes)
  if (size >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)}MB`
  if (size >= 1024) return `${Math.round(bytes / 1024)}KB`
  return `${Math.round(bytes)}B`
}

/** A count for people, with thousands separators: `1,247`; one decimal below 10 (`2.5`). */
export function formatCount(value: number): string {
  // Stryker disable next-line EqualityOperator: at exactly 10 both roundings give 10
  const rounded = Math.abs(value) < 10 ? Math.round(value * 10) / 10 : Math.round(value)
  return rounded.toLocaleString('en-US')
}
