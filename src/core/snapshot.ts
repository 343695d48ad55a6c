/**
 * The data model every reader of perfwatch uses: operation snapshots, the system summary, the
 * events a tracker emits and the shapes they carry. Types only; nothing here runs.
 */
import type { BaselineSummary } from './baseline.js'
import type { DetectionRule, DetectorStats } from './detection.js'
import type { Quantiles } from './stats.js'
import type { OperationThresholds, ThresholdViolations } from './thresholds.js'

export type { Quantiles } from './stats.js'
export type {
  OperationThresholds,
  RecommendedThresholds,
  ThresholdBasis,
  ThresholdViolations,
} from './thresholds.js'

/**
 * Where an operation stands: learning its baseline, healthy, in a sustained degradation, or
 * `idle`: it has a detector but no sample for `idleAfterMs` (an open degradation is not shown as
 * such while nothing is measured; it goes on when samples come back).
 */
export type OperationState = 'learning' | 'ok' | 'degraded' | 'idle'

/** A snapshot of one operation, as `getOperationStats(name)` returns it. Durations are in ms. */
export interface OperationStats {
  operation: string
  /** `learning` until the detector has a baseline of enough samples, then `ok` or `degraded`. */
  state: OperationState
  /** When the current degradation was raised, ISO-8601; `null` unless `state` is `degraded`. */
  degradedSince: string | null
  /** Samples in the rolling window (successes and failures). */
  sampleCount: number
  /** Samples ever recorded for this operation by this tracker. */
  totalCount: number
  /** Failed samples ever recorded for this operation by this tracker. */
  failureCount: number
  /**
   * The sum of the durations of all `totalCount` samples, in ms: with `totalCount`, the
   * counters a Prometheus summary's `_sum` and `_count` need (docs/prometheus.md).
   */
  totalDurationMs: number
  /** Calls per second over the last second or more (tracker clock); `null` before it can tell. */
  callsPerSecond: number | null
  /** Share of the window's samples that succeeded; `null` while the window is empty. */
  successRate: number | null
  /** Share of the window's samples that failed; `null` while the window is empty. */
  errorRate: number | null
  /** Exact statistics of the window's samples; `null` while the window is empty. */
  recentMean: number | null
  recentStdDev: number | null
  recentMin: number | null
  recentMax: number | null
  recentP50: number | null
  recentP75: number | null
  recentP95: number | null
  recentP99: number | null
  /** Successful samples flagged by `Baseline.isDegraded` since the tracker started. */
  degradedCount: number
  /** `degradedCount` over the successful samples checked against a baseline (0 before any). */
  degradationRate: number
  /** The baseline, once established or restored. */
  baseline?: BaselineSummary
  /** The sustained-degradation detector's scores and limits; `null` while learning. */
  detector: DetectorStats | null
  /** The operation's fixed budgets (`thresholds` option, `setThresholds`); `null` without. */
  thresholds: OperationThresholds | null
  /**
   * Violations of those budgets since the tracker started, by kind (kept when the budgets
   * change); all 0 without budgets.
   */
  thresholdViolations: ThresholdViolations
}

/**
 * Why a baseline changed. `adopted`: another tracker writing the same baseline file reset or
 * accepted this operation's baseline after this tracker's last operator action on it, so this
 * tracker took that reset or baseline.
 */
export type BaselineChange =
  | 'established'
  | 'matured'
  | 'refreshed'
  | 'accepted'
  | 'reset'
  | 'adopted'

/** What `getSystemSummary()` returns. */
export interface SystemSummary {
  /** Samples (timed calls) recorded across all operations. */
  totalSamples: number
  /** Slow samples across all operations: beyond the per-sample rule (`degradedCount`). */
  slowSamples: number
  /**
   * `slowSamples` over the successful samples checked against a baseline, across all operations
   * (0 before any): the system-wide `degradationRate`.
   */
  systemDegradationRate: number
  /** Share of the tracked operations that have a baseline (established or restored), 0-1. */
  baselineCoverage: number
  /**
   * Baselines established, matured, refreshed, accepted, reset or adopted since this tracker
   * started (each `baseline` event); baselines restored from the file at start are not changes.
   */
  baselineChanges: number
  /**
   * The same as `totalSamples`: the name of the Python tracker this API follows, kept for code
   * written against it. It counts samples, not operations (`trackedOperations` lists those).
   */
  totalOperations: number
  /** The same as `slowSamples`, under the Python tracker's name; a count of samples too. */
  degradedOperations: number
  /** Names of every operation with samples or a baseline. */
  trackedOperations: string[]
  /** Names of the operations in a sustained degradation now (`state: 'degraded'`). */
  currentlyDegraded: string[]
  operations: Record<string, OperationStats>
  /**
   * Failures of perfwatch itself that were swallowed (a logger, listener or clock that threw, a
   * NaN, infinite or backwards clock reading); logged at most once a minute.
   */
  internalErrors: number
}

/** Emitted once when an operation enters a sustained degradation. Durations in ms. */
export interface DegradationEvent {
  operation: string
  /** The chart that fired: `shift` (the whole distribution), `tail` (some calls much slower), `errors`. */
  rule: DetectionRule
  /** `critical` when the recent median is above twice the baseline's. */
  severity: 'warning' | 'critical'
  /**
   * True when an open episode, back at its limit within the recovery hold, got clearly worse
   * (critical after a warning): the one case an episode is reported twice.
   */
  escalated: boolean
  /** When it was raised, ISO-8601. */
  at: string
  /** Samples since the chart that fired last left 0: the detector's estimate of the onset. */
  samplesSinceOnset: number
  /** p50/p95 of the successful samples since the onset (at least the last 20), and the baseline's. */
  recentP50: number | null
  recentP95: number | null
  baselineP50: number
  baselineP95: number
  /** Failed share of the samples since the onset. */
  recentErrorRate: number
  /**
   * Calls per second now (over the last second or more) and while the baseline was learned;
   * `null` when unknown. Three times the traffic with a `shift` is load, not necessarily code.
   */
  callsPerSecond: number | null
  baselineCallsPerSecond: number | null
  /**
   * The event loop's utilization (0-1) over the process monitor's last check interval; `null`
   * when the process is not watched or before the monitor's first check (half a second). From 0.75 the process is saturated: its calls mostly wait
   * for the loop, and a slowdown must last 2 s before it is raised (docs/detection.md).
   */
  eventLoopUtilization: number | null
  detector: DetectorStats
}

/** Emitted once when a degraded operation is back to its baseline. */
export interface RecoveryEvent {
  operation: string
  /** When it recovered, ISO-8601. */
  at: string
  /** When the degradation was raised, ISO-8601. */
  degradedSince: string
  /** How long the degradation lasted, by the tracker's clock, in ms. */
  durationMs: number
  /** Samples recorded while it lasted. */
  samples: number
  /** Samples flagged by the per-sample rule while it lasted. */
  slowSamples: number
}

/** Emitted when an operation's baseline is established, matured, refreshed, accepted or reset. */
export interface BaselineEvent {
  operation: string
  change: BaselineChange
  /** The new baseline; absent after a reset. */
  baseline?: BaselineSummary
}

/**
 * Emitted when an operation kept getting slower while it learned its baseline, so it stays
 * `learning` and no degradation can be reported: after `refusals` maturings were refused in a
 * row (3, then 6, 12, ...). The way out: `acceptCurrentAsBaseline(operation)` when the slower
 * behaviour is the new normal, `resetBaseline(operation)` to learn from scratch.
 */
export interface BaselineUnstableEvent {
  operation: string
  at: string
  refusals: number
  /** The first baseline the later samples were compared with. */
  firstBaseline: Quantiles & { sampleCount: number }
  /** The samples of the last refused attempt. */
  recent: Quantiles & { sampleCount: number }
  /** Share of those samples above the first baseline's p50, and the most that is accepted. */
  shareAboveP50: number
  limit: number
}

/** Emitted once per stall of the process (the event loop was blocked), not per operation. */
export interface StallEvent {
  /** When the stall was noticed, ISO-8601. */
  at: string
  /** How long the event loop was blocked, ms (the longest event-loop delay seen). */
  durationMs: number
  eventLoopDelayP99Ms: number
  eventLoopDelayMaxMs: number
  /** Longest garbage-collection pause in the same interval, ms; `null` when none was seen. */
  gcPauseMs: number | null
  /** Operations with slow calls that finished during or right after the stall. */
  operations: string[]
}

/**
 * One process or host incident (CPU starvation, GC, a shared dependency), not that many separate
 * regressions. `cause: 'operations'`: most operations are degraded at once (at least 3 and at
 * least half of those with a detector); `ended` is set on the event emitted when it is over.
 * `cause: 'event-loop'`: an operation got slower while the event loop fell behind by enough to
 * explain it, so it was not raised as a degradation (at most one such event a minute; never
 * `ended`).
 */
export interface ProcessSlowdownEvent {
  at: string
  cause: 'operations' | 'event-loop'
  /** The degraded operations, or the one whose slowdown the event loop explains. */
  operations: string[]
  /** Operations with a detector that are not idle. */
  activeOperations: number
  /** Mean event-loop delay now and as usual for this process, ms; null when not watched. */
  eventLoopLagMs: number | null
  typicalEventLoopLagMs: number | null
  ended: boolean
}

/**
 * Emitted for every call over a fixed budget of its operation (`metric: 'duration'`) and every
 * failure that leaves the window's error rate over `maxErrorRate` (`metric: 'errorRate'`). Not
 * rate-limited (the log lines are); delivered after the call that caused it returns.
 */
export type ThresholdEvent = DurationThresholdEvent | ErrorRateThresholdEvent

/** A call took longer than `warnMs` (`warning`) or `criticalMs` (`critical`). Durations in ms. */
export interface DurationThresholdEvent {
  operation: string
  metric: 'duration'
  /** `critical` above `criticalMs`, else `warning` (above `warnMs`). */
  severity: 'warning' | 'critical'
  durationMs: number
  /** The budget exceeded: `criticalMs` for `critical`, `warnMs` for `warning`. */
  thresholdMs: number
  /** When it was seen, ISO-8601. */
  at: string
}

/**
 * A failure left the window's error rate above `maxErrorRate`, with at least
 * `MIN_ERROR_RATE_SAMPLES` (20) samples in the window (or a full window, if smaller). An error
 * budget has one limit, so it is always `critical`.
 */
export interface ErrorRateThresholdEvent {
  operation: string
  metric: 'errorRate'
  severity: 'critical'
  /** Failed share of the window's samples, this failure included, 0-1. */
  errorRate: number
  maxErrorRate: number
  /** Samples in the window (successes and failures). */
  sampleCount: number
  /** When it was seen, ISO-8601. */
  at: string
}

/** Events of `tracker.on(name, listener)`. */
export interface TrackerEvents {
  degradation: DegradationEvent
  recovery: RecoveryEvent
  baseline: BaselineEvent
  'baseline-unstable': BaselineUnstableEvent
  stall: StallEvent
  'process-slowdown': ProcessSlowdownEvent
  threshold: ThresholdEvent
}

export type TrackerEventName = keyof TrackerEvents
export type TrackerListener<K extends TrackerEventName> = (event: TrackerEvents[K]) => void
