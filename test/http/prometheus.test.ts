import { createServer } from 'node:http'
import { describe, expect, it } from 'vitest'
import {
  createDashboard,
  formatPrometheus,
  PROMETHEUS_CONTENT_TYPE,
  PROMETHEUS_FAMILIES,
  prometheusText,
} from '../../src/http/node.js'
import { OVERFLOW_OPERATION } from '../../src/index.js'
import { runsHere } from '../helpers/ci.js'
import { listen } from '../helpers/http.js'
import {
  hasPrometheusParser,
  NO_PARSER_MESSAGE,
  type ParsedFamily,
  parsePrometheus,
} from '../helpers/prometheus-parser.js'
import { feedingTracker, testTracker } from '../helpers/tracker.js'

const withParser = it.runIf(runsHere(hasPrometheusParser, NO_PARSER_MESSAGE))

/** The samples named `name` (a family's own name, or with `_sum`, `_count`) by operation. */
function byOperation(parsed: ParsedFamily[], name: string): Record<string, number> {
  const samples = parsed.flatMap((f) => f.samples).filter((s) => s.name === name)
  return Object.fromEntries(samples.map((s) => [s.labels.operation, s.value]))
}

/** The samples named `name`, with their labels. */
function samplesOf(parsed: ParsedFamily[], name: string) {
  return parsed
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name)
    .map(({ labels, value }) => ({ labels, value }))
}

describe('prometheusText', () => {
  withParser(
    'renders the families of docs/prometheus.md, as the tracker counts them, in seconds',
    async () => {
      const { tracker, feed } = feedingTracker({ warningIntervalMs: 0 })
      feed(3000) // a baseline
      feed(2000, 1.8) // a sustained slowdown
      feed(50, 1, 'cache.get') // learning: no baseline yet (baselineSamples 100)
      tracker.record('cache.get', 4, { success: false })
      const parsed = parsePrometheus(prometheusText(tracker))
      // the parser names a counter's family without `_total`
      expect(parsed.map((f) => [f.name, f.type, f.help])).toEqual(
        PROMETHEUS_FAMILIES.map((f) => [f.name.replace(/_total$/, ''), f.type, f.help]),
      )
      const db = tracker.getOperationStats('db.query')
      const cache = tracker.getOperationStats('cache.get')
      if (db === undefined || cache === undefined) throw new Error('no stats')
      expect(db.state).toBe('degraded')
      expect(db.totalCount).toBe(5000)
      expect(cache).toMatchObject({ totalCount: 51, failureCount: 1 })
      expect(samplesOf(parsed, 'perfwatch_operation_duration_seconds')).toEqual(
        [db, cache].flatMap((stats) =>
          (['0.5', '0.95', '0.99'] as const).map((quantile) => ({
            labels: { operation: stats.operation, quantile },
            value:
              (quantile === '0.5'
                ? (stats.recentP50 as number)
                : quantile === '0.95'
                  ? (stats.recentP95 as number)
                  : (stats.recentP99 as number)) / 1000,
          })),
        ),
      )
      expect(byOperation(parsed, 'perfwatch_operation_duration_seconds_sum')).toEqual({
        'db.query': db.totalDurationMs / 1000,
        'cache.get': cache.totalDurationMs / 1000,
      })
      expect(byOperation(parsed, 'perfwatch_operation_duration_seconds_count')).toEqual({
        'db.query': 5000,
        'cache.get': 51,
      })
      expect(byOperation(parsed, 'perfwatch_operation_calls_total')).toEqual({
        'db.query': 5000,
        'cache.get': 51,
      })
      expect(byOperation(parsed, 'perfwatch_operation_failures_total')).toEqual({
        'db.query': 0,
        'cache.get': 1,
      })
      expect(db.degradedCount).toBeGreaterThan(100)
      expect(byOperation(parsed, 'perfwatch_operation_slow_calls_total')).toEqual({
        'db.query': db.degradedCount,
        'cache.get': 0,
      })
      expect(byOperation(parsed, 'perfwatch_operation_degraded')).toEqual({
        'db.query': 1,
        'cache.get': 0,
      })
      // the baseline's quantiles, for operations that have one only
      const baseline = db.baseline
      if (baseline === undefined) throw new Error('no baseline')
      for (const key of ['p50', 'p95', 'p99'] as const) {
        expect(samplesOf(parsed, `perfwatch_operation_baseline_${key}_seconds`)).toEqual([
          { labels: { operation: 'db.query' }, value: baseline[key] / 1000 },
        ])
      }
      expect(samplesOf(parsed, 'perfwatch_operations')).toEqual([{ labels: {}, value: 2 }])
      expect(samplesOf(parsed, 'perfwatch_internal_errors_total')).toEqual([
        { labels: {}, value: 0 },
      ])
      await tracker.close()
    },
  )

  it('has help texts the HELP line can carry as they are (no backslash, no newline)', () => {
    for (const family of PROMETHEUS_FAMILIES) expect(family.help).not.toMatch(/[\\\n]/)
  })

  it('is this text for a small tracker (inline snapshot)', () => {
    const { tracker } = testTracker()
    for (const ms of [1, 2, 3, 4]) tracker.record('db.query', ms)
    tracker.record('db.query', 10, { success: false })
    expect(prometheusText(tracker)).toMatchInlineSnapshot(`
      "# HELP perfwatch_operation_duration_seconds Duration of the operation: quantiles over the recent window (windowSize samples), sum and count since the tracker started.
      # TYPE perfwatch_operation_duration_seconds summary
      perfwatch_operation_duration_seconds{operation="db.query",quantile="0.5"} 0.003
      perfwatch_operation_duration_seconds{operation="db.query",quantile="0.95"} 0.008799999999999999
      perfwatch_operation_duration_seconds{operation="db.query",quantile="0.99"} 0.00976
      perfwatch_operation_duration_seconds_sum{operation="db.query"} 0.02
      perfwatch_operation_duration_seconds_count{operation="db.query"} 5
      # HELP perfwatch_operation_calls_total Calls recorded, successes and failures.
      # TYPE perfwatch_operation_calls_total counter
      perfwatch_operation_calls_total{operation="db.query"} 5
      # HELP perfwatch_operation_failures_total Calls recorded as failures (a throw, a rejection, success: false; HTTP: status >= 500 or aborted).
      # TYPE perfwatch_operation_failures_total counter
      perfwatch_operation_failures_total{operation="db.query"} 1
      # HELP perfwatch_operation_slow_calls_total Successful calls slower than the baseline's slow line (min(p95, mean + k stdDev)).
      # TYPE perfwatch_operation_slow_calls_total counter
      perfwatch_operation_slow_calls_total{operation="db.query"} 0
      # HELP perfwatch_operation_baseline_p50_seconds The baseline's p50 duration (its quantile 0.5); operations with a baseline only.
      # TYPE perfwatch_operation_baseline_p50_seconds gauge
      # HELP perfwatch_operation_baseline_p95_seconds The baseline's p95 duration (its quantile 0.95); operations with a baseline only.
      # TYPE perfwatch_operation_baseline_p95_seconds gauge
      # HELP perfwatch_operation_baseline_p99_seconds The baseline's p99 duration (its quantile 0.99); operations with a baseline only.
      # TYPE perfwatch_operation_baseline_p99_seconds gauge
      # HELP perfwatch_operation_degraded 1 while the operation is in a sustained degradation, else 0.
      # TYPE perfwatch_operation_degraded gauge
      perfwatch_operation_degraded{operation="db.query"} 0
      # HELP perfwatch_operations Operations tracked (at most maxOperations; later ones are recorded as perfwatch.overflow).
      # TYPE perfwatch_operations gauge
      perfwatch_operations 1
      # HELP perfwatch_internal_errors_total perfwatch's own failures, logged and swallowed.
      # TYPE perfwatch_internal_errors_total counter
      perfwatch_internal_errors_total 0
      "
    `)
  })

  withParser('escapes backslashes, double quotes and newlines in operation names', () => {
    const { tracker } = testTracker()
    const names = ['GET /a"b', 'C:\\temp\\x', 'two\nlines', 'all \\"\n three', 'plain ünïcode ✓']
    for (const name of names) tracker.record(name, 5)
    const text = prometheusText(tracker)
    expect(text).toContain('operation="GET /a\\"b"')
    expect(text).toContain('operation="C:\\\\temp\\\\x"')
    expect(text).toContain('operation="two\\nlines"')
    // every sample is one line: the newlines in names are escaped
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^perfwatch_[a-z_]+(\{.*\})? \S+$/)
    }
    const parsed = parsePrometheus(text)
    expect(Object.keys(byOperation(parsed, 'perfwatch_operation_calls_total'))).toEqual(names)
  })

  it('writes NaN for the quantiles of an operation whose window is empty, +Inf and -Inf as such', () => {
    const summary = testTracker().tracker.getSystemSummary()
    const stats = {
      ...summary,
      totalOperations: 1,
      operations: {
        idle: {
          operation: 'idle',
          recentP50: null,
          recentP95: null,
          recentP99: null,
          totalCount: 0,
          totalDurationMs: Number.POSITIVE_INFINITY,
          failureCount: 0,
          degradedCount: 0,
          state: 'learning',
        },
      },
      internalErrors: Number.NEGATIVE_INFINITY,
    } as unknown as typeof summary
    const text = formatPrometheus(stats)
    expect(text).toContain(
      'perfwatch_operation_duration_seconds{operation="idle",quantile="0.5"} NaN\n',
    )
    expect(text).toContain('perfwatch_operation_duration_seconds_sum{operation="idle"} +Inf\n')
    expect(text).toContain('perfwatch_internal_errors_total -Inf\n')
  })

  it('has one series per operation up to maxOperations, then the overflow operation only', () => {
    const { tracker } = testTracker({ maxOperations: 3 })
    for (let i = 0; i < 10; i++) tracker.record(`user.${i}`, 1)
    const text = prometheusText(tracker)
    const calls = Object.fromEntries(
      [...text.matchAll(/^perfwatch_operation_calls_total\{operation="(.*)"\} (\d+)$/gm)].map(
        (m) => [m[1], Number(m[2])],
      ),
    )
    expect(calls).toEqual({ 'user.0': 1, 'user.1': 1, 'user.2': 1, [OVERFLOW_OPERATION]: 7 })
  })
})

describe('createDashboard: GET metrics', () => {
  it('serves prometheusText under the prefix, HEAD without a body, other methods a 405', async () => {
    const { tracker } = testTracker()
    tracker.record('db.query', 12)
    const dashboard = createDashboard({ tracker, prefix: '' })
    const server = await listen(createServer((req, res) => dashboard(req, res) || res.end()))
    try {
      const response = await fetch(`${server.url}/metrics`)
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE)
      expect(PROMETHEUS_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8')
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(await response.text()).toBe(prometheusText(tracker))
      const head = await fetch(`${server.url}/metrics`, { method: 'HEAD' })
      expect(head.status).toBe(200)
      expect(Number(head.headers.get('content-length'))).toBe(
        Buffer.byteLength(prometheusText(tracker)),
      )
      expect(await head.text()).toBe('')
      const post = await fetch(`${server.url}/metrics`, { method: 'POST' })
      expect(post.status).toBe(405)
      expect(post.headers.get('allow')).toBe('GET, HEAD')
      expect(await post.json()).toEqual({
        error: { code: 'PERFWATCH_METHOD_NOT_ALLOWED', message: 'metrics takes GET, HEAD' },
      })
    } finally {
      await server.close()
    }
  })

  it('answers under the default prefix, after authorize', async () => {
    const { tracker } = testTracker()
    tracker.record('db.query', 12)
    const dashboard = createDashboard({
      tracker,
      authorize: (req) => req.headers.authorization === 'Bearer scrape',
    })
    const server = await listen(createServer((req, res) => dashboard(req, res) || res.end()))
    try {
      expect((await fetch(`${server.url}/perfwatch/metrics`)).status).toBe(401)
      const response = await fetch(`${server.url}/perfwatch/metrics`, {
        headers: { authorization: 'Bearer scrape' },
      })
      expect(response.status).toBe(200)
      expect(await response.text()).toContain(
        'perfwatch_operation_calls_total{operation="db.query"} 1\n',
      )
    } finally {
      await server.close()
    }
  })
})
