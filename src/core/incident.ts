/**
 * Incidents: one sustained degradation of one operation, from its raise to its recovery. The
 * operation opens and closes its own incident; the degradation and recovery events are built
 * here, once, and handed as they are to the log reporter and the emitter.
 */
import type { BaselineSummary } from './baseline.js'
import type { DetectionRule, DetectorStats } from './detection.js'
import type { DegradationEvent, RecoveryEvent } from './snapshot.js'
import type { Summary } from './stats.js'

export type Severity = 'warning' | 'critical'

/** A degradation is `critical` when the recent median is above this many times the baseline's. */
export const CRITICAL_RATIO = 2

/**
 * `critical` when `recentP50` is above CRITICAL_RATIO × the baseline's p50, else `warning` (also
 * with no recent median: no successful recent sample).
 */
export function severityOf(recentP50: number | null, baselineP50: number): Severity {
  return (recentP50 ?? Number.NEGATIVE_INFINITY) > CRITICAL_RATIO * baselineP50
    ? 'critical'
    : 'warning'
}

/** An open incident: when it was raised, and the operation's counters then. */
export class Incident {
  /** When it was raised, ISO-8601. */
  readonly since: string
  /** The raising sample's end, tracker clock, ms. */
  readonly atMs: number
  /** The operation's recorded and slow samples at the raise. */
  readonly recordedAtRaise: number
  readonly slowAtRaise: number
  /** Severity of its last report; null before one. */
  severity: Severity | null = null

  constructor(since: string, atMs: number, recordedAtRaise: number, slowAtRaise: number) {
    this.since = since
    this.atMs = atMs
    this.recordedAtRaise = recordedAtRaise
    this.slowAtRaise = slowAtRaise
  }
}

/** What was known when a chart raised (or resumed): taken on the caller's path, cheaply. */
export interface RaiseFacts {
  rule: DetectionRule
  at: string
  samplesSinceOnset: number
  callsPerSecond: number | null
  eventLoopUtilization: number | null
  /** A chart back at its limit within the recovery hold: the same incident goes on. */
  resumed: boolean
}

/**
 * The degradation event for a raise, or for a resumption that got clearly worse (critical after a
 * warning: `escalated`); undefined for a resumption that did not (nothing new to report).
 * Records the reported severity on the incident.
 */
export function degradationEvent(
  operation: string,
  incident: Incident,
  facts: RaiseFacts,
  recent: { summary: Summary | null; errorRate: number },
  baseline: BaselineSummary,
  detector: DetectorStats,
): DegradationEvent | undefined {
  const recentP50 = recent.summary?.p50 ?? null
  const severity = severityOf(recentP50, baseline.p50)
  const escalated = facts.resumed && severity === 'critical' && incident.severity === 'warning'
  if (facts.resumed && !escalated) return undefined
  incident.severity = severity
  return {
    operation,
    rule: facts.rule,
    severity,
    escalated,
    at: facts.at,
    samplesSinceOnset: facts.samplesSinceOnset,
    recentP50,
    recentP95: recent.summary?.p95 ?? null,
    baselineP50: baseline.p50,
    baselineP95: baseline.p95,
    recentErrorRate: recent.errorRate,
    callsPerSecond: facts.callsPerSecond,
    baselineCallsPerSecond: baseline.callsPerSecond,
    eventLoopUtilization: facts.eventLoopUtilization,
    detector,
  }
}

/** The recovery event of a closed incident, from the operation's counters at the recovery. */
export function recoveryEvent(
  operation: string,
  incident: Incident,
  at: string,
  nowMs: number,
  recordedCount: number,
  slowCount: number,
): RecoveryEvent {
  return {
    operation,
    at,
    degradedSince: incident.since,
    durationMs: nowMs - incident.atMs,
    samples: recordedCount - incident.recordedAtRaise,
    slowSamples: slowCount - incident.slowAtRaise,
  }
}
