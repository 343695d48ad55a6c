import type { Baseline } from './core/baseline.js'
import type { Clock } from './core/clock.js'
import { CLEARED, RAISED, RESUMED, type Transition } from './core/detection.js'
import { WARNING_CODES } from './core/errors.js'
import {
  formatDuration,
  formatLatency,
  formatLatencyOrDash,
  formatList,
  formatPercent,
  formatRate,
} from './core/format.js'
import { degradationEvent, type Incident, type RaiseFacts, recoveryEvent } from './core/incident.js'
import type { Operation } from './core/operation.js'
import type { BaselineChange, ProcessSlowdownEvent, StallEvent } from './core/snapshot.js'
import type { Quantiles, Summary } from './core/stats.js'
import { runSoon } from './defer.js'
import type { Emitter } from './emitter.js'
import type { SafeLogger } from './log.js'
import { SATURATED_UTILIZATION } from './process-monitor.js'

// The newest samples a degradation report summarises, at least.
const MIN_RECENT_SAMPLES = 20

/**
 * Turns what operations report into pino lines and events, off the hot path; each transition
 * logs one line. (Slow calls, the per-sample rule, have their own `SlowCallLog`.)
 *
 * `transition` runs inside `Operation.record`, on the caller's path: whatever
 * fails in them (a metadata getter, a bug) is reported as an internal error, never thrown.
 */
export class Reporter {
  private readonly logger: SafeLogger
  /** The tracker's clock, read safely: NaN when it failed. */
  private readonly clock: Clock
  private readonly emitter: Emitter
  private readonly reportError: (error: unknown) => void

  constructor(
    logger: SafeLogger,
    clock: Clock,
    emitter: Emitter,
    reportError: (error: unknown) => void,
  ) {
    this.logger = logger
    this.clock = clock
    this.emitter = emitter
    this.reportError = reportError
  }

  /**
   * `incident`: the open one for a raise or resumption, the closed one for a recovery;
   * `loopUtilization`: the event loop's utilization now, 0-1, or null when not watched.
   */
  transition(
    operation: Operation,
    transition: Transition,
    incident: Incident | null,
    loopUtilization: number | null,
  ): void {
    try {
      if (incident !== null && transition === RAISED) {
        this.raised(operation, incident, false, loopUtilization)
      } else if (incident !== null && transition === RESUMED) {
        this.raised(operation, incident, true, loopUtilization)
      } else if (transition === CLEARED) this.cleared(operation, incident)
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

  maturingRejected(
    operation: Operation,
    shareAboveP50: number,
    limit: number,
    refusals: number,
    recent: Summary & { count: number },
    unstableAfter: number,
  ): void {
    this.logger.warn(
      {
        code: WARNING_CODES.baselineRefused,
        operation: operation.name,
        shareAboveP50,
        limit,
        refusals,
      },
      `${operation.name} got slower while its baseline was maturing ` +
        `(${formatPercent(shareAboveP50)} of calls above the first baseline's p50, limit ` +
        `${formatPercent(limit)}): keeping the first baseline and learning again`,
    )
    // Reported at unstableAfter refusals in a row, then at 2x, 4x, ... as many.
    const ratio = refusals / unstableAfter
    const first = operation.baseline
    if (!Number.isInteger(ratio) || (ratio & (ratio - 1)) !== 0 || first === undefined) return
    const event = {
      operation: operation.name,
      at: new Date().toISOString(),
      refusals,
      firstBaseline: quantilesOf(first, first.sampleCount),
      recent: quantilesOf(recent, recent.count),
      shareAboveP50,
      limit,
    }
    const name = JSON.stringify(operation.name)
    this.logger.warn(
      { event: 'baseline-unstable', ...event },
      `${operation.name} has kept getting slower than its first baseline through ${refusals} ` +
        `learning attempts (recent p50 ${formatLatency(recent.p50)}, p95 ${formatLatency(recent.p95)} vs ` +
        `first baseline p50 ${formatLatency(first.p50)}, p95 ${formatLatency(first.p95)}), so it stays ` +
        'learning and no degradation can be reported. If this is its new normal, call ' +
        `tracker.acceptCurrentAsBaseline(${name}); to learn from scratch, ` +
        `tracker.resetBaseline(${name}).`,
    )
    if (this.emitter.has('baseline-unstable')) {
      this.emitter.emit('baseline-unstable', event, this.reportError)
    }
  }

  /** A stall of the process, with the operations that had slow calls during it. */
  stall(event: StallEvent): void {
    const affected =
      event.operations.length === 0
        ? 'no timed call was slowed'
        : `slow calls of ${formatList(event.operations)} are the stall, not degradations`
    const gc =
      event.gcPauseMs === null ? '' : `, longest GC pause ${formatLatency(event.gcPauseMs)}`
    this.logger.warn(
      { event: 'stall', ...event },
      `The process stalled for ${formatLatency(event.durationMs)} (event-loop delay p99 ` +
        `${formatLatency(event.eventLoopDelayP99Ms)}, max ${formatLatency(event.eventLoopDelayMaxMs)}${gc}): ` +
        affected,
    )
    if (this.emitter.has('stall')) this.emitter.emit('stall', event, this.reportError)
  }

  /** Most operations degraded together (or, `ended`, no longer), or one explained by the loop. */
  processSlowdown(event: ProcessSlowdownEvent): void {
    if (event.cause === 'event-loop') {
      this.logger.warn(
        { event: 'process-slowdown', ...event },
        `${event.operations.join(', ')} got slower while the event loop ran ` +
          `${formatLatency(event.eventLoopLagMs ?? 0)} behind (usually ` +
          `${formatLatency(event.typicalEventLoopLagMs ?? 0)}): the process is short of CPU or ` +
          'saturated, which explains it; not reported as a degradation (logged at most once a minute)',
      )
    } else if (event.ended) {
      this.logger.info(
        { event: 'process-slowdown', ...event },
        `The process-wide slowdown is over: ${event.operations.length} of ` +
          `${event.activeOperations} operations still degraded`,
      )
    } else {
      this.logger.error(
        { event: 'process-slowdown', ...event },
        `${event.operations.length} of ${event.activeOperations} operations are degraded ` +
          'together: one process or host incident (CPU starvation, GC, a shared dependency), ' +
          `not ${event.operations.length} separate regressions: ${formatList(event.operations)}`,
      )
    }
    if (this.emitter.has('process-slowdown')) {
      this.emitter.emit('process-slowdown', event, this.reportError)
    }
  }

  /**
   * A raise, or (`resumed`) a chart back at its limit within the recovery hold: the same incident,
   * reported again only when it got clearly worse (critical after a warning).
   */
  private raised(
    operation: Operation,
    incident: Incident,
    resumed: boolean,
    loopUtilization: number | null,
  ): void {
    const detector = operation.detector
    if (detector === null) return
    if (!this.logger.isLevelEnabled('warn') && !this.emitter.has('degradation')) return
    const facts: RaiseFacts = {
      rule: detector.rule ?? 'shift',
      at: resumed ? new Date().toISOString() : incident.since,
      samplesSinceOnset: detector.samplesSinceOnset(),
      callsPerSecond: operation.callRate(this.clock()),
      eventLoopUtilization: loopUtilization,
      resumed,
    }
    const onsetCount = operation.recordedCount - facts.samplesSinceOnset
    // The report reads the window: after this call returns, never on the caller's path.
    runSoon(() => this.reportRaised(operation, incident, facts, onsetCount), this.reportError)
  }

  private reportRaised(
    operation: Operation,
    incident: Incident,
    facts: RaiseFacts,
    onsetCount: number,
  ): void {
    const baseline = operation.baseline
    const detector = operation.detector
    if (baseline === undefined || detector === null) return
    const recent = operation.recent(
      Math.max(MIN_RECENT_SAMPLES, operation.recordedCount - onsetCount),
    )
    const event = degradationEvent(
      operation.name,
      incident,
      facts,
      recent,
      baseline,
      detector.stats(),
    )
    if (event === undefined) return
    const { rule, recentP50, recentP95, eventLoopUtilization } = event
    const evidence =
      rule === 'errors'
        ? `${formatPercent(event.recentErrorRate)} of recent calls failed vs ` +
          `${formatPercent(event.detector.referenceErrorRate)} in the baseline`
        : `recent p50 ${formatLatencyOrDash(recentP50)}, p95 ${formatLatencyOrDash(recentP95)} ` +
          `vs baseline p50 ${formatLatency(event.baselineP50)}, p95 ${formatLatency(event.baselineP95)}`
    const message =
      `${event.escalated ? 'Worse within the same episode: ' : ''}` +
      `Sustained degradation of ${operation.name} (${rule}): ${evidence}; ` +
      `${event.samplesSinceOnset} samples since onset; ${formatRate(event.callsPerSecond)} now vs ` +
      `${formatRate(event.baselineCallsPerSecond)} when the baseline was learned` +
      (eventLoopUtilization !== null && eventLoopUtilization >= SATURATED_UTILIZATION
        ? `; the process is saturated (event loop ${formatPercent(eventLoopUtilization)} busy)`
        : '')
    if (event.severity === 'critical') {
      this.logger.error({ event: 'degradation', ...event }, message)
    } else {
      this.logger.warn({ event: 'degradation', ...event }, message)
    }
    if (this.emitter.has('degradation')) this.emitter.emit('degradation', event, this.reportError)
  }

  private cleared(operation: Operation, incident: Incident | null): void {
    if (incident === null) return
    const event = recoveryEvent(
      operation.name,
      incident,
      new Date().toISOString(),
      this.clock(),
      operation.recordedCount,
      operation.slowSampleCount,
    )
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

/** The quantiles of a baseline or a summary, with the number of samples behind them. */
function quantilesOf(q: Quantiles, sampleCount: number): Quantiles & { sampleCount: number } {
  return { p50: q.p50, p75: q.p75, p95: q.p95, p99: q.p99, sampleCount }
}
