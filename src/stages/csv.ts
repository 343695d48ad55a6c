/**
 * A run's stage metrics as CSV (RFC 4180: CRLF line ends, fields with commas, quotes or line
 * breaks quoted, quotes doubled), through csv-stringify rather than by hand: quoting is where
 * hand-written CSV goes wrong, and the library is small, dependency-free and widely used.
 */
import { stringify } from 'csv-stringify/sync'
import type { StageMetric } from '../core/stage-metric.js'
import { servicesOf } from '../report/stage-statistics.js'

/**
 * The columns: `run_id, item_id, stage, duration_seconds`, then `<service>_calls`,
 * `<service>_input_tokens`, `<service>_output_tokens` for every service in the run (sorted),
 * then `status, error, started_at`.
 */
export function csvColumns(metrics: readonly StageMetric[]): string[] {
  const columns = ['run_id', 'item_id', 'stage', 'duration_seconds']
  for (const service of servicesOf(metrics)) {
    columns.push(`${service}_calls`, `${service}_input_tokens`, `${service}_output_tokens`)
  }
  columns.push('status', 'error', 'started_at')
  return columns
}

/** The CSV text of `metrics`, one row each in the order given, with a header row. */
export function metricsToCsv(metrics: readonly StageMetric[]): string {
  const services = servicesOf(metrics)
  const rows = metrics.map((m) => {
    const row: Array<string | number> = [
      m.runId,
      m.itemId,
      m.stage,
      (m.durationMs / 1000).toFixed(6),
    ]
    for (const service of services) {
      const calls = m.apiCalls[service]
      row.push(calls?.calls ?? 0, calls?.inputTokens ?? 0, calls?.outputTokens ?? 0)
    }
    row.push(m.status, m.error === null ? '' : `${m.error.name}: ${m.error.message}`, m.startedAt)
    return row
  })
  return stringify(rows, {
    header: true,
    columns: csvColumns(metrics),
    record_delimiter: 'windows',
  })
}
