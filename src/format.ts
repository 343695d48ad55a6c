/** Numbers for people, in one place: log messages, the demo and reports use these. */

/** `12.3456` → `"12.3ms"`. */
export function formatMs(durationMs: number): string {
  return `${durationMs.toFixed(1)}ms`
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
