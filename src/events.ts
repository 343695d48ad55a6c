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

/** Events of `tracker.on(name, listener)`. */
export interface TrackerEvents {
  degradation: DegradationEvent
  recovery: RecoveryEvent
  baseline: BaselineEvent
}

export type TrackerEventName = keyof TrackerEvents
export type TrackerListener<K extends TrackerEventName> = (event: TrackerEvents[K]) => void

export const EVENT_NAMES: readonly TrackerEventName[] = ['degradation', 'recovery', 'baseline']

/** A minimal typed emitter: listeners are called in order; one that throws is reported. */
export class Emitter {
  private readonly listeners: { [K in TrackerEventName]: Array<TrackerListener<K>> } = {
    degradation: [],
    recovery: [],
    baseline: [],
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
