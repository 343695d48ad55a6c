import type { BaselineSummary } from './baseline.js'
import type { DetectionRule, DetectorStats } from './detection.js'
import type { BaselineChange } from './operation.js'

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

/** p50, p95 and p99 of a set of samples, in ms. */
export interface Quantiles {
  p50: number
  p95: number
  p99: number
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

/** Events of `tracker.on(name, listener)`. */
export interface TrackerEvents {
  degradation: DegradationEvent
  recovery: RecoveryEvent
  baseline: BaselineEvent
  'baseline-unstable': BaselineUnstableEvent
  stall: StallEvent
  'process-slowdown': ProcessSlowdownEvent
}

export type TrackerEventName = keyof TrackerEvents
export type TrackerListener<K extends TrackerEventName> = (event: TrackerEvents[K]) => void

export const EVENT_NAMES: readonly TrackerEventName[] = [
  'degradation',
  'recovery',
  'baseline',
  'baseline-unstable',
  'stall',
  'process-slowdown',
]

/** A minimal typed emitter: listeners are called in order; one that throws is reported. */
export class Emitter {
  private readonly listeners: { [K in TrackerEventName]: Array<TrackerListener<K>> } = {
    degradation: [],
    recovery: [],
    baseline: [],
    'baseline-unstable': [],
    stall: [],
    'process-slowdown': [],
  }

  on<K extends TrackerEventName>(name: K, listener: TrackerListener<K>): void {
    this.listeners[name].push(listener)
  }

  off<K extends TrackerEventName>(name: K, listener: TrackerListener<K>): void {
    const list = this.listeners[name]
    const index = list.lastIndexOf(listener)
    if (index >= 0) list.splice(index, 1)
  }

  /** True when someone listens: build the event object only then. */
  has(name: TrackerEventName): boolean {
    return this.listeners[name].length > 0
  }

  emit<K extends TrackerEventName>(
    name: K,
    event: TrackerEvents[K],
    onError: (error: unknown) => void,
  ): void {
    for (const listener of [...this.listeners[name]]) {
      try {
        listener(event)
      } catch (error) {
        onError(error)
      }
    }
  }
}
