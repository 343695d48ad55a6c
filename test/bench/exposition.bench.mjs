// Exposition to Prometheus and OpenTelemetry: the time one scrape or collection takes, for 100
// and 2,000 operations with full windows (1,000 samples each) and baselines, and its size.
//
// - perfwatch `prometheusText(tracker)`, and the same families through `registerPerfwatchMetrics`
//   in a prom-client Registry (`registry.metrics()`);
// - the peer: prom-client's own `registry.metrics()` for the same series made with prom-client
//   (a Summary with quantiles 0.5, 0.95 and 0.99 per operation, fed the same 1,000 durations;
//   counters of calls, failures and slow calls; gauges of the baseline's quantiles and of the
//   degraded flag): what a service would expose by hand;
// - the OpenTelemetry bridge: `registerOpenTelemetryMetrics` on an sdk-metrics MeterProvider,
//   one `reader.collect()` (2,000 operations only).
// The cases of a size run interleaved, BENCH_ROUNDS (15) times after 3 warm-up rounds; reported:
// median and fastest, and the ratio of medians. Writes docs/results/exposition.{json,md}.
import { writeResult } from './report.mjs'
import { makeRandom, silentLogger } from './sim.mjs'

const dist = new URL('../../dist/', import.meta.url)
const { PerformanceTracker } = await import(new URL('index.js', dist).href)
const { prometheusText } = await import(new URL('http/node.js', dist).href)
const { registerPerfwatchMetrics } = await import(new URL('integrations/prom-client.js', dist).href)
const { registerOpenTelemetryMetrics } = await import(
  new URL('integrations/opentelemetry.js', dist).href
)
const promClient = await import('prom-client')
const { MeterProvider, MetricReader } = await import('@opentelemetry/sdk-metrics')

const SIZES = [100, 2000]
const SAMPLES = 1000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15)
const WARMUP_ROUNDS = 3
const random = makeRandom(15)

/** A tracker and the equivalent prom-client registry, fed the same durations. */
function setUp(operations) {
  const tracker = new PerformanceTracker({
    storagePath: null,
    logger: silentLogger,
    maxOperations: operations,
    watchProcess: false,
  })
  const peer = new promClient.Registry()
  const labelNames = ['operation']
  const duration = new promClient.Summary({
    name: 'peer_operation_duration_seconds',
    help: 'Duration.',
    labelNames,
    percentiles: [0.5, 0.95, 0.99],
    registers: [peer],
  })
  const counter = (name) =>
    new promClient.Counter({ name, help: 'Count.', labelNames, registers: [peer] })
  const calls = counter('peer_operation_calls_total')
  const failures = counter('peer_operation_failures_total')
  const slow = counter('peer_operation_slow_calls_total')
  const baseline = new promClient.Gauge({
    name: 'peer_operation_baseline_duration_seconds',
    help: 'Baseline.',
    labelNames: ['operation', 'quantile'],
    registers: [peer],
  })
  const degraded = new promClient.Gauge({
    name: 'peer_operation_degraded',
    help: 'Degraded.',
    labelNames,
    registers: [peer],
  })
  for (let k = 0; k < operations; k++) {
    const operation = `service.method${k}`
    const median = 1 + (k % 50)
    const labels = { operation }
    for (let i = 0; i < SAMPLES; i++) {
      const ms = median * Math.exp(0.5 * random.normal())
      tracker.record(operation, ms)
      duration.observe(labels, ms / 1000)
      calls.inc(labels)
    }
    failures.inc(labels, 0)
    slow.inc(labels, 0)
    for (const quantile of ['0.5', '0.95', '0.99'])
      baseline.set({ operation, quantile }, median / 1000)
    degraded.set(labels, 0)
  }
  const registry = new promClient.Registry()
  registerPerfwatchMetrics(registry, tracker)
  const reader = new (class extends MetricReader {
    async onForceFlush() {}
    async onShutdown() {}
  })()
  const provider = new MeterProvider({ readers: [reader] })
  registerOpenTelemetryMetrics(tracker, provider.getMeter('bench'))
  return { tracker, peer, registry, reader }
}

async function timed(run) {
  const started = performance.now()
  const result = await run()
  return { ms: performance.now() - started, result }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function measure(operations) {
  const { tracker, peer, registry, reader } = setUp(operations)
  await new Promise((resolve) => setImmediate(resolve)) // baselines' deferred work
  const cases = {
    text: () => prometheusText(tracker),
    collector: () => registry.metrics(),
    peer: () => peer.metrics(),
    ...(operations >= 2000 ? { otel: () => reader.collect() } : {}),
  }
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]))
  const outputs = {}
  const names = Object.keys(cases)
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length] // rotated: no case always runs first
      globalThis.gc?.()
      const { ms, result } = await timed(cases[name])
      if (round >= WARMUP_ROUNDS) times[name].push(ms)
      outputs[name] = result
    }
  }
  const points = outputs.otel?.resourceMetrics.scopeMetrics
    .flatMap((s) => s.metrics)
    .reduce((t, m) => t + m.dataPoints.length, 0)
  const series = (text) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length
  await tracker.close()
  return {
    operations,
    samplesPerOperation: SAMPLES,
    ms: Object.fromEntries(
      names.map((n) => [n, { median: median(times[n]), min: Math.min(...times[n]) }]),
    ),
    bytes: { text: Buffer.byteLength(outputs.text), peer: Buffer.byteLength(outputs.peer) },
    series: { text: series(outputs.text), peer: series(outputs.peer) },
    otelDataPoints: points ?? null,
  }
}

const results = []
for (const operations of SIZES) {
  const result = await measure(operations)
  results.push(result)
  console.log(JSON.stringify(result))
}

const fmt = (v, digits = 1) =>
  v === null || v === undefined
    ? '-'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
const cell = (m) => (m === undefined ? '-' : `${fmt(m.median, 2)} (${fmt(m.min, 2)})`)
const md = [
  `Each case ${ROUNDS} times after ${WARMUP_ROUNDS} warm-up rounds, interleaved; ms per scrape, median (fastest). Every operation has a full window of ${SAMPLES} samples and a baseline. **prom-client by hand**: the same series made with prom-client (a Summary per operation with quantiles 0.5/0.95/0.99 fed the same durations, three counters, two gauges) and its own \`registry.metrics()\`. **ratio**: prom-client by hand's median over perfwatch's \`prometheusText\`'s (above 1: perfwatch is faster).`,
  '',
  '| operations | `prometheusText` | via prom-client registry | prom-client by hand | ratio | series | bytes per operation | OpenTelemetry collect (data points) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...results.map(
    (r) =>
      `| ${fmt(r.operations, 0)} | ${cell(r.ms.text)} | ${cell(r.ms.collector)} | ${cell(r.ms.peer)} | **${fmt(r.ms.peer.median / r.ms.text.median, 2)}** | ${fmt(r.series.text, 0)} (${fmt(r.series.peer, 0)}) | ${fmt(r.bytes.text / r.operations, 0)} (${fmt(r.bytes.peer / r.operations, 0)}) | ${r.ms.otel === undefined ? '-' : `${cell(r.ms.otel)} (${fmt(r.otelDataPoints, 0)})`} |`,
  ),
  '',
  'Series and bytes per operation: perfwatch (prom-client by hand). perfwatch reads the rolling windows at the scrape (their quantiles are exact, over the last 1,000 samples); prom-client keeps a t-digest per label set, fed on every call.',
]
writeResult('exposition', { rounds: ROUNDS, warmupRounds: WARMUP_ROUNDS, results }, md.join('\n'))
