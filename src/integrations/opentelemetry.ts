import {
  type Attributes,
  type BatchObservableResult,
  diag,
  type Meter,
  type Observable,
  ValueType,
} from '@opentelemetry/api'
import { MS_PER_SECOND, PROMETHEUS_FAMILIES, QUANTILES, RECENT } from '../http/prometheus.js'
import {
  type DegradationEvent,
  formatLatency,
  formatPercent,
  InvalidArgumentError,
  InvalidOptionError,
  type OperationStats,
  type RecoveryEvent,
  type SystemSummary,
  type TrackerEventName,
  type TrackerListener,
} from '../index.js'

/**
 * What the bridge reads of a tracker: a `PerformanceTracker` is one. `on` and `off` are called
 * only with a `loggerProvider`, for the `degradation` and `recovery` events.
 */
export interface OpenTelemetrySource {
  getSystemSummary(): SystemSummary
  on<K extends TrackerEventName>(name: K, listener: TrackerListener<K>): unknown
  off<K extends TrackerEventName>(name: K, listener: TrackerListener<K>): unknown
}

/**
 * A log record as the bridge emits it: a subset of `@opentelemetry/api-logs`' `LogRecord`,
 * declared here so that nothing of the logs API loads at runtime. Severity numbers are the
 * specification's: 9 INFO, 13 WARN, 17 ERROR.
 */
export interface OtelLogRecord {
  /** `perfwatch.degradation` or `perfwatch.recovery` (api-logs 0.200 and later read it). */
  eventName: string
  /** When the tracker saw it (the event's `at`). */
  timestamp: Date
  severityNumber: number
  severityText: string
  body: string
  attributes: Attributes
}

/** What the bridge calls on a logger: `@opentelemetry/api-logs`' `Logger` is one. */
export interface OtelLogger {
  emit(record: OtelLogRecord): void
}

/** What the bridge calls on a logger provider: `@opentelemetry/api-logs`' `LoggerProvider` is one. */
export interface OtelLoggerProvider {
  getLogger(name: string, version?: string): OtelLogger
}

/** Options of `registerOpenTelemetryMetrics`. */
export interface OpenTelemetryOptions {
  /**
   * Where `degradation` and `recovery` events go as log records (docs/opentelemetry.md#log-records),
   * through its logger `perfwatch`. @default none: metrics only
   */
  loggerProvider?: OtelLoggerProvider
}

/** What `registerOpenTelemetryMetrics` returns. */
export interface OpenTelemetryRegistration {
  /**
   * Removes the batch callback and the tracker listeners: later collections no longer read the
   * tracker and no log record is emitted. The instruments stay on the meter (the OpenTelemetry
   * API cannot remove them), and an SDK may go on exporting the last values it has (sdk-metrics
   * 2.x does with cumulative temporality), which no longer change. Calling it again does nothing.
   */
  unregister(): void
}

/** The attribute naming the operation on every per-operation data point. */
export const OPERATION_ATTRIBUTE = 'perfwatch.operation.name'
/** The attribute naming the quantile (0.5, 0.95, 0.99) of a duration data point. */
export const QUANTILE_ATTRIBUTE = 'perfwatch.quantile'

// Severity numbers of the log data model (SeverityNumber of api-logs, an enum: not imported, so
// that api-logs need not be installed).
const SEVERITY_INFO = 9
const SEVERITY_WARN = 13
const SEVERITY_ERROR = 17

const OPTION_NAMES = ['loggerProvider']

/*
 * The instruments, named by the semantic conventions' rules (docs/opentelemetry.md#metrics):
 * lower-case, dot-separated, in the `perfwatch.` namespace, no unit in the name and UCUM units
 * (`s`, `{call}`); pluralized only for counts of things (`calls`, `failures`), `*.count` for the
 * number of entities of a namespace (`perfwatch.operation.count`, as `system.process.count`),
 * `*.time` for a counter of seconds spent (as `process.cpu.time`). The operation is the attribute
 * `perfwatch.operation.name` (as `db.operation.name`), namespaced so that it never clashes with
 * the user's own attributes. The figures are the Prometheus exposition's (src/http/prometheus.ts),
 * which reads the same snapshot; a summary has no OpenTelemetry instrument, so its quantiles are
 * a gauge with a quantile attribute and its sum a counter.
 */
function createInstruments(meter: Meter) {
  // The same words as the Prometheus families' help, where the figure is the same.
  const helpOf = (name: string) => PROMETHEUS_FAMILIES.find((f) => f.name === name)?.help ?? ''
  const int = ValueType.INT
  return {
    duration: meter.createObservableGauge('perfwatch.operation.duration', {
      unit: 's',
      description:
        'Duration of the operation: quantiles of the recent window (windowSize samples).',
    }),
    time: meter.createObservableCounter('perfwatch.operation.time', {
      unit: 's',
      description: 'Sum of the durations of every call recorded since the tracker started.',
    }),
    calls: meter.createObservableCounter('perfwatch.operation.calls', {
      unit: '{call}',
      valueType: int,
      description: helpOf('perfwatch_operation_calls_total'),
    }),
    failures: meter.createObservableCounter('perfwatch.operation.failures', {
      unit: '{call}',
      valueType: int,
      description: helpOf('perfwatch_operation_failures_total'),
    }),
    slowCalls: meter.createObservableCounter('perfwatch.operation.slow_calls', {
      unit: '{call}',
      valueType: int,
      description: helpOf('perfwatch_operation_slow_calls_total'),
    }),
    baselineDuration: meter.createObservableGauge('perfwatch.operation.baseline.duration', {
      unit: 's',
      description: "The baseline's duration quantiles (operations with a baseline only).",
    }),
    degraded: meter.createObservableGauge('perfwatch.operation.degraded', {
      unit: '1',
      valueType: int,
      description: helpOf('perfwatch_operation_degraded'),
    }),
    operations: meter.createObservableUpDownCounter('perfwatch.operation.count', {
      unit: '{operation}',
      valueType: int,
      description: helpOf('perfwatch_operations'),
    }),
    internalErrors: meter.createObservableCounter('perfwatch.internal.errors', {
      unit: '{error}',
      valueType: int,
      description: helpOf('perfwatch_internal_errors_total'),
    }),
  }
}

type Instruments = ReturnType<typeof createInstruments>

/**
 * Exposes a tracker's figures as observable instruments of an OpenTelemetry `Meter` (the same
 * figures as the Prometheus exposition; names, units and attributes in docs/opentelemetry.md):
 * one batch callback reads one `getSystemSummary()` per collection, so the recording path does
 * nothing for it. Durations are in seconds. With `options.loggerProvider`, each `degradation`
 * (WARN, ERROR when critical) and `recovery` (INFO) event is also emitted as a log record.
 * A failure while collecting or emitting is reported with `diag.warn`, never thrown.
 * Register once per meter: a second registration on the same meter observes the same series twice.
 * @returns a handle whose `unregister()` removes the callback and the listeners
 * @throws InvalidArgumentError when `tracker` has no `getSystemSummary` (or no `on`/`off` with a
 * `loggerProvider`) or `meter` is not an OpenTelemetry `Meter`; InvalidOptionError when
 * `options` is not an object, names an unknown option or has a `loggerProvider` without
 * `getLogger`. Nothing is registered then.
 * @example
 * import { metrics } from '@opentelemetry/api'
 * import { registerOpenTelemetryMetrics } from 'perfwatch/otel'
 * const registration = registerOpenTelemetryMetrics(tracker, metrics.getMeter('my-service'))
 * // at shutdown: registration.unregister()
 */
export function registerOpenTelemetryMetrics(
  tracker: OpenTelemetrySource,
  meter: Meter,
  options: OpenTelemetryOptions = {},
): OpenTelemetryRegistration {
  const source = tracker as Partial<OpenTelemetrySource> | null | undefined
  if (typeof source?.getSystemSummary !== 'function') {
    throw new InvalidArgumentError('tracker', 'a PerformanceTracker', tracker)
  }
  if (!isMeter(meter)) {
    throw new InvalidArgumentError('meter', 'an OpenTelemetry Meter', meter)
  }
  const loggerProvider = checkOptions(options)
  if (
    loggerProvider !== undefined &&
    (typeof source.on !== 'function' || typeof source.off !== 'function')
  ) {
    throw new InvalidArgumentError('tracker', 'a PerformanceTracker (with on and off)', tracker)
  }
  const logger = loggerProvider?.getLogger('perfwatch')

  const instruments = createInstruments(meter)
  const observables: Observable[] = Object.values(instruments)
  // One summary per collection for every instrument: a batch callback, not one per instrument.
  const collect = (result: BatchObservableResult) => {
    try {
      observeSummary(result, instruments, tracker.getSystemSummary())
    } catch (error) {
      // The collection goes on without new perfwatch values; OpenTelemetry's rule is to warn
      // through diag, never to throw into the SDK.
      diag.warn(
        'perfwatch: reading the tracker failed; this collection has no new perfwatch values',
        error,
      )
    }
  }
  meter.addBatchObservableCallback(collect, observables)

  const stopLogging = logger === undefined ? undefined : logEvents(tracker, logger)

  let isRegistered = true
  return {
    unregister() {
      if (!isRegistered) return
      isRegistered = false
      meter.removeBatchObservableCallback(collect, observables)
      stopLogging?.()
    },
  }
}

/** Emits each `degradation` and `recovery` event as a log record; returns what undoes it. */
function logEvents(tracker: OpenTelemetrySource, logger: OtelLogger): () => void {
  const emit = (record: () => OtelLogRecord) => {
    try {
      logger.emit(record())
    } catch (error) {
      // Not thrown to the tracker, which would count it as its own failure: it is the logs
      // pipeline's, reported where OpenTelemetry reports its own.
      diag.warn('perfwatch: emitting a log record failed', error)
    }
  }
  const onDegradation = (event: DegradationEvent) => emit(() => degradationRecord(event))
  const onRecovery = (event: RecoveryEvent) => emit(() => recoveryRecord(event))
  tracker.on('degradation', onDegradation)
  tracker.on('recovery', onRecovery)
  return () => {
    tracker.off('degradation', onDegradation)
    tracker.off('recovery', onRecovery)
  }
}

function isMeter(value: unknown): value is Meter {
  const meter = value as Partial<Meter> | null | undefined
  return (
    typeof meter?.createObservableGauge === 'function' &&
    typeof meter.createObservableCounter === 'function' &&
    typeof meter.createObservableUpDownCounter === 'function' &&
    typeof meter.addBatchObservableCallback === 'function' &&
    typeof meter.removeBatchObservableCallback === 'function'
  )
}

function checkOptions(options: unknown): OtelLoggerProvider | undefined {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidOptionError('options', 'an object', options)
  }
  for (const name of Object.keys(options)) {
    if (!OPTION_NAMES.includes(name)) {
      throw new InvalidOptionError(
        name,
        `Unknown option ${JSON.stringify(name)} of registerOpenTelemetryMetrics: the options are ${OPTION_NAMES.join(', ')}`,
      )
    }
  }
  const { loggerProvider } = options as OpenTelemetryOptions
  if (loggerProvider === undefined) return undefined
  if (typeof (loggerProvider as Partial<OtelLoggerProvider> | null)?.getLogger !== 'function') {
    throw new InvalidOptionError(
      'loggerProvider',
      'an OpenTelemetry LoggerProvider (with getLogger)',
      loggerProvider,
    )
  }
  return loggerProvider
}

function observeSummary(
  result: BatchObservableResult,
  instruments: Instruments,
  summary: SystemSummary,
): void {
  for (const stats of Object.values(summary.operations))
    observeOperation(result, instruments, stats)
  result.observe(instruments.operations, summary.trackedOperations.length)
  result.observe(instruments.internalErrors, summary.internalErrors)
}

function observeOperation(
  result: BatchObservableResult,
  instruments: Instruments,
  stats: OperationStats,
): void {
  const operation = { [OPERATION_ATTRIBUTE]: stats.operation }
  for (const [quantile, key] of QUANTILES) {
    const recentMs = stats[RECENT[key]]
    // null while the window is empty (a baseline restored, no call yet): no point, where the
    // Prometheus text writes NaN.
    if (recentMs !== null) {
      result.observe(instruments.duration, recentMs / MS_PER_SECOND, {
        ...operation,
        [QUANTILE_ATTRIBUTE]: quantile,
      })
    }
  }
  result.observe(instruments.time, stats.totalDurationMs / MS_PER_SECOND, operation)
  result.observe(instruments.calls, stats.totalCount, operation)
  result.observe(instruments.failures, stats.failureCount, operation)
  result.observe(instruments.slowCalls, stats.degradedCount, operation)
  const baseline = stats.baseline
  if (baseline !== undefined) {
    for (const [quantile, key] of QUANTILES) {
      result.observe(instruments.baselineDuration, baseline[key] / MS_PER_SECOND, {
        ...operation,
        [QUANTILE_ATTRIBUTE]: quantile,
      })
    }
  }
  result.observe(instruments.degraded, stats.state === 'degraded' ? 1 : 0, operation)
}

/** The log record of a `degradation` event; durations in seconds, as the metrics'. */
function degradationRecord(event: DegradationEvent): OtelLogRecord {
  const isCritical = event.severity === 'critical'
  const evidence =
    event.rule === 'errors'
      ? `${formatPercent(event.recentErrorRate)} of recent calls failed`
      : `recent p50 ${event.recentP50 === null ? '-' : formatLatency(event.recentP50)} vs ` +
        `baseline p50 ${formatLatency(event.baselineP50)}`
  const attributes: Attributes = {
    [OPERATION_ATTRIBUTE]: event.operation,
    'perfwatch.degradation.rule': event.rule,
    'perfwatch.degradation.severity': event.severity,
    'perfwatch.degradation.escalated': event.escalated,
    'perfwatch.degradation.samples_since_onset': event.samplesSinceOnset,
    'perfwatch.degradation.baseline_p50': event.baselineP50 / MS_PER_SECOND,
    'perfwatch.degradation.baseline_p95': event.baselineP95 / MS_PER_SECOND,
    'perfwatch.degradation.error_rate': event.recentErrorRate,
  }
  // A null (unknown) figure is left out: attribute values cannot be null.
  if (event.recentP50 !== null) {
    attributes['perfwatch.degradation.recent_p50'] = event.recentP50 / MS_PER_SECOND
  }
  if (event.recentP95 !== null) {
    attributes['perfwatch.degradation.recent_p95'] = event.recentP95 / MS_PER_SECOND
  }
  if (event.callsPerSecond !== null) {
    attributes['perfwatch.degradation.calls_per_second'] = event.callsPerSecond
  }
  if (event.baselineCallsPerSecond !== null) {
    attributes['perfwatch.degradation.baseline_calls_per_second'] = event.baselineCallsPerSecond
  }
  if (event.eventLoopUtilization !== null) {
    attributes['perfwatch.degradation.event_loop_utilization'] = event.eventLoopUtilization
  }
  return {
    eventName: 'perfwatch.degradation',
    timestamp: new Date(event.at),
    severityNumber: isCritical ? SEVERITY_ERROR : SEVERITY_WARN,
    severityText: isCritical ? 'ERROR' : 'WARN',
    body:
      `${event.escalated ? 'Worse within the same episode: ' : ''}` +
      `Sustained degradation of ${event.operation} (${event.rule}, ${event.severity}): ${evidence}`,
    attributes,
  }
}

/** The log record of a `recovery` event. */
function recoveryRecord(event: RecoveryEvent): OtelLogRecord {
  return {
    eventName: 'perfwatch.recovery',
    timestamp: new Date(event.at),
    severityNumber: SEVERITY_INFO,
    severityText: 'INFO',
    body: `${event.operation} recovered after ${formatLatency(event.durationMs)}`,
    attributes: {
      [OPERATION_ATTRIBUTE]: event.operation,
      'perfwatch.recovery.degraded_since': event.degradedSince,
      'perfwatch.recovery.duration': event.durationMs / MS_PER_SECOND,
      'perfwatch.recovery.samples': event.samples,
      'perfwatch.recovery.slow_samples': event.slowSamples,
    },
  }
}
