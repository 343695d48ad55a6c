import {
  PROMETHEUS_FAMILIES,
  type PrometheusFamily,
  type PrometheusSource,
  type PrometheusType,
} from '../http/prometheus.js'
import {
  getPerformanceTracker,
  InvalidArgumentError,
  type SystemSummary,
  WARNING_CODES,
} from '../index.js'

export type { PrometheusSource } from '../http/prometheus.js'

/** One sample as prom-client's `metric.get()` answers it. */
export interface PromClientValue {
  value: number
  labels: Record<string, string>
  /** Set on a summary's `_sum` and `_count` lines. */
  metricName?: string
}

/** A metric as prom-client's `Registry` reads it (`get`, and `reset` for `resetMetrics`). */
export interface PromClientMetric {
  name: string
  readonly help: string
  readonly type: PrometheusType
  /** How prom-client's `AggregatorRegistry` merges cluster workers: counters add up. */
  readonly aggregator: 'sum' | 'max'
  get(): {
    name: string
    help: string
    type: PrometheusType
    values: PromClientValue[]
    aggregator: 'sum' | 'max'
  }
  /** perfwatch's counters are the tracker's: `registry.resetMetrics()` leaves them. */
  reset(): void
}

/**
 * What the collector needs of a prom-client `Registry` (declared here: no runtime import). The
 * parameter is `never` so that prom-client's generic `registerMetric<T>(metric: Metric<T>)`
 * matches; it is given `PromClientMetric`s, which prom-client reads as its own metrics.
 */
export interface PromClientRegistry {
  registerMetric(metric: never): void
}

/**
 * Registers perfwatch's metrics (the same families as `prometheusText`, docs/prometheus.md) in
 * an existing prom-client `Registry`, for a service that already serves prom-client metrics:
 * `registry.metrics()` then reads the tracker's state at each scrape, one `getSystemSummary()`
 * for all families. Nothing is added to the recording path.
 * @returns the metrics registered (one per family)
 * @throws InvalidArgumentError when `registry` has no `registerMetric`; prom-client's own error
 * when one of the names is registered already.
 * @example
 * import { register } from 'prom-client'
 * registerPerfwatchMetrics(register, tracker)
 */
export function registerPerfwatchMetrics(
  registry: PromClientRegistry,
  tracker?: PrometheusSource,
): PromClientMetric[] {
  if (typeof (registry as Partial<PromClientRegistry> | null)?.registerMetric !== 'function') {
    throw new InvalidArgumentError('registry', 'a prom-client Registry', registry)
  }
  if (tracker !== undefined && typeof tracker?.getSystemSummary !== 'function') {
    throw new InvalidArgumentError('tracker', 'a PerformanceTracker', tracker)
  }
  // prom-client calls every metric's `get` in one synchronous pass of `registry.metrics()`: the
  // summary taken by the first is kept until the pass is over, so a scrape takes one. When the
  // tracker cannot be read (null), perfwatch's families are empty in that scrape and the rest of
  // the registry is served: one process warning, then none until a scrape reads it again.
  let summary: SystemSummary | null | undefined
  let hasWarned = false
  const summaryNow = (): SystemSummary | null => {
    if (summary === undefined) {
      try {
        summary = (tracker ?? getPerformanceTracker()).getSystemSummary()
        hasWarned = false
      } catch (error) {
        summary = null
        if (!hasWarned) {
          hasWarned = true
          process.emitWarning(
            `perfwatch could not read the tracker, so its metrics are left out of this scrape: ${String(error)}`,
            { code: WARNING_CODES.expositionFailed },
          )
        }
      }
      queueMicrotask(() => {
        summary = undefined
      })
    }
    return summary
  }
  const metrics = PROMETHEUS_FAMILIES.map((family) => metricOf(family, summaryNow))
  for (const metric of metrics) registry.registerMetric(metric as never)
  return metrics
}

function metricOf(
  family: PrometheusFamily,
  summaryNow: () => SystemSummary | null,
): PromClientMetric {
  const { help, type } = family
  const aggregator = type === 'gauge' ? 'max' : 'sum'
  return {
    // Mutable: a registry of OpenMetrics content type takes a counter's `_total` off its name,
    // then writes it back on every sample.
    name: family.name,
    help,
    type,
    aggregator,
    get() {
      const name = this.name
      const values: PromClientValue[] = []
      const summary = summaryNow()
      if (summary === null) return { name, help, type, values, aggregator }
      family.samples(summary, (operation, value, quantile, suffix) => {
        const labels: Record<string, string> = {}
        if (operation !== undefined) labels.operation = operation
        if (quantile !== undefined) labels.quantile = quantile
        values.push(
          suffix === undefined ? { value, labels } : { value, labels, metricName: name + suffix },
        )
      })
      return { name, help, type, values, aggregator }
    },
    reset() {},
  }
}
