// perfwatch scraped by a real Prometheus (the system's `prometheus`, a child process on
// 127.0.0.1): what Prometheus stores is what the tracker says, in seconds, and a slowdown shows as
// perfwatch_operation_degraded 1, with the example alerts of docs/prometheus/alerts.yml pending.
// Prometheus scrapes on wall-clock time, so this test runs on real time (a few seconds).
// Skipped without Prometheus, except under CI, where it fails.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDashboard } from '../../src/http/node.js'
import { PerformanceTracker } from '../../src/index.js'
import { runsHere } from '../helpers/ci.js'
import { listen } from '../helpers/http.js'
import { logSink } from '../helpers/log-sink.js'

const PROMETHEUS = process.env.PERFWATCH_PROMETHEUS ?? '/usr/bin/prometheus'
const hasPrometheus = existsSync(PROMETHEUS)
// Real time and a child process: left out of mutation runs, like the other real-time tests.
const isMutationRun = process.env.PERFWATCH_MUTATION === '1'
const ALERTS = fileURLToPath(new URL('../../docs/prometheus/alerts.yml', import.meta.url))

const isRun = runsHere(
  hasPrometheus,
  `Skipping the real-Prometheus test: no Prometheus at ${PROMETHEUS} (install prometheus or ` +
    'set PERFWATCH_PROMETHEUS to its path). With CI set it fails instead.',
)

/** A name the text format must escape: a quote and a backslash. */
const OPERATION = 'db.query "users\\orders"'
/** Traffic: this many samples every TICK_MS (1,000 calls per second). */
const TICK_MS = 25
const PER_TICK = 25
/**
 * Durations cycle through 5.0, 5.1, ... 14.9 ms: any WINDOW_SIZE consecutive samples hold each
 * value 5 times, so once the window is full its quantiles stay put between two scrapes (p95 over
 * 500 samples, R-7: 14.4 + 0.05 * 0.1 = 14.405 ms) and Prometheus must store exactly the
 * tracker's value.
 */
const CYCLE = 100
const WINDOW_SIZE = 500
/** The slowdown: every duration times this. */
const SLOWDOWN = 5

describe.runIf(isRun && !isMutationRun)('perfwatch scraped by a real Prometheus', () => {
  let tracker: PerformanceTracker
  let server: { url: string; close: () => Promise<void> } | undefined
  let prometheus: ChildProcess | undefined
  let prometheusLog = ''
  let prometheusUrl = ''
  let dir: string | undefined
  let traffic: NodeJS.Timeout | undefined
  let factor = 1

  beforeAll(async () => {
    if (!hasPrometheus) {
      throw new Error(
        `CI is set and Prometheus is missing at ${PROMETHEUS}: the Prometheus test must run in CI`,
      )
    }
    tracker = new PerformanceTracker({
      storagePath: null,
      logger: logSink().logger,
      windowSize: WINDOW_SIZE,
      baselineSamples: 100,
      detectionSamples: 500, // the least allowed: the detector starts after half a second
      minLearningMs: 0,
      watchProcess: false, // a stall of the test's own process is not what is tested
    })
    let i = 0
    traffic = setInterval(() => {
      for (let n = 0; n < PER_TICK; n++, i++) {
        tracker.record(OPERATION, factor * (5 + (i % CYCLE) / 10))
      }
    }, TICK_MS)
    const dashboard = createDashboard({ tracker, prefix: '' })
    server = await listen(
      createHttpServer((req, res) => {
        if (!dashboard(req, res)) res.writeHead(404).end()
      }),
    )

    dir = mkdtempSync(join(tmpdir(), 'perfwatch-prometheus-'))
    const config = join(dir, 'prometheus.yml')
    // JSON is YAML: Prometheus reads this as its configuration file.
    writeFileSync(
      config,
      JSON.stringify({
        global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
        rule_files: [ALERTS],
        scrape_configs: [
          {
            job_name: 'perfwatch',
            metrics_path: '/metrics',
            static_configs: [{ targets: [new URL(server.url).host] }],
          },
        ],
      }),
    )
    const port = await freePort()
    prometheusUrl = `http://127.0.0.1:${port}`
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    prometheus.stderr?.setEncoding('utf8')
    prometheus.stderr?.on('data', (text: string) => {
      prometheusLog = (prometheusLog + text).slice(-4000) // its last lines, for a failure
    })
    const child = prometheus
    await waitFor('Prometheus to be ready', 10_000, async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`prometheus exited (${child.exitCode ?? child.signalCode})`)
      }
      const response = await fetch(`${prometheusUrl}/-/ready`, {
        signal: AbortSignal.timeout(1000),
      }).catch(() => undefined)
      return response?.status === 200 ? true : undefined
    })
  }, 15_000)

  afterAll(async () => {
    clearInterval(traffic)
    if (
      prometheus !== undefined &&
      prometheus.exitCode === null &&
      prometheus.signalCode === null
    ) {
      const child = prometheus
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(killer)
    }
    await server?.close()
    await tracker?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  }, 10_000)

  /** The one sample of an instant query's answer, or undefined while there is none. */
  async function querySample(
    promql: string,
  ): Promise<{ labels: Record<string, string>; atMs: number; value: number } | undefined> {
    const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`
    const body = (await (await fetch(url, { signal: AbortSignal.timeout(2000) })).json()) as {
      status: string
      data: { result: { metric: Record<string, string>; value: [number, string] }[] }
    }
    expect(body.status, `${promql}: ${JSON.stringify(body)}`).toBe('success')
    const result = body.data.result
    expect(result.length, `${promql} gave ${JSON.stringify(result)}`).toBeLessThanOrEqual(1)
    const [sample] = result
    if (sample === undefined) return undefined
    const [atSeconds, value] = sample.value
    return { labels: sample.metric, atMs: atSeconds * 1000, value: Number(value) }
  }

  /** `operation="..."` as a PromQL matcher: a JSON string is a valid PromQL string. */
  const byOperation = `operation=${JSON.stringify(OPERATION)}`

  /** Resolves when the tracker's detector runs and the operation is healthy. */
  async function untilLearned(): Promise<void> {
    await waitFor('the baseline to mature', 5_000, async () =>
      tracker.getOperationState(OPERATION) === 'ok' ? true : undefined,
    )
  }

  it('stores the recent p95 in seconds, as the tracker computes it, and the baseline', async () => {
    await untilLearned()
    const learnedAtMs = Date.now()
    // A sample scraped after the window was full of steady traffic (Prometheus stamps a
    // scrape with its start).
    const p95 = await waitFor('a scrape of the steady p95', 10_000, async () => {
      const sample = await querySample(
        `perfwatch_operation_duration_seconds{${byOperation}, quantile="0.95"}`,
      )
      return sample !== undefined && sample.atMs > learnedAtMs + 100 ? sample : undefined
    })
    const stats = tracker.getOperationStats(OPERATION)
    expect(stats?.recentP95).toBeCloseTo(14.405, 9)
    expect(p95.labels).toMatchObject({ job: 'perfwatch', operation: OPERATION })
    expect(p95.value).toBeCloseTo((stats?.recentP95 ?? Number.NaN) / 1000, 12) // seconds
    expect(p95.value).toBeGreaterThan(0.005)
    expect(p95.value).toBeLessThan(0.015)

    const baseline = await querySample(`perfwatch_operation_baseline_p95_seconds{${byOperation}}`)
    expect(baseline?.value).toBeCloseTo((stats?.baseline?.p95 ?? Number.NaN) / 1000, 12)
    const calls = await querySample(`perfwatch_operation_calls_total{${byOperation}}`)
    expect(calls?.value).toBeGreaterThanOrEqual(500)
    expect((await querySample(`perfwatch_operation_degraded{${byOperation}}`))?.value).toBe(0)
  }, 20_000)

  it('shows a slowdown as perfwatch_operation_degraded 1, with both example alerts pending', async () => {
    await untilLearned()
    factor = SLOWDOWN
    const degraded = await waitFor('perfwatch_operation_degraded 1', 8_000, async () => {
      const sample = await querySample(`perfwatch_operation_degraded{${byOperation}}`)
      return sample?.value === 1 ? sample : undefined
    })
    expect(tracker.getOperationState(OPERATION)).toBe('degraded')
    expect(degraded.labels).toMatchObject({ job: 'perfwatch', operation: OPERATION })
    // docs/prometheus/alerts.yml, loaded by this Prometheus: both alerts pending (`for: 1m`,
    // `for: 10m`), the second because the recent p95 is now over twice the baseline's.
    const alert = (name: string) => querySample(`ALERTS{alertname="${name}", ${byOperation}}`)
    const [onDegraded, onP95] = await waitFor('both alerts to be pending', 8_000, async () => {
      const pending = [
        await alert('PerfwatchOperationDegraded'),
        await alert('PerfwatchOperationP95AboveBaseline'),
      ]
      return pending.every((sample) => sample !== undefined) ? pending : undefined
    })
    expect(onDegraded?.labels).toMatchObject({ alertstate: 'pending', severity: 'warning' })
    expect(onP95?.labels).toMatchObject({ alertstate: 'pending', severity: 'warning' })
    // The frozen baseline stayed where it was; the slowdown reached the exposed quantile.
    const baseline = await querySample(`perfwatch_operation_baseline_p95_seconds{${byOperation}}`)
    const baselineMs = tracker.getOperationStats(OPERATION)?.baseline?.p95 ?? Number.NaN
    expect(baseline?.value).toBeCloseTo(baselineMs / 1000, 12)
    expect(baseline?.value).toBeLessThan(0.015)
    const p95 = await querySample(
      `perfwatch_operation_duration_seconds{${byOperation}, quantile="0.95"}`,
    )
    expect(p95?.value).toBeGreaterThan(2 * (baseline?.value ?? Number.NaN))
  }, 20_000)

  /** Polls `check` every 100 ms until it answers something; fails after `timeoutMs`. */
  async function waitFor<T>(
    what: string,
    timeoutMs: number,
    check: () => Promise<T | undefined> | T | undefined,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = await check()
      if (found !== undefined) return found
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out after ${timeoutMs} ms waiting for ${what}. Prometheus said:\n${prometheusLog}`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
})

/** A TCP port free on 127.0.0.1 now (for Prometheus, which cannot report a port 0 it got). */
async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}
