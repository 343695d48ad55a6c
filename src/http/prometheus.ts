import type { OperationStats, SystemSummary } from '../index.js'

/** The content type of `prometheusText`'s output: the text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

/** What the Prometheus exposition reads of a tracker: a `PerformanceTracker` is one. */
export interface PrometheusSource {
  getSystemSummary(): SystemSummary
}

/** A Prometheus metric type, as the `# TYPE` line names it. */
export type PrometheusType = 'summary' | 'counter' | 'gauge'

/**
 * Receives one sample: its operation (undefined: a family without labels), value, `quantile`
 * label and the suffix of a summary's `_sum` and `_count` lines.
 */
export type SampleSink = (
  operation: string | undefined,
  value: number,
  quantile?: string,
  suffix?: '_sum' | '_count',
) => void

/** One metric family: its name, type, help text, and its samples of a tracker's summary. */
export interface PrometheusFamily {
  readonly name: string
  readonly type: PrometheusType
  readonly help: string
  samples(summary: SystemSummary, sink: SampleSink): void
}

/**
 * Milliseconds inside perfwatch, seconds at its edges only: Prometheus's base unit, and
 * OpenTelemetry's `s` (src/integrations/opentelemetry.ts reads these too).
 */
export const MS_PER_SECOND = 1000
/** The quantiles exposed, of the recent window and of the baseline, with their fields. */
export const QUANTILES = [
  [0.5, 'p50'],
  [0.95, 'p95'],
  [0.99, 'p99'],
] as const
/** The `OperationStats` field of each quantile of the recent window. */
export const RECENT = { p50: 'recentP50', p95: 'recentP95', p99: 'recentP99' } as const

/** A family with one series per operation: `value` gives it, undefined for none. */
function perOperation(
  name: string,
  type: PrometheusType,
  help: string,
  value: (stats: OperationStats) => number | undefined,
): PrometheusFamily {
  return {
    name,
    type,
    help,
    samples(summary, sink) {
      for (const stats of Object.values(summary.operations)) {
        const v = value(stats)
        if (v !== undefined) sink(stats.operation, v)
      }
    },
  }
}

/**
 * Every family perfwatch exposes, in exposition order (docs/prometheus.md#metrics). The text
 * exposition and the prom-client collector both read this list, so they cannot disagree.
 */
export const PROMETHEUS_FAMILIES: readonly PrometheusFamily[] = [
  {
    name: 'perfwatch_operation_duration_seconds',
    type: 'summary',
    help: 'Duration of the operation: quantiles over the recent window (windowSize samples), sum and count since the tracker started.',
    samples(summary, sink) {
      for (const stats of Object.values(summary.operations)) {
        const operation = stats.operation
        for (const [quantile, key] of QUANTILES) {
          sink(operation, seconds(stats[RECENT[key]]), String(quantile))
        }
        sink(operation, stats.totalDurationMs / MS_PER_SECOND, undefined, '_sum')
        sink(operation, stats.totalCount, undefined, '_count')
      }
    },
  },
  perOperation(
    'perfwatch_operation_calls_total',
    'counter',
    'Calls recorded, successes and failures.',
    (stats) => stats.totalCount,
  ),
  perOperation(
    'perfwatch_operation_failures_total',
    'counter',
    'Calls recorded as failures (a throw, a rejection, success: false; HTTP: status >= 500 or aborted).',
    (stats) => stats.failureCount,
  ),
  perOperation(
    'perfwatch_operation_slow_calls_total',
    'counter',
    "Successful calls slower than the baseline's slow line (min(p95, mean + k stdDev)).",
    (stats) => stats.degradedCount,
  ),
  // One gauge per quantile: a `quantile` label is a summary's own (promtool check metrics
  // refuses it on a gauge), and `ignoring(quantile)` then compares the two in one expression.
  ...QUANTILES.map(([quantile, key]) =>
    perOperation(
      `perfwatch_operation_baseline_${key}_seconds`,
      'gauge',
      `The baseline's ${key} duration (its quantile ${quantile}); operations with a baseline only.`,
      (stats) => (stats.baseline === undefined ? undefined : seconds(stats.baseline[key])),
    ),
  ),
  perOperation(
    'perfwatch_operation_degraded',
    'gauge',
    '1 while the operation is in a sustained degradation, else 0.',
    (stats) => (stats.state === 'degraded' ? 1 : 0),
  ),
  {
    name: 'perfwatch_operations',
    type: 'gauge',
    help: 'Operations tracked (at most maxOperations; later ones are recorded as perfwatch.overflow).',
    samples: (summary, sink) => sink(undefined, summary.trackedOperations.length),
  },
  {
    name: 'perfwatch_internal_errors_total',
    type: 'counter',
    help: "perfwatch's own failures, logged and swallowed.",
    samples: (summary, sink) => sink(undefined, summary.internalErrors),
  },
]

function seconds(ms: number | null): number {
  return ms === null ? Number.NaN : ms / MS_PER_SECOND
}

/**
 * The tracker's operations in the Prometheus text exposition format 0.0.4: durations in seconds,
 * one `operation` label (docs/prometheus.md). Computed when called, from one
 * `getSystemSummary()`: the recording path does nothing for it.
 * @example
 * res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(prometheusText(tracker))
 */
export function prometheusText(tracker: PrometheusSource): string {
  return formatPrometheus(tracker.getSystemSummary())
}

/** `prometheusText` of a summary already taken (pure). */
export function formatPrometheus(summary: SystemSummary): string {
  let text = ''
  for (const family of PROMETHEUS_FAMILIES) {
    const name = family.name
    // The help texts are perfwatch's own, without the backslashes and newlines HELP escapes.
    text += `# HELP ${name} ${family.help}\n# TYPE ${name} ${family.type}\n`
    family.samples(summary, (operation, value, quantile, suffix) => {
      text += name
      if (suffix !== undefined) text += suffix
      if (operation !== undefined) {
        text += `{operation="${escapeLabelValue(operation)}"`
        if (quantile !== undefined) text += `,quantile="${quantile}"`
        text += '}'
      }
      text += ` ${formatValue(value)}\n`
    })
  }
  return text
}

// Stryker disable next-line Regex: only saves work: a name without them is returned as it is
const LABEL_SPECIALS = /[\\"\n]/
const LABEL_SPECIALS_ALL = /[\\"\n]/g

/** A label value as the text format writes it: `\\`, `\"` and `\n` escaped. */
export function escapeLabelValue(value: string): string {
  // Stryker disable next-line ConditionalExpression: only saves work, as above
  if (!LABEL_SPECIALS.test(value)) return value
  return value.replace(LABEL_SPECIALS_ALL, (c) => (c === '\n' ? '\\n' : `\\${c}`))
}

/** A sample value: Go's float syntax, with `NaN`, `+Inf` and `-Inf`. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value)
  if (Number.isNaN(value)) return 'NaN'
  return value === Number.POSITIVE_INFINITY ? '+Inf' : '-Inf'
}
