/** Numbers for people, in one place: log messages, the demo and reports use these. */

/** `12.3456` → `"12.3ms"`. */
export function formatMs(durationMs: number): string {
  return `${durationMs.toFixed(1)}ms`
}

/** `0.0512` → `"5.1%"`. */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`
}
