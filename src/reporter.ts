import type { Baseline } from './baseline.js'
import type { Clock } from './clock.js'
import { runSoon } from './defer.js'
import { CLEARED, type DetectionRule, RAISED, type Transition } from './detection.js'
import type { Emitter } from './events.js'
import { formatDuration, formatLatency, formatPercent } from './format.js'
import type { SafeLogger } from './log.js'
import type { BaselineChange, Operation } from './operation.js'
import type { SlowCallLog } from './slow-calls.js'

// The newest samples a degradation report summarises, at least.
const MIN_RECENT_SAMPLES = 20

/**
 * Turns what operations report into pino lines and events, off the hot path. Slow calls (the
 * per-sample rule) go to the tracker's `SlowCallLog`, which writes at most one line per
 * `warningIntervalMs` for the whole tracker; each transition logs one line.
 *
 * `slowSample` and `transition` run inside `Operation.record`, on the caller's path: whatever
 * fails in them (a metadata getter, a bug) is reported as an internal error, never thrown.
 */
export class Reporter {
  private readonly logger: SafeLogger
  /** The tracker's clock, read safely: NaN when it failed. */
  private readonly clock: Clock
  private readonly slowCalls: SlowCallLog
  private readonly emitter: Emitter
  private readonly reportError: (error: unknown) => void

  constructor(
    logger: SafeLogger,
    clock: Clock,
    slowCalls: SlowCallLog,
    emitter: Emitter,
    reportError: (error: unknown) => void,
  ) {
    this.logger = logger
    this.clock = clock
    this.slowCalls = slowCalls
    this.emitter = emitter
    this.reportError = reportError
  }

  /** A sample above the per-sample threshold; `endMs` is NaN when the caller had no reading. */
  slowSample(
    operation: Operation,
    durationMs: number,
    endMs: number,
    metadata: unknown,
    more: unknown,
  ): void {
    this.slowCalls.add(operation, durationMs, endMs, metadata, more)
  }

  /** Logs the slow calls still held back (on close). */
  flushHeld(): void {
    this.slowCalls.flush()
  }

  transition(operation: Operation, transition: Transition): void {
    try {
      if (transition === RAISED) this.raised(operation)
      else if (transition === CLEARED) this.cleared(operation)
    } catch (error) {
      this.reportError(error)
    }
  }

  /** A baseline change; `baseline` is the new one (undefined after a reset). */
  baseline(operation: Operation, change: BaselineChange, baseline: Baseline | undefined): void {
    if (baseline === undefined) {
      const by = change === 'adopted' ? ' by another tracker writing the same baseline file' : ''
      this.logger.info(
        { operation: operation.name, change },
        `Baseline of ${operation.name} reset${by}; learning a new one`,
      )
    } else {
      this.logger.info(
        {
          operation: operation.name,
          change,
          p50: baseline.p50,
          p95: baseline.p95,
          p99: baseline.p99,
          sampleCount: baseline.sampleCount,
        },
        `Baseline ${change} for ${operation.name}: p50 ${formatLatency(baseline.p50)}, ` +
          `p95 ${formatLatency(baseline.p95)} over ${baseline.sampleCount} samples`,
      )
    }
    if (!this.emitter.has('baseline')) return
    this.emitter.emit(
      'baseline',
      {
        operation: operation.name,
        change,
        ...(baseline === undefined ? {} : { baseline: baseline.toSummary() }),
      },
      this.reportError,
    )
  }

  maturingRejected(operation: Operation, shareAboveP50: number, limit: number): void {
    this.logger.warn(
      { operation: operation.name, shareAboveP50, limit },
      `${operation.name} got slower while its baseline was maturing ` +
        `(${formatPercent(shareAboveP50)} of calls above the first baseline's p50, limit ` +
        `${formatPercent(limit)}): keeping the first baseline and learning again`,
    )
  }

  private raised(operation: Operation): void {
    const detector = operation.detector
    if (detector === null) return
    const at = new Date().toISOString()
    operation.degradedSince = at
    operation.degradedAtMs = this.clock()
    operation.degradedAtCount = operation.recordedCount
    operation.degradedCountAtRaise = operation.degradedSampleCount
    if (!this.logger.isLevelEnabled('warn') && !this.emitter.has('degradation')) return
    const rule = detector.rule ?? 'shift'
    const samplesSinceOnset = detector.samplesSinceOnset()
    const onsetCount = operation.recordedCount - samplesSinceOnset
    // The report reads the window: after this call returns, never on the caller's path.
    runSoon(
      () => this.reportRaised(operation, rule, at, samplesSinceOnset, onsetCount),
      this.reportError,
    )
  }

  private reportRaised(
    operation: Operation,
    rule: DetectionRule,
    at: string,
    samplesSinceOnset: number,
    onsetCount: number,
  ): void {
    const baseline = operation.baseline
    const detector = operation.detector
    if (baseline === undefined || detector === null) return
    const recent = operation.recent(
      Math.max(MIN_RECENT_SAMPLES, operation.recordedCount - onsetCount),
    )
    const recentP50 = recent.summary?.p50 ?? null
    const severity = recentP50 !== null && recentP50 > 2 * baseline.p50 ? 'critical' : 'warning'
    const event = {
      operation: operation.name,
      rule,
      severity,
      at,
      samplesSinceOnset,
      recentP50,
      recentP95: recent.summary?.p95 ?? null,
      baselineP50: baseline.p50,
      baselineP95: baseline.p95,
      recentErrorRate: recent.errorRate,
      detector: detector.stats(),
    } as const
    const evidence =
      rule === 'errors'
        ? `${formatPercent(recent.errorRate)} of recent calls failed vs ` +
          `${formatPercent(event.detector.referenceErrorRate)} in the baseline`
        : `recent p50 ${formatNullableMs(recentP50)}, p95 ${formatNullableMs(event.recentP95)} ` +
          `vs baseline p50 ${formatLatency(baseline.p50)}, p95 ${formatLatency(baseline.p95)}`
    const message =
      `Sustained degradation of ${operation.name} (${rule}): ${evidence}; ` +
      `${samplesSinceOnset} samples since onset`
    if (severity === 'critical') this.logger.error({ event: 'degradation', ...event }, message)
    else this.logger.warn({ event: 'degradation', ...event }, message)
    if (this.emitter.has('degradation')) this.emitter.emit('degradation', event, this.reportError)
  }

  private cleared(operation: Operation): void {
    const degradedSince = operation.degradedSince
    operation.degradedSince = null
    if (degradedSince === null) return
    const event = {
      operation: operation.name,
      at: new Date().toISOString(),
      degradedSince,
      durationMs: this.clock() - operation.degradedAtMs,
      samples: operation.recordedCount - operation.degradedAtCount,
      slowSamples: operation.degradedSampleCount - operation.degradedCountAtRaise,
    }
    // The numbers are taken now; the line and the event leave the caller's path, as for raises.
    runSoon(() => {
      this.logger.info(
        { event: 'recovery', ...event },
        `${operation.name} recovered after ${formatDuration(event.durationMs)} ` +
          `(${event.samples} samples, ${event.slowSamples} above the per-sample threshold)`,
      )
      if (this.emitter.has('recovery')) this.emitter.emit('recovery', event, this.reportError)
    }, this.reportError)
  }
}

function formatNullableMs(value: number | null): string {
  return value === null ? '-' : formatLatency(value)
}
