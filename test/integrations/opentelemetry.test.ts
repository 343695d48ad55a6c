import { type DiagLogger, DiagLogLevel, diag, ValueType } from '@opentelemetry/api'
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  MetricReader,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, it } from 'vitest'
import { PROMETHEUS_FAMILIES } from '../../src/http/prometheus.js'
import {
  type DegradationEvent,
  ERROR_CODES,
  formatLatency,
  InvalidArgumentError,
  InvalidOptionError,
  type OperationStats,
  type RecoveryEvent,
} from '../../src/index.js'
import {
  type OpenTelemetrySource,
  registerOpenTelemetryMetrics,
} from '../../src/integrations/opentelemetry.js'
import { fileTracker, savedFile } from '../helpers/baseline-file.js'
import { thrownBy } from '../helpers/thrown.js'
import { feedingTracker, nextTurn, testTracker } from '../helpers/tracker.js'

/** A reader the test collects on demand (the SDK's own `collect`, as an exporter's reader runs it). */
class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** A meter of a real MeterProvider and a function collecting its metrics as exporters get them. */
function meterAndReader() {
  const reader = new OnDemandReader()
  const provider = new MeterProvider({ readers: [reader] })
  const meter = provider.getMeter('perfwatch-test')
  const collect = async (): Promise<MetricData[]> => {
    const { resourceMetrics, errors } = await reader.collect()
    expect(errors).toEqual([])
    return resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)
  }
  return { meter, collect }
}

interface Point {
  name: string
  attributes: Record<string, unknown>
  value: number
}

/** Every data point, sorted by name and attributes, with a gauge's or a sum's value. */
function pointsOf(metrics: MetricData[]): Point[] {
  const points: Point[] = []
  for (const metric of metrics) {
    for (const point of metric.dataPoints) {
      points.push({
        name: metric.descriptor.name,
        attributes: { ...point.attributes },
        value: point.value as number,
      })
    }
  }
  return points.sort(byKey)
}

function byKey(a: Point, b: Point): number {
  const key = (p: Point) => `${p.name} ${JSON.stringify(p.attributes)}`
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0
}

const QUANTILES = [
  [0.5, 'p50'],
  [0.95, 'p95'],
  [0.99, 'p99'],
] as const

/** The data points one operation's snapshot should give, computed here from the spec. */
function expectedPoints(stats: OperationStats): Point[] {
  const operation = { 'perfwatch.operation.name': stats.operation }
  const points: Point[] = []
  const recent = { p50: stats.recentP50, p95: stats.recentP95, p99: stats.recentP99 }
  for (const [quantile, key] of QUANTILES) {
    const ms = recent[key]
    if (ms === null) continue
    points.push({
      name: 'perfwatch.operation.duration',
      attributes: { ...operation, 'perfwatch.quantile': quantile },
      value: ms / 1000,
    })
  }
  points.push(
    {
      name: 'perfwatch.operation.time',
      attributes: operation,
      value: stats.totalDurationMs / 1000,
    },
    { name: 'perfwatch.operation.calls', attributes: operation, value: stats.totalCount },
    { name: 'perfwatch.operation.failures', attributes: operation, value: stats.failureCount },
    { name: 'perfwatch.operation.slow_calls', attributes: operation, value: stats.degradedCount },
    {
      name: 'perfwatch.operation.degraded',
      attributes: operation,
      value: stats.state === 'degraded' ? 1 : 0,
    },
  )
  const baseline = stats.baseline
  if (baseline !== undefined) {
    for (const [quantile, key] of QUANTILES) {
      points.push({
        name: 'perfwatch.operation.baseline.duration',
        attributes: { ...operation, 'perfwatch.quantile': quantile },
        value: baseline[key] / 1000,
      })
    }
  }
  return points
}

/** A LoggerProvider of sdk-logs writing into an in-memory exporter. */
function logPipeline() {
  const exporter = new InMemoryLogRecordExporter()
  const loggerProvider = new LoggerProvider({
    processors: [new SimpleLogRecordProcessor({ exporter })],
  })
  return { loggerProvider, records: () => exporter.getFinishedLogRecords() }
}

/** OpenTelemetry's diag warnings, captured for the test (and reset after it). */
function diagWarnings(): unknown[][] {
  const warnings: unknown[][] = []
  const ignore = () => {}
  const logger: DiagLogger = {
    error: ignore,
    warn: (...args) => warnings.push(args),
    info: ignore,
    debug: ignore,
    verbose: ignore,
  }
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true })
  return warnings
}

afterEach(() => diag.disable())

/** An ISO-8601 time as OpenTelemetry's `[seconds, nanoseconds]` since the epoch. */
function hrTimeOf(iso: string): [number, number] {
  const ms = Date.parse(iso)
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6]
}

/**
 * A tracker with `db.query` degraded (log-normal samples, median 10 ms, then `factor` times
 * slower), `cache.get` with a baseline and healthy, and `fresh` still learning, with failures.
 */
async function trackerWithEveryState(factor = 3) {
  const setup = feedingTracker()
  const { tracker, feed, events } = setup
  feed(3000)
  feed(3000, 0.2, 'cache.get')
  feed(500, factor)
  for (let i = 0; i < 5; i++) tracker.record('fresh', 2 + i, { success: i % 2 === 0 })
  await nextTurn()
  expect(events.degradation).toHaveLength(1)
  expect(tracker.getOperationState('db.query')).toBe('degraded')
  expect(tracker.getOperationState('cache.get')).toBe('ok')
  expect(tracker.getOperationState('fresh')).toBe('learning')
  return setup
}

describe('registerOpenTelemetryMetrics: the instruments', () => {
  it('observe every operation as its snapshot says, durations in seconds', async () => {
    const { tracker } = await trackerWithEveryState()
    const { meter, collect } = meterAndReader()
    registerOpenTelemetryMetrics(tracker, meter)
    const points = pointsOf(await collect())
    const names = ['db.query', 'cache.get', 'fresh']
    const expected = names.flatMap((name) => {
      const stats = tracker.getOperationStats(name)
      if (stats === undefined) throw new Error(`no ${name}`)
      return expectedPoints(stats)
    })
    expected.push(
      { name: 'perfwatch.operation.count', attributes: {}, value: 3 },
      { name: 'perfwatch.internal.errors', attributes: {}, value: 0 },
    )
    expect(points).toEqual(expected.sort(byKey))
    // What the snapshot-driven expectation rests on, checked by hand for once.
    const degraded = points.filter((p) => p.name === 'perfwatch.operation.degraded')
    expect(degraded.map((p) => [p.attributes['perfwatch.operation.name'], p.value])).toEqual([
      ['cache.get', 0],
      ['db.query', 1],
      ['fresh', 0],
    ])
    const fresh = tracker.getOperationStats('fresh')
    expect(fresh).toMatchObject({ totalCount: 5, failureCount: 2, totalDurationMs: 20 })
    expect(points).toContainEqual({
      name: 'perfwatch.operation.time',
      attributes: { 'perfwatch.operation.name': 'fresh' },
      value: 0.02,
    })
    expect(points).toContainEqual({
      name: 'perfwatch.operation.duration',
      attributes: { 'perfwatch.operation.name': 'fresh', 'perfwatch.quantile': 0.5 },
      value: 0.004,
    })
    expect(points.filter((p) => p.name === 'perfwatch.operation.baseline.duration')).toHaveLength(6)
  })

  it("reach the SDK's in-memory exporter through a periodic reader as the snapshot says", async () => {
    const { tracker } = await trackerWithEveryState()
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    // An export interval far beyond the test: forceFlush exports, as at shutdown.
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
    const provider = new MeterProvider({ readers: [reader] })
    try {
      registerOpenTelemetryMetrics(tracker, provider.getMeter('perfwatch-test'))
      await reader.forceFlush()
      const exported = exporter.getMetrics()
      expect(exported).toHaveLength(1)
      const metrics = exported.flatMap((r) => r.scopeMetrics.flatMap((scope) => scope.metrics))
      const expected = ['db.query', 'cache.get', 'fresh'].flatMap((name) =>
        expectedPoints(tracker.getOperationStats(name) as OperationStats),
      )
      expected.push(
        { name: 'perfwatch.operation.count', attributes: {}, value: 3 },
        { name: 'perfwatch.internal.errors', attributes: {}, value: 0 },
      )
      expect(pointsOf(metrics)).toEqual(expected.sort(byKey))
    } finally {
      await provider.shutdown()
    }
  })

  it('have the names, kinds and units of docs/opentelemetry.md', async () => {
    const { tracker } = await trackerWithEveryState()
    const { meter, collect } = meterAndReader()
    registerOpenTelemetryMetrics(tracker, meter)
    const described = (await collect()).map((metric) => {
      const kind =
        metric.dataPointType === DataPointType.GAUGE
          ? 'gauge'
          : metric.dataPointType === DataPointType.SUM && metric.isMonotonic
            ? 'counter'
            : metric.dataPointType === DataPointType.SUM
              ? 'updowncounter'
              : 'other'
      return [metric.descriptor.name, kind, metric.descriptor.unit, metric.descriptor.valueType]
    })
    const { DOUBLE, INT } = ValueType
    expect(described.sort()).toEqual(
      [
        ['perfwatch.operation.duration', 'gauge', 's', DOUBLE],
        ['perfwatch.operation.time', 'counter', 's', DOUBLE],
        ['perfwatch.operation.calls', 'counter', '{call}', INT],
        ['perfwatch.operation.failures', 'counter', '{call}', INT],
        ['perfwatch.operation.slow_calls', 'counter', '{call}', INT],
        ['perfwatch.operation.baseline.duration', 'gauge', 's', DOUBLE],
        ['perfwatch.operation.degraded', 'gauge', '1', INT],
        ['perfwatch.operation.count', 'updowncounter', '{operation}', INT],
        ['perfwatch.internal.errors', 'counter', '{error}', INT],
      ].sort(),
    )
  })

  it('have a counterpart of every Prometheus family', () => {
    // Adding a family to src/http/prometheus.ts without an instrument here fails this test.
    expect(PROMETHEUS_FAMILIES.map((family) => family.name)).toEqual([
      'perfwatch_operation_duration_seconds', // .duration (quantiles), .time (_sum), .calls (_count)
      'perfwatch_operation_calls_total', // perfwatch.operation.calls
      'perfwatch_operation_failures_total', // perfwatch.operation.failures
      'perfwatch_operation_slow_calls_total', // perfwatch.operation.slow_calls
      'perfwatch_operation_baseline_p50_seconds', // perfwatch.operation.baseline.duration 0.5
      'perfwatch_operation_baseline_p95_seconds', // perfwatch.operation.baseline.duration 0.95
      'perfwatch_operation_baseline_p99_seconds', // perfwatch.operation.baseline.duration 0.99
      'perfwatch_operation_degraded', // perfwatch.operation.degraded
      'perfwatch_operations', // perfwatch.operation.count
      'perfwatch_internal_errors_total', // perfwatch.internal.errors
    ])
  })

  it('leave out the recent quantiles of an operation with a restored baseline and no call yet', async () => {
    const path = await savedFile(1)
    const { tracker } = fileTracker(path)
    const { meter, collect } = meterAndReader()
    registerOpenTelemetryMetrics(tracker, meter)
    const stats = tracker.getOperationStats('op0')
    expect(stats).toMatchObject({ sampleCount: 0, recentP50: null, baseline: { p50: 14.5 } })
    const op0 = pointsOf(await collect()).filter(
      (p) => p.attributes['perfwatch.operation.name'] === 'op0',
    )
    expect(op0.filter((p) => p.name === 'perfwatch.operation.duration')).toEqual([])
    expect(op0).toEqual(expectedPoints(stats as OperationStats).sort(byKey))
    await tracker.close()
  })

  it('read one summary per collection, and only when collected', async () => {
    const { tracker, feed } = feedingTracker()
    let summaries = 0
    const counting: OpenTelemetrySource = {
      getSystemSummary: () => {
        summaries++
        return tracker.getSystemSummary()
      },
      on: (name, listener) => tracker.on(name, listener),
      off: (name, listener) => tracker.off(name, listener),
    }
    const { meter, collect } = meterAndReader()
    registerOpenTelemetryMetrics(counting, meter, { loggerProvider: logPipeline().loggerProvider })
    feed(3000)
    feed(3000, 1, 'cache.get')
    expect(summaries).toBe(0) // recording never reads it
    expect(pointsOf(await collect()).length).toBeGreaterThan(20)
    expect(summaries).toBe(1)
    await collect()
    expect(summaries).toBe(2)
  })

  it('are cumulative: the counters go on from one collection to the next', async () => {
    const { tracker } = testTracker()
    const { meter, collect } = meterAndReader()
    registerOpenTelemetryMetrics(tracker, meter)
    tracker.record('db.query', 250)
    const first = pointsOf(await collect())
    tracker.record('db.query', 750, { success: false })
    const second = pointsOf(await collect())
    const value = (points: Point[], name: string) => points.find((p) => p.name === name)?.value
    expect(value(first, 'perfwatch.operation.time')).toBe(0.25)
    expect(value(second, 'perfwatch.operation.time')).toBe(1)
    expect(value(first, 'perfwatch.operation.calls')).toBe(1)
    expect(value(second, 'perfwatch.operation.calls')).toBe(2)
    expect(value(second, 'perfwatch.operation.failures')).toBe(1)
  })
})

describe('registerOpenTelemetryMetrics: failures', () => {
  it('leave the collection whole when the tracker throws, with a diag warning', async () => {
    const warnings = diagWarnings()
    const failure = new Error('summary broke')
    const broken: OpenTelemetrySource = {
      getSystemSummary: () => {
        throw failure
      },
      on: () => undefined,
      off: () => undefined,
    }
    const { meter, collect } = meterAndReader()
    const counter = meter.createObservableCounter('app.jobs')
    counter.addCallback((result) => result.observe(7))
    registerOpenTelemetryMetrics(broken, meter)
    const metrics = await collect() // no collection error: expect(errors).toEqual([]) in collect
    expect(pointsOf(metrics)).toEqual([{ name: 'app.jobs', attributes: {}, value: 7 }])
    expect(warnings).toEqual([
      [
        'perfwatch: reading the tracker failed; this collection has no new perfwatch values',
        failure,
      ],
    ])
  })

  it.each([
    ['no tracker', undefined],
    ['null', null],
    ['an object without getSystemSummary', {}],
  ])('throw InvalidArgumentError for %s as the tracker', async (_case, tracker) => {
    const { meter, collect } = meterAndReader()
    const error = thrownBy(() =>
      registerOpenTelemetryMetrics(tracker as unknown as OpenTelemetrySource, meter),
    )
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect(error).toMatchObject({
      code: ERROR_CODES.invalidArgument,
      message: expect.stringMatching(/^tracker must be a PerformanceTracker, got /),
    })
    expect(await collect()).toEqual([])
  })

  it.each([
    ['no meter', undefined],
    ['a MeterProvider', new MeterProvider()],
    ['a meter without batch callbacks', { createObservableGauge: () => ({}) }],
  ])('throw InvalidArgumentError for %s as the meter', (_case, meter) => {
    const { tracker } = testTracker()
    const error = thrownBy(() => registerOpenTelemetryMetrics(tracker, meter as never))
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect(error).toMatchObject({
      code: ERROR_CODES.invalidArgument,
      message: expect.stringMatching(/^meter must be an OpenTelemetry Meter, got /),
    })
  })

  it.each([
    ['options that are not an object', 'loggerProvider', /^options must be an object, got /],
    [
      'an unknown option',
      { loggerprovider: {} },
      /^Unknown option "loggerprovider" of registerOpenTelemetryMetrics: the options are loggerProvider$/,
    ],
    [
      'a loggerProvider without getLogger',
      { loggerProvider: {} },
      /^loggerProvider must be an OpenTelemetry LoggerProvider \(with getLogger\), got /,
    ],
  ])('throw InvalidOptionError for %s, registering nothing', async (_case, options, message) => {
    const { tracker, feed } = feedingTracker()
    feed(10)
    const { meter, collect } = meterAndReader()
    const error = thrownBy(() => registerOpenTelemetryMetrics(tracker, meter, options as never))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error).toMatchObject({ code: ERROR_CODES.invalidOption, message })
    expect(await collect()).toEqual([])
  })

  it('throw InvalidArgumentError for a loggerProvider with a tracker that has no on/off', async () => {
    const { tracker } = testTracker()
    const { meter, collect } = meterAndReader()
    const { loggerProvider, records } = logPipeline()
    const summaryOnly = { getSystemSummary: () => tracker.getSystemSummary() }
    const error = thrownBy(() =>
      registerOpenTelemetryMetrics(summaryOnly as OpenTelemetrySource, meter, { loggerProvider }),
    )
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect(error).toMatchObject({
      message: expect.stringMatching(/^tracker must be a PerformanceTracker \(with on and off\)/),
    })
    expect(await collect()).toEqual([])
    expect(records()).toEqual([])
  })
})

describe('registerOpenTelemetryMetrics: log records', () => {
  it.each([
    [1.5, 'warning', 13, 'WARN'],
    [3, 'critical', 17, 'ERROR'],
  ] as const)(
    'emits a degradation %sx slower (%s) at %s, with its fields in seconds',
    async (factor, severity, severityNumber, severityText) => {
      const { tracker, feed, events } = feedingTracker()
      const { meter } = meterAndReader()
      const { loggerProvider, records } = logPipeline()
      registerOpenTelemetryMetrics(tracker, meter, { loggerProvider })
      feed(3000)
      feed(500, factor)
      await nextTurn()
      expect(events.degradation).toHaveLength(1)
      const event = events.degradation[0] as DegradationEvent
      expect(event.severity).toBe(severity)
      expect(records()).toHaveLength(1)
      const record = records()[0]
      expect(record).toMatchObject({
        eventName: 'perfwatch.degradation',
        severityNumber,
        severityText,
        body: expect.stringMatching(
          new RegExp(
            `^Sustained degradation of db\\.query \\(shift, ${severity}\\): recent p50 [\\d.]+ms vs baseline p50 [\\d.]+ms$`,
          ),
        ),
        instrumentationScope: { name: 'perfwatch' },
      })
      expect(record?.hrTime).toEqual(hrTimeOf(event.at))
      expect(record?.attributes).toEqual({
        'perfwatch.operation.name': 'db.query',
        'perfwatch.degradation.rule': 'shift',
        'perfwatch.degradation.severity': severity,
        'perfwatch.degradation.escalated': false,
        'perfwatch.degradation.samples_since_onset': event.samplesSinceOnset,
        'perfwatch.degradation.recent_p50': (event.recentP50 as number) / 1000,
        'perfwatch.degradation.recent_p95': (event.recentP95 as number) / 1000,
        'perfwatch.degradation.baseline_p50': event.baselineP50 / 1000,
        'perfwatch.degradation.baseline_p95': event.baselineP95 / 1000,
        'perfwatch.degradation.error_rate': event.recentErrorRate,
        'perfwatch.degradation.calls_per_second': event.callsPerSecond,
        'perfwatch.degradation.baseline_calls_per_second': event.baselineCallsPerSecond,
      })
      expect(event.eventLoopUtilization).toBeNull() // null: left out (attributes cannot be null)
    },
  )

  it('emits a degradation of the errors rule with the failed share in its body', async () => {
    const { tracker, clock, feed, events, draw } = feedingTracker()
    const { loggerProvider, records } = logPipeline()
    registerOpenTelemetryMetrics(tracker, meterAndReader().meter, { loggerProvider })
    feed(1000)
    for (let i = 0; i < 50; i++) {
      clock.advance(5)
      tracker.record('db.query', draw(), { success: i % 2 === 0 })
    }
    await nextTurn()
    const event = events.degradation[0] as DegradationEvent
    expect(event.rule).toBe('errors')
    expect(records()).toHaveLength(1)
    expect(records()[0]?.body).toBe(
      `Sustained degradation of db.query (errors, ${event.severity}): ` +
        `${(event.recentErrorRate * 100).toFixed(1)}% of recent calls failed`,
    )
    expect(records()[0]?.attributes).toMatchObject({
      'perfwatch.degradation.rule': 'errors',
      'perfwatch.degradation.error_rate': event.recentErrorRate,
    })
  })

  it('emits an escalation within the same episode as worse, at ERROR', async () => {
    const { tracker, feed, events } = feedingTracker()
    const { loggerProvider, records } = logPipeline()
    registerOpenTelemetryMetrics(tracker, meterAndReader().meter, { loggerProvider })
    feed(3000)
    feed(1000, 1.5) // a warning
    await nextTurn()
    while ((tracker.getOperationStats('db.query')?.detector?.shiftScore ?? 0) > 0) feed(1)
    feed(4000)
    feed(300, 5) // back within the recovery hold, and critical
    await nextTurn()
    expect(events.degradation.map((e) => [e.severity, e.escalated])).toEqual([
      ['warning', false],
      ['critical', true],
    ])
    const escalation = records()[1]
    expect(escalation).toMatchObject({ severityNumber: 17, severityText: 'ERROR' })
    expect(escalation?.body).toMatch(
      /^Worse within the same episode: Sustained degradation of db\.query \(shift, critical\)/,
    )
    expect(escalation?.attributes['perfwatch.degradation.escalated']).toBe(true)
  })

  it('emits a recovery at INFO, its duration in seconds', async () => {
    const { tracker, feed, events } = feedingTracker({ recoveryHoldMs: 1000 })
    const { meter } = meterAndReader()
    const { loggerProvider, records } = logPipeline()
    registerOpenTelemetryMetrics(tracker, meter, { loggerProvider })
    feed(3000)
    feed(1000, 2)
    feed(3000)
    await nextTurn()
    expect(events.recovery).toHaveLength(1)
    const event = events.recovery[0] as RecoveryEvent
    expect(records().map((r) => r.eventName)).toEqual([
      'perfwatch.degradation',
      'perfwatch.recovery',
    ])
    const record = records()[1]
    expect(record).toMatchObject({
      severityNumber: 9,
      severityText: 'INFO',
      body: `db.query recovered after ${formatLatency(event.durationMs)}`,
    })
    expect(record?.hrTime).toEqual(hrTimeOf(event.at))
    expect(record?.attributes).toEqual({
      'perfwatch.operation.name': 'db.query',
      'perfwatch.recovery.degraded_since': event.degradedSince,
      'perfwatch.recovery.duration': event.durationMs / 1000,
      'perfwatch.recovery.samples': event.samples,
      'perfwatch.recovery.slow_samples': event.slowSamples,
    })
  })

  it('reports a logger that throws through diag, not as an internal error of the tracker', async () => {
    const warnings = diagWarnings()
    const { tracker, feed, events } = feedingTracker()
    const failure = new Error('emit broke')
    const loggerProvider = {
      getLogger: () => ({
        emit: () => {
          throw failure
        },
      }),
    }
    registerOpenTelemetryMetrics(tracker, meterAndReader().meter, { loggerProvider })
    feed(3000)
    feed(500, 3)
    await nextTurn()
    expect(events.degradation).toHaveLength(1)
    expect(warnings).toEqual([['perfwatch: emitting a log record failed', failure]])
    expect(tracker.getSystemSummary().internalErrors).toBe(0)
  })
})

describe('unregister', () => {
  it('removes the callback and the listeners, once', async () => {
    const { tracker, feed, events } = feedingTracker()
    const calls = { summaries: 0, on: 0, off: 0 }
    const counting: OpenTelemetrySource = {
      getSystemSummary: () => {
        calls.summaries++
        return tracker.getSystemSummary()
      },
      on: (name, listener) => {
        calls.on++
        return tracker.on(name, listener)
      },
      off: (name, listener) => {
        calls.off++
        return tracker.off(name, listener)
      },
    }
    const { meter, collect } = meterAndReader()
    const { loggerProvider, records } = logPipeline()
    const registration = registerOpenTelemetryMetrics(counting, meter, { loggerProvider })
    const calls3000 = {
      name: 'perfwatch.operation.calls',
      attributes: { 'perfwatch.operation.name': 'db.query' },
      value: 3000,
    }
    feed(3000)
    expect(pointsOf(await collect())).toContainEqual(calls3000)
    registration.unregister()
    registration.unregister()
    expect(calls).toEqual({ summaries: 1, on: 2, off: 2 })
    feed(500, 3)
    await nextTurn()
    expect(events.degradation).toHaveLength(1)
    expect(records()).toEqual([])
    // The tracker is no longer read: sdk-metrics 2.x, cumulative, repeats the last values it
    // has, which no longer change.
    expect(pointsOf(await collect())).toContainEqual(calls3000)
    expect(calls.summaries).toBe(1)
    // Registered again on the same meter: the same instruments, up to date again.
    registerOpenTelemetryMetrics(tracker, meter)
    expect(pointsOf(await collect())).toContainEqual({ ...calls3000, value: 3500 })
  })
})
