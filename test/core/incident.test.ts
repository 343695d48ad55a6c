import { describe, expect, it } from 'vitest'
import type { BaselineSummary } from '../../src/core/baseline.js'
import type { DetectorStats } from '../../src/core/detection.js'
import {
  CRITICAL_RATIO,
  degradationEvent,
  Incident,
  type RaiseFacts,
  recoveryEvent,
  severityOf,
} from '../../src/core/incident.js'

const baseline: BaselineSummary = {
  operation: 'db.query',
  p50: 10,
  p75: 12,
  p95: 20,
  p99: 30,
  mean: 11,
  stdDev: 4,
  sampleCount: 1000,
  callsPerSecond: 200,
  establishedAt: '2026-11-23T12:00:00.000Z',
}
const detector = { rule: 'shift' } as DetectorStats

function facts(resumed: boolean): RaiseFacts {
  return {
    rule: 'shift',
    at: '2026-11-23T12:01:00.000Z',
    samplesSinceOnset: 42,
    callsPerSecond: 210,
    eventLoopUtilization: 0.3,
    resumed,
  }
}

/** A window summary with median `p50`. */
function recent(p50: number) {
  const summary = {
    p50,
    p75: p50,
    p95: 2 * p50,
    p99: 3 * p50,
    mean: p50,
    stdDev: 1,
    min: 1,
    max: 99,
  }
  return { summary, errorRate: 0.01 }
}

describe('severityOf', () => {
  it(`is critical only above ${CRITICAL_RATIO}x the baseline median`, () => {
    expect(severityOf(20, 10)).toBe('warning') // exactly twice
    expect(severityOf(20.001, 10)).toBe('critical')
    expect(severityOf(15, 10)).toBe('warning')
    expect(severityOf(null, 10)).toBe('warning') // no successful recent sample
  })
})

describe('degradationEvent', () => {
  it('builds the raise from the incident, the facts, the window and the baseline', () => {
    const incident = new Incident('2026-11-23T12:01:00.000Z', 5000, 3000, 40)
    const event = degradationEvent(
      'db.query',
      incident,
      facts(false),
      recent(15),
      baseline,
      detector,
    )
    expect(event).toEqual({
      operation: 'db.query',
      rule: 'shift',
      severity: 'warning',
      escalated: false,
      at: '2026-11-23T12:01:00.000Z',
      samplesSinceOnset: 42,
      recentP50: 15,
      recentP95: 30,
      baselineP50: 10,
      baselineP95: 20,
      recentErrorRate: 0.01,
      callsPerSecond: 210,
      baselineCallsPerSecond: 200,
      eventLoopUtilization: 0.3,
      detector,
    })
    expect(incident.severity).toBe('warning')
  })

  it('reports a resumption only when it got critical after a warning', () => {
    const incident = new Incident('2026-11-23T12:01:00.000Z', 5000, 3000, 40)
    degradationEvent('db.query', incident, facts(false), recent(15), baseline, detector)
    expect(
      degradationEvent('db.query', incident, facts(true), recent(16), baseline, detector),
    ).toBe(undefined)
    const worse = degradationEvent(
      'db.query',
      incident,
      facts(true),
      recent(25),
      baseline,
      detector,
    )
    expect(worse).toMatchObject({ severity: 'critical', escalated: true })
    expect(incident.severity).toBe('critical')
    // critical already: a later resumption adds nothing
    expect(
      degradationEvent('db.query', incident, facts(true), recent(40), baseline, detector),
    ).toBe(undefined)
  })
})

describe('degradationEvent with no successful recent sample', () => {
  it('reports the recent quantiles as null and a warning', () => {
    // An error-chart raise: every recent sample failed, so there is no recent summary.
    const incident = new Incident('2026-11-23T12:01:00.000Z', 5000, 3000, 40)
    const event = degradationEvent(
      'db.query',
      incident,
      { ...facts(false), rule: 'errors' },
      { summary: null, errorRate: 1 },
      baseline,
      detector,
    )
    expect(event).toMatchObject({
      rule: 'errors',
      severity: 'warning',
      escalated: false,
      recentP50: null,
      recentP95: null,
      recentErrorRate: 1,
    })
    expect(incident.severity).toBe('warning')
  })
})

describe('recoveryEvent', () => {
  it('counts the time, samples and slow samples since the raise', () => {
    const incident = new Incident('2026-11-23T12:01:00.000Z', 5000, 3000, 40)
    expect(
      recoveryEvent('db.query', incident, '2026-11-23T12:01:12.500Z', 17_500, 15_500, 65),
    ).toEqual({
      operation: 'db.query',
      at: '2026-11-23T12:01:12.500Z',
      degradedSince: '2026-11-23T12:01:00.000Z',
      durationMs: 12_500,
      samples: 12_500,
      slowSamples: 25,
    })
  })
})
