// One round of the hot-path benchmark, in a fresh process (test/bench/hotpath.bench.mjs runs
// several). Every case runs its own loop of n calls, generated per case so V8 optimises each
// loop on its own (as mitata does), timed in batches: one clock read per batch of thousands of
// calls, never per call. Batches of all cases are interleaved, so a noisy moment hits every
// contender alike. Prints {caseId: median ns per call} as JSON.
import { createHistogram, performance } from 'node:perf_hooks'
import { metrics } from '@opentelemetry/api'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import hdr from 'hdr-histogram-js'
import { pino } from 'pino'
import client from 'prom-client'
import { PerformanceTracker } from '../../dist/index.js'
import { defineServices as defineLegacy } from '../fixtures/decorators/out/legacy/services.js'
import { defineServices as defineStandard } from '../fixtures/decorators/out/standard/services.js'

const BATCHES = Number(process.env.BENCH_BATCHES ?? 15)
const BATCH_MS = Number(process.env.BENCH_BATCH_MS ?? 2)

// ---- inputs -------------------------------------------------------------------------------
const values = new Float64Array(1024)
for (let i = 0; i < values.length; i++) values[i] = 5 + ((i * 7919) % 1000) / 100
const names = Array.from({ length: 1000 }, (_, i) => `op.${i}`)
const devNull = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }))

// ---- floors ---------------------------------------------------------------------------------
function empty() {}
// V8 inlines functions of up to 460 bytes of bytecode; a dead branch makes this one larger, so
// it is optimised but never inlined: the cost of a real call.
const noInline = new Function(
  'x',
  `if (x === 'never') { ${Array.from({ length: 120 }, (_, i) => `globalThis.v${i} = x + ${i};`).join(' ')} }`,
)

// The naive reference: a Float64Array ring of 1000 per operation behind a Map, two threshold
// compares and a counter.
const naive = new Map()
function naiveState(name) {
  let state = naive.get(name)
  if (state === undefined) {
    state = { ring: new Float64Array(1000), head: 0, count: 0, slow: 0, p95: 9, limit: 12 }
    naive.set(name, state)
  }
  return state
}
function naiveRecord(name, durationMs) {
  const s = naive.get(name) ?? naiveState(name)
  s.ring[s.head] = durationMs
  s.head = s.head === 999 ? 0 : s.head + 1
  s.count++
  if (durationMs > s.p95 || durationMs > s.limit) s.slow++
}
function naiveWrap(name, fn) {
  return function () {
    const start = performance.now()
    // biome-ignore lint/complexity/noArguments: the same pass-through perfwatch uses
    const result = fn.apply(this, arguments)
    naiveRecord(name, performance.now() - start)
    return result
  }
}

// ---- perfwatch ------------------------------------------------------------------------------
/** Gives `name` a mature baseline learned from the same values the record cases use. */
function learn(tracker, name) {
  for (let i = 0; i < 1000; i++) tracker.record(name, values[i & 1023])
}
const withBaseline = new PerformanceTracker({
  storagePath: null,
  logger: devNull,
  minLearningMs: 0,
})
const noBaseline = new PerformanceTracker({
  storagePath: null,
  logger: devNull,
  baselineSamples: 1000,
  detectionSamples: 1000,
})
const disabled = new PerformanceTracker({ storagePath: null, logger: devNull, enabled: false })

const legacy = new (defineLegacy(withBaseline).OrderService)()
const standard = new (defineStandard(withBaseline).OrderService)()
const legacyNb = new (defineLegacy(noBaseline).OrderService)()
const standardNb = new (defineStandard(noBaseline).OrderService)()
const legacyOff = new (defineLegacy(disabled).OrderService)()
const standardOff = new (defineStandard(disabled).OrderService)()
class Plain {
  noop() {}
}
const plain = new Plain()

const wrapped = withBaseline.wrap('wrap', empty)
const wrappedNb = noBaseline.wrap('wrap', empty)
const wrappedOff = disabled.wrap('wrap', empty)
const naiveWrapped = naiveWrap('naive.wrap', empty)
async function plainAsync() {}
const wrappedAsync = withBaseline.wrap('async', plainAsync)
const wrappedAsyncNb = noBaseline.wrap('async', plainAsync)
// Real services time many functions through the same wrapper code: call each wrapper with a few
// other functions first, so its inner call site is polymorphic, for perfwatch and naive alike.
for (const wrap of [(n, f) => withBaseline.wrap(n, f), naiveWrap]) {
  for (const f of [
    () => 1,
    () => 'x',
    (a) => a,
    function () {
      return this
    },
  ]) {
    const w = wrap(`warm.${f.length}`, f)
    for (let i = 0; i < 5000; i++) w(i)
  }
}
for (const name of ['record', ...names]) learn(withBaseline, name)
// Timed cases learn their baselines from real calls, as in production. A baseline refuses to
// mature on calls slower than the first ones (JIT warm-up, another process on a busy machine),
// so keep calling until every one is mature.
const timed = ['record', 'startEnd', 'wrap', 'async', 'OrderService.noop', 'op.999']
for (let i = 0; timed.some((name) => withBaseline.getOperationState(name) !== 'ok'); i++) {
  if (i === 100_000) throw new Error('no mature baselines after 100,000 calls')
  withBaseline.endOperation(withBaseline.startOperation('startEnd'))
  wrapped()
  legacy.noop()
  standard.noop()
  await wrappedAsync()
}
const timerified = performance.timerify(empty, { histogram: createHistogram() })
const nodeHistogram = createHistogram()

// ---- peers ----------------------------------------------------------------------------------
const promHistogram = new client.Histogram({
  name: 'op_duration_seconds',
  help: 'h',
  labelNames: ['operation'],
  registers: [],
})
const promSummary = new client.Summary({
  name: 'op_summary_seconds',
  help: 's',
  labelNames: ['operation'],
  registers: [],
})
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
const meterProvider = new MeterProvider({ readers: [reader] })
metrics.setGlobalMeterProvider(meterProvider)
const otelHistogram = meterProvider
  .getMeter('bench')
  .createHistogram('operation.duration', { unit: 'ms' })
const hdrHistogram = hdr.build()

// ---- cases ----------------------------------------------------------------------------------
const context = {
  empty,
  noInline,
  performance,
  process,
  values,
  names,
  naiveRecord,
  naiveWrapped,
  withBaseline,
  noBaseline,
  wrapped,
  wrappedNb,
  wrappedOff,
  legacy,
  standard,
  legacyNb,
  standardNb,
  legacyOff,
  standardOff,
  plain,
  plainAsync,
  wrappedAsync,
  wrappedAsyncNb,
  timerified,
  nodeHistogram,
  promHistogram,
  promSummary,
  otelHistogram,
  hdrHistogram,
}

/** [id, group, body (uses i and may use v = values[i & 1023])] */
const CASES = [
  ['empty', 'floor', 'c.empty()'],
  ['emptyNoInline', 'floor', 'c.noInline(i)'],
  ['now1', 'floor', 's += c.performance.now()'],
  ['now2', 'floor', 's += c.performance.now() - c.performance.now()'],
  ['hrtimeBigint2', 'floor', 's += Number(c.process.hrtime.bigint() - c.process.hrtime.bigint())'],
  ['naiveRecord', 'floor', "c.naiveRecord('naive', v)"],
  ['naiveRecord1000', 'floor', 'c.naiveRecord(c.names[i % 1000], v)'],
  ['naiveWrap', 'floor', 'c.naiveWrapped()'],
  ['record', 'perfwatch', "c.withBaseline.record('record', v)"],
  ['recordNoBaseline', 'perfwatch', "c.noBaseline.record('record', v)"],
  ['record1000', 'perfwatch', 'c.withBaseline.record(c.names[i % 1000], v)'],
  [
    'startEnd',
    'perfwatch',
    "c.withBaseline.endOperation(c.withBaseline.startOperation('startEnd')); c.empty()",
  ],
  [
    'startEndNoBaseline',
    'perfwatch',
    "c.noBaseline.endOperation(c.noBaseline.startOperation('startEnd')); c.empty()",
  ],
  ['wrap', 'perfwatch', 'c.wrapped()'],
  ['wrapNoBaseline', 'perfwatch', 'c.wrappedNb()'],
  ['decoratedLegacy', 'perfwatch', 'c.legacy.noop()'],
  ['decoratedStandard', 'perfwatch', 'c.standard.noop()'],
  ['decoratedLegacyNoBaseline', 'perfwatch', 'c.legacyNb.noop()'],
  ['decoratedStandardNoBaseline', 'perfwatch', 'c.standardNb.noop()'],
  ['undecorated', 'disabled', 'c.plain.noop()'],
  ['disabledLegacy', 'disabled', 'c.legacyOff.noop()'],
  ['disabledStandard', 'disabled', 'c.standardOff.noop()'],
  ['disabledWrap', 'disabled', 'c.wrappedOff()'],
  [
    'promTimer',
    'peer',
    "const end = c.promHistogram.startTimer({ operation: 'op' }); c.empty(); end()",
  ],
  ['promObserve', 'peer', "c.promHistogram.observe({ operation: 'op' }, v)"],
  ['promSummary', 'peer', "c.promSummary.observe({ operation: 'op' }, v)"],
  [
    'otelTimed',
    'peer',
    "const t0 = c.performance.now(); c.empty(); c.otelHistogram.record(c.performance.now() - t0, { operation: 'op' })",
  ],
  ['perfHooksRecord', 'peer', 'c.nodeHistogram.record(1 + (i & 1023))'],
  ['perfHooksTimerify', 'peer', 'c.timerified()'],
  ['hdrRecord', 'peer', 'c.hdrHistogram.recordValue(v)'],
  ['asyncPlain', 'async', 'await c.plainAsync()'],
  ['asyncWrapped', 'async', 'await c.wrappedAsync()'],
  ['asyncWrappedNoBaseline', 'async', 'await c.wrappedAsyncNb()'],
]

const only = process.env.BENCH_CASES?.split(',')
const runners = CASES.filter(([id]) => only === undefined || only.includes(id)).map(
  ([id, group, body]) => {
    const isAsync = body.includes('await')
    const source = `return ${isAsync ? 'async ' : ''}function ${id}(n) {
    let s = 0
    for (let i = 0; i < n; i++) { const v = c.values[i & 1023]; ${body} }
    return s
  }`
    // Resets the no-baseline tracker's operations before each batch so they stay learning.
    const reset = id.endsWith('NoBaseline')
    const run = new Function('c', source)(context)
    return { id, group, isAsync, reset, run, n: reset ? 900 : 1000, times: [] }
  },
)

let sink = 0
async function batch(runner) {
  if (runner.reset) {
    for (const name of ['record', 'startEnd', 'wrap', 'async', 'OrderService.noop']) {
      if (noBaseline.getOperationState(name) !== undefined) noBaseline.resetBaseline(name)
    }
  }
  const start = performance.now()
  sink += runner.isAsync ? await runner.run(runner.n) : runner.run(runner.n)
  return performance.now() - start
}

// Warm up and size each case's batch to about BATCH_MS (no-baseline batches stay below the
// 1000 samples that would establish a baseline).
for (const runner of runners) {
  for (let k = 0; k < 20; k++) await batch(runner)
  while (runner.n < 1e7) {
    const ms = await batch(runner)
    if (ms >= BATCH_MS || (runner.reset && runner.n >= 900)) break
    runner.n = runner.reset ? Math.min(900, runner.n * 2) : runner.n * 2
  }
}
for (let b = 0; b < BATCHES; b++) {
  for (const runner of runners) runner.times.push(((await batch(runner)) * 1e6) / runner.n)
}

// Nothing timed was dead code: every contender recorded.
const checks =
  only !== undefined
    ? {}
    : {
        record: withBaseline.getOperationStats('record').totalCount,
        decorated: withBaseline.getOperationStats('OrderService.noop').totalCount,
        noBaseline: noBaseline.getOperationStats('record').totalCount,
        naive: naive.get('naive').count,
        prom: (await promHistogram.get()).values.find((x) => x.metricName?.endsWith('_count'))
          ?.value,
        summary: (await promSummary.get()).values.find((x) => x.metricName?.endsWith('_count'))
          ?.value,
        otel: (await reader.collect()).resourceMetrics.scopeMetrics[0]?.metrics[0]?.dataPoints[0]
          ?.value.count,
        perfHooks: nodeHistogram.count,
        hdr: hdrHistogram.totalCount,
      }
for (const [name, count] of Object.entries(checks)) {
  if (!(count > 0)) throw new Error(`${name} recorded nothing: the benchmark timed dead code`)
}
if (noBaseline.getOperationStats('record')?.baseline !== undefined) {
  throw new Error('the no-baseline case established a baseline')
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(
  JSON.stringify({
    sink: sink !== 0,
    cases: Object.fromEntries(
      runners.map((r) => [r.id, { group: r.group, ns: median(r.times), n: r.n }]),
    ),
  }),
)
await meterProvider.shutdown()
