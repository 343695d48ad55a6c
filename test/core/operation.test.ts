import { describe, expect, it } from 'vitest'
import { Baseline } from '../../src/core/baseline.js'
import { CLEARED, RAISED, RESUMED, SLICE_MS, type Transition } from '../../src/core/detection.js'
import type { Incident } from '../../src/core/incident.js'
import {
  Operation,
  type OperationConfig,
  type OperationListener,
} from '../../src/core/operation.js'
import type { BaselineChange } from '../../src/core/snapshot.js'

/** Everything an operation tells its owner, kept in order; its answers are set by the test. */
class RecordingListener implements OperationListener {
  slow: Array<{ durationMs: number; endMs: number; callMetadata: unknown; endMetadata: unknown }> =
    []
  baselines: BaselineChange[] = []
  transitions: Array<{ transition: Transition; incident: Incident | null }> = []
  refreshesDue = 0
  rejections = 0
  /** What isExplainedByProcess answers, and how many times it was asked. */
  explained = false
  explainAsked = 0
  /** What minEvidenceSpanMs answers. */
  evidenceSpanMs = 0

  onSlowSample(
    _operation: Operation,
    durationMs: number,
    endMs: number,
    callMetadata: unknown,
    endMetadata: unknown,
  ): void {
    this.slow.push({ durationMs, endMs, callMetadata, endMetadata })
  }
  // Fixed budgets are tested through the tracker (test/thresholds.test.ts).
  onThresholdExceeded(): void {}
  onErrorRateExceeded(): void {}
  onBaseline(_operation: Operation, change: BaselineChange): void {
    this.baselines.push(change)
  }
  onTransition(_operation: Operation, transition: Transition, incident: Incident | null): void {
    this.transitions.push({ transition, incident })
  }
  isExplainedByProcess(): boolean {
    this.explainAsked++
    return this.explained
  }
  minEvidenceSpanMs(): number {
    return this.evidenceSpanMs
  }
  onRefreshDue(): void {
    this.refreshesDue++
  }
  onMaturingRejected(): void {
    this.rejections++
  }
}

const CONFIG: Readonly<OperationConfig> = {
  windowSize: 10,
  baselineSamples: 4,
  detectionSamples: 500,
  refreshSamples: 0,
  detectionToleranceMs: 0,
  recoveryHoldMs: 0,
  idleAfterMs: 60_000,
  minLearningMs: 0,
  baselineOptions: {},
}

function setup(overrides: Partial<OperationConfig> = {}) {
  const listener = new RecordingListener()
  const op = new Operation('db.query', { ...CONFIG, ...overrides }, listener)
  return { op, listener }
}

/**
 * A baseline of 1, 2, …, 500 ms, enough for a detector: p50 250.5, p75 375.25, p95 475.05, p99
 * 495.01 (R-7: x[h] + frac(h) with h = 499 p), mean 250.5, standard deviation 144.5, so slow
 * above min(p95, mean + 2 sd) = 475.05.
 */
function spreadBaseline(): Baseline {
  return Baseline.fromSamples(
    'db.query',
    Float64Array.from({ length: 500 }, (_, i) => i + 1),
  )
}
/** Below the baseline's p50: the healthiest band, which drains every chart. */
const FAST = 100
/** Between p95 and p99: a slow sample the shift chart counts against the baseline. */
const SLOW = 480

/** An operation with a detector on `spreadBaseline()`. */
function detecting(overrides: Partial<OperationConfig> = {}) {
  const { op, listener } = setup(overrides)
  op.restore(spreadBaseline(), 0)
  return { op, listener }
}

/** Records `count` samples one evidence slice apart after `fromMs`; returns the last end time. */
function recordSlices(
  op: Operation,
  durationMs: number,
  fromMs: number,
  count: number,
  success = true,
): number {
  let t = fromMs
  for (let i = 0; i < count; i++) {
    t += SLICE_MS
    op.record(durationMs, success, t)
  }
  return t
}

/**
 * Records `durationMs` one evidence slice apart from `fromMs` on, until the listener hears a
 * transition or the process is asked, or `limit` samples; returns the last sample's end time.
 */
function recordUntilHeard(
  op: Operation,
  listener: RecordingListener,
  durationMs: number,
  fromMs: number,
  success = true,
  limit = 1000,
): number {
  const heard = listener.transitions.length + listener.explainAsked
  let t = fromMs
  for (let i = 0; i < limit; i++) {
    t += SLICE_MS
    op.record(durationMs, success, t)
    if (listener.transitions.length + listener.explainAsked > heard) return t
  }
  return t
}

/** Records fast samples one slice apart after `fromMs` until every chart is back at 0. */
function drain(op: Operation, fromMs: number): number {
  let t = fromMs
  for (let i = 0; i < 1000; i++) {
    t += SLICE_MS
    op.record(FAST, true, t)
    const stats = op.detector?.stats()
    if (stats?.shiftScore === 0 && stats.tailScore === 0 && stats.errorScore === 0) return t
  }
  throw new Error('the charts did not drain')
}

/** A healthy sample at 1000 ms (the charts' onset), then slow ones until a latency raise. */
function raise(op: Operation, listener: RecordingListener): number {
  op.record(FAST, true, 1000)
  return recordUntilHeard(op, listener, SLOW, 1000)
}

describe('the per-sample rule', () => {
  it('flags a sample only above the first baseline while it learns on', () => {
    const { op, listener } = setup()
    for (let t = 0; t < 4; t++) op.record(10, true, 1000 + t)
    // Four samples of 10 ms: mean 10, sd 0 and p95 10, so slow above 10.
    expect(op.baseline?.slowAboveMs).toBe(10)
    expect(op.detector).toBeNull()
    op.record(10, true, 1004, { id: 1 })
    expect(listener.slow).toEqual([])
    op.record(10.5, true, 1005, { id: 2 }, { rows: 3 })
    expect(listener.slow).toEqual([
      { durationMs: 10.5, endMs: 1005, callMetadata: { id: 2 }, endMetadata: { rows: 3 } },
    ])
    expect(op.lastSlowMs).toBe(1005)
    // The four samples that built the baseline were not checked; the two after it were.
    expect(op.checkedSampleCount).toBe(2)
    expect(op.snapshot(1005)).toMatchObject({ degradedCount: 1, degradationRate: 0.5 })
  })

  it('flags a sample only above the detector baseline, fast ones never', () => {
    const { op, listener } = detecting()
    // p95: h = 499 * 0.95 = 474.05, 475 + 0.05 * 1 (475 by nearest rank)
    expect(op.baseline?.slowAboveMs).toBeCloseTo(475.05, 10)
    op.record(FAST, true, 1000)
    op.record(475, true, 1001)
    expect(listener.slow).toEqual([])
    op.record(475.5, true, 1002, 'call', 'end')
    expect(listener.slow).toEqual([
      { durationMs: 475.5, endMs: 1002, callMetadata: 'call', endMetadata: 'end' },
    ])
    expect(op.slowSampleCount).toBe(1)
    expect(op.checkedSampleCount).toBe(3)
  })

  it('tells the listener of no transition while the charts do not change state', () => {
    const { op, listener } = detecting()
    for (let t = 0; t < 20; t++) op.record(FAST, true, 1000 + t * SLICE_MS)
    op.record(FAST, false, 1500) // one failure: far from the error chart's limit
    expect(op.detector?.stats().errorScore).toBeGreaterThan(0)
    expect(listener.transitions).toEqual([])
  })

  it('tells the listener of no transition for failures while learning', () => {
    const { op, listener } = setup()
    op.record(5, false, 1000)
    op.record(5, false, 1001)
    expect(listener.transitions).toEqual([])
    expect(op.stateAt(1001)).toBe('learning')
  })
})

describe('learning a baseline', () => {
  it('establishes it at the baselineSamples-th success, counting failures and the call rate since the first success', () => {
    const { op, listener } = setup()
    op.record(7, false, 1000) // before the first success: a learning failure, not in the rate
    op.record(7, false, 1005)
    op.record(10, true, 1020) // the first success: the rate counts calls from this one
    op.record(7, false, 1025)
    op.record(12, true, 1030)
    op.record(14, true, 1040)
    expect(op.baseline).toBeUndefined()
    op.record(16, true, 1050)
    expect(listener.baselines).toEqual(['established'])
    // [10, 12, 14, 16], h = 3 p: p50 12 + 0.5 * 2 = 13, p95 14 + 0.85 * 2 = 15.7 (nearest rank: 12, 16)
    expect(op.baseline).toMatchObject({ sampleCount: 4, failureCount: 3, p50: 13 })
    expect(op.baseline?.p95).toBeCloseTo(15.7, 10)
    // 5 calls (the 3rd to the 7th) from 1020 to 1050 ms.
    expect(op.baseline?.callsPerSecond).toBeCloseTo((5 * 1000) / 30, 10)
    expect(op.stateAt(1050)).toBe('learning')
  })

  it('establishes, not matures, a baseline learned in one go (baselineSamples = detectionSamples)', () => {
    const { op, listener } = setup({ detectionSamples: 4 })
    for (let t = 0; t < 4; t++) op.record(10, true, 1000 + t)
    expect(listener.baselines).toEqual(['established'])
    expect(op.baseline?.sampleCount).toBe(4)
  })

  it('matures the first baseline at detectionSamples, and keeps maturing while too small for a detector', () => {
    const { op, listener } = setup({ detectionSamples: 8 })
    for (let t = 0; t < 8; t++) op.record(10, true, 1000 + t)
    expect(listener.baselines).toEqual(['established', 'matured'])
    expect(op.baseline?.sampleCount).toBe(8)
    // 8 samples are too few for a detector: the operation learns 8 more and matures again.
    expect(op.detector).toBeNull()
    for (let t = 8; t < 15; t++) op.record(10, true, 1000 + t)
    expect(listener.baselines).toEqual(['established', 'matured'])
    op.record(10, true, 1015)
    expect(listener.baselines).toEqual(['established', 'matured', 'matured'])
    expect(op.stateAt(1015)).toBe('learning')
  })

  it('matures into a detector at detectionSamples successes', () => {
    const { op, listener } = setup()
    for (let t = 0; t < 500; t++) op.record(10 + (t % 5), true, 1000 + t)
    expect(listener.baselines).toEqual(['established', 'matured'])
    expect(op.baseline?.sampleCount).toBe(500)
    expect(op.stateAt(1500)).toBe('ok')
  })

  it('thins the buffer when it fills before minLearningMs and matures exactly at minLearningMs', () => {
    const { op, listener } = setup({ detectionSamples: 8, minLearningMs: 100 })
    // Learning starts at 1000 ms. Eight successes 1 … 8 ms fill the buffer at 1007 ms, and
    // four failures among them.
    for (let v = 1; v <= 8; v++) {
      if (v % 2 === 0) op.record(99, false, 999 + v)
      op.record(v, true, 999 + v)
    }
    expect(listener.baselines).toEqual(['established'])
    // Too early to mature: the newest baselineSamples samples (5 … 8) and their share of the
    // failures (4 × 4/8) make the interim baseline; the buffer keeps every other sample (2, 4,
    // 6, 8) and from now on only every other success is stored.
    // [5, 6, 7, 8], h = 3 p: p50 6.5, p95 7 + 0.85 = 7.85, p99 7 + 0.97 = 7.97; mean + 2 sd =
    // 6.5 + 2 * 1.29 = 9.08, so slow above p95 (nearest rank: p50 6, p95 and p99 8)
    expect(op.baseline).toMatchObject({ sampleCount: 4, p50: 6.5, failureCount: 2 })
    expect(op.baseline?.p99).toBeCloseTo(7.97, 10)
    expect(op.baseline?.slowAboveMs).toBeCloseTo(7.85, 10)
    expect(op.detector).toBeNull()
    // Eight successes 10 … 17 ms, the last at 1100 ms: 11, 13, 15 and 17 are stored, and the
    // two failures count one stored sample's worth (half each).
    for (let v = 10; v <= 17; v++) {
      op.record(v, true, 1083 + v)
      if (v === 12 || v === 14) op.record(99, false, 1083 + v)
    }
    expect(listener.baselines).toEqual(['established', 'matured'])
    // [2, 4, 6, 8, 11, 13, 15, 17]: p50 8 + 0.5 * 3 = 9.5 (h = 3.5; 8 by nearest rank), mean
    // 76 / 8; failures 4 / 2 + 2 / 2.
    expect(op.baseline).toMatchObject({ sampleCount: 8, p50: 9.5, mean: 9.5, failureCount: 3 })
    // 22 calls from the first success (1000 ms) to the last (1100 ms).
    expect(op.baseline?.callsPerSecond).toBeCloseTo(220, 10)
  })

  it('thins again while the buffer keeps filling before minLearningMs', () => {
    const { op, listener } = setup({ detectionSamples: 8, minLearningMs: 100 })
    for (let v = 1; v <= 8; v++) op.record(v, true, 999 + v)
    // Eight more successes (four stored) refill it at 1098 ms, 2 ms early: no maturing.
    for (let v = 10; v <= 17; v++) op.record(v, true, 1081 + v)
    expect(listener.baselines).toEqual(['established'])
    // The second interim baseline: the newest four of [2, 4, 6, 8, 11, 13, 15, 17], p50 of
    // [11, 13, 15, 17] 13 + 0.5 * 2 = 14 (h = 1.5; 13 by nearest rank).
    expect(op.baseline).toMatchObject({ sampleCount: 4, p50: 14 })
  })
})

describe('acceptWindow', () => {
  it('needs baselineSamples successes in the window, failures counted as the baseline failures', () => {
    const { op, listener } = setup({ windowSize: 6 })
    op.record(50, false, 1000)
    op.record(10, true, 1100)
    op.record(50, false, 1200)
    op.record(20, true, 1300)
    op.record(30, true, 1400)
    expect(op.acceptWindow(123)).toBe(false)
    expect(op.baseline).toBeUndefined()
    expect(op.resetAt).toBe(0)
    expect(listener.baselines).toEqual([])
    op.record(40, true, 1500) // four successes: the first baseline, then the accepted one
    expect(op.acceptWindow(123)).toBe(true)
    expect(listener.baselines).toEqual(['established', 'accepted'])
    expect(op.resetAt).toBe(123)
    // 6 calls from 1000 to 1500 ms (the first rate window).
    // p50 of [10, 20, 30, 40]: h = 1.5, 20 + 0.5 * 10 = 25 (20 by nearest rank)
    expect(op.baseline).toMatchObject({ sampleCount: 4, failureCount: 2, p50: 25 })
    expect(op.baseline?.callsPerSecond).toBeCloseTo(12, 10)
  })

  it('matures a window too small for a detector from the next detectionSamples successes', () => {
    const { op, listener } = setup()
    for (let t = 0; t < 10; t++) op.record(10, true, 1000 + t)
    expect(op.acceptWindow(5)).toBe(true)
    expect(op.detector).toBeNull()
    for (let t = 10; t < 509; t++) op.record(10, true, 1000 + t)
    expect(listener.baselines).toEqual(['established', 'accepted'])
    op.record(10, true, 1509)
    expect(listener.baselines).toEqual(['established', 'accepted', 'matured'])
    expect(op.baseline?.sampleCount).toBe(500)
    expect(op.stateAt(1509)).toBe('ok')
  })
})

describe('reset and adopt', () => {
  it('reset forgets the baseline and the incident, and says reset', () => {
    const { op, listener } = detecting()
    raise(op, listener)
    expect(op.incident).not.toBeNull()
    op.reset(77)
    expect(listener.baselines).toEqual(['reset'])
    expect(op).toMatchObject({ baseline: undefined, detector: null, incident: null, resetAt: 77 })
    expect(op.stateAt(2000)).toBe('learning')
  })

  it('adopt takes another tracker’s baseline, or its reset, and says adopted', () => {
    const { op, listener } = setup()
    const other = spreadBaseline()
    op.adopt(other, 10)
    expect(op.baseline).toBe(other)
    expect(op.resetAt).toBe(10)
    expect(op.stateAt(0)).toBe('ok')
    op.adopt(undefined, 20)
    expect(op.baseline).toBeUndefined()
    expect(op.resetAt).toBe(20)
    expect(listener.baselines).toEqual(['adopted', 'adopted'])
  })
})

describe('refresh', () => {
  it('blends the window into a detector baseline, each number moving at most maxChange', () => {
    const { op, listener } = detecting({ windowSize: 6 })
    op.record(FAST, false, 1000)
    op.record(FAST, false, 1001)
    for (let t = 2; t < 6; t++) op.record(FAST, true, 1000 + t) // exactly baselineSamples
    expect(op.detector?.bandOf(230)).toBe(0)
    expect(op.refresh(0.1)).toBe(true)
    expect(listener.baselines).toEqual(['refreshed'])
    // The window's 100-ms samples pull the median down, by at most 10 %: 250.5 to 225.45.
    expect(op.baseline?.p50).toBeCloseTo(225.45, 10)
    expect(op.detector?.bandOf(230)).toBe(1) // the detector's bands moved with it
  })

  it('does not refresh from fewer than baselineSamples successes', () => {
    const { op, listener } = detecting({ windowSize: 6 })
    const before = op.baseline
    for (let t = 0; t < 3; t++) op.record(FAST, false, 1000 + t)
    for (let t = 3; t < 6; t++) op.record(FAST, true, 1000 + t)
    expect(op.refresh(0.1)).toBe(false)
    expect(op.baseline).toBe(before)
    expect(listener.baselines).toEqual([])
  })

  it('does not refresh without a baseline or before the detector', () => {
    const { op, listener } = setup()
    for (let t = 0; t < 4; t++) op.record(10, true, 1000 + t)
    // The first baseline, still learning: nothing to refresh yet.
    expect(op.refresh(0.1)).toBe(false)
    op.reset(1)
    expect(op.refresh(0.1)).toBe(false) // the window keeps its samples, there is no baseline
    expect(listener.baselines).toEqual(['established', 'reset'])
  })

  it('does not refresh while degraded, nor after an incident that has cleared', () => {
    const { op, listener } = detecting()
    const raisedAt = raise(op, listener)
    expect(op.stateAt(raisedAt)).toBe('degraded')
    expect(op.refresh(0.1)).toBe(false)
    recordUntilHeard(op, listener, FAST, raisedAt)
    expect(listener.transitions.map((t) => t.transition)).toEqual([RAISED, CLEARED])
    expect(op.refresh(0.1)).toBe(false)
    expect(listener.baselines).toEqual([])
  })

  it('is due every refreshSamples successes, skipping an interval with an incident', () => {
    const { op, listener } = detecting({ refreshSamples: 300 })
    const raisedAt = raise(op, listener)
    const clearedAt = recordUntilHeard(op, listener, FAST, raisedAt)
    expect(listener.transitions.map((t) => t.transition)).toEqual([RAISED, CLEARED])
    expect(op.recordedCount).toBeLessThan(299)
    let t = recordSlices(op, FAST, clearedAt, 299 - op.recordedCount)
    t = recordSlices(op, FAST, t, 1, false) // failures do not count
    expect(listener.refreshesDue).toBe(0)
    t = recordSlices(op, FAST, t, 1) // the 300th success: the interval had an incident
    expect(listener.refreshesDue).toBe(0)
    t = recordSlices(op, FAST, t, 299)
    expect(listener.refreshesDue).toBe(0)
    recordSlices(op, FAST, t, 1) // the 600th: a clean interval
    expect(listener.refreshesDue).toBe(1)
  })
})

describe('degradation episodes', () => {
  it('opens an incident on a raise and hands it over again when it clears', () => {
    const { op, listener } = detecting()
    const raisedAt = raise(op, listener)
    const incident = op.incident
    expect(listener.transitions).toEqual([{ transition: RAISED, incident }])
    expect(incident).toMatchObject({
      atMs: raisedAt,
      recordedAtRaise: op.recordedCount,
      slowAtRaise: op.slowSampleCount,
    })
    expect(op.snapshot(raisedAt).degradedSince).toBe(incident?.since)
    recordUntilHeard(op, listener, FAST, raisedAt)
    expect(listener.transitions[1]).toEqual({ transition: CLEARED, incident })
    expect(op.incident).toBeNull()
  })

  it('lets a latency raise stand only once its evidence spans minEvidenceSpanMs from the onset', () => {
    // Without a span required: the onset is the healthy sample at 1000 ms, the chart's last 0.
    const reference = detecting()
    const raisedAt = raise(reference.op, reference.listener)
    const span = raisedAt - 1000

    const exact = detecting()
    exact.listener.evidenceSpanMs = span
    expect(raise(exact.op, exact.listener)).toBe(raisedAt)
    expect(exact.op.incident?.atMs).toBe(raisedAt)

    const longer = detecting()
    longer.listener.evidenceSpanMs = span + 1
    longer.op.record(FAST, true, 1000)
    const t = recordSlices(longer.op, SLOW, 1000, (raisedAt - 1000) / SLICE_MS)
    expect(t).toBe(raisedAt)
    expect(longer.listener.transitions).toEqual([])
    expect(longer.op.stateAt(t)).toBe('ok')
    // The chart is still at its limit at the next sample: the raise stands then.
    recordSlices(longer.op, SLOW, t, 1)
    expect(longer.listener.transitions).toEqual([
      { transition: RAISED, incident: longer.op.incident },
    ])
    expect(longer.op.incident?.atMs).toBe(raisedAt + SLICE_MS)
  })

  it('dismisses a latency raise the process explains, and the evidence starts over', () => {
    const { op, listener } = detecting()
    listener.explained = true
    const askedAt = raise(op, listener)
    expect(listener.explainAsked).toBe(1)
    expect(listener.transitions).toEqual([])
    expect(op.incident).toBeNull()
    expect(op.stateAt(askedAt)).toBe('ok')
    expect(op.detector?.stats()).toMatchObject({ rule: null, shiftScore: 0, tailScore: 0 })
  })

  it('raises on failures whatever the evidence span, without asking about the process', () => {
    const { op, listener } = detecting()
    listener.evidenceSpanMs = Number.POSITIVE_INFINITY
    listener.explained = true
    const raisedAt = recordUntilHeard(op, listener, FAST, 1000, false, 100)
    expect(listener.explainAsked).toBe(0)
    expect(listener.transitions).toEqual([{ transition: RAISED, incident: op.incident }])
    expect(op.detector?.stats().rule).toBe('errors')
    expect(op.stateAt(raisedAt)).toBe('degraded')
  })

  it('lets a recovery stand whatever the evidence span', () => {
    const { op, listener } = detecting()
    const raisedAt = raise(op, listener)
    const incident = op.incident
    listener.evidenceSpanMs = Number.POSITIVE_INFINITY
    const clearedAt = recordUntilHeard(op, listener, FAST, raisedAt)
    expect(listener.transitions[1]).toEqual({ transition: CLEARED, incident })
    expect(op.stateAt(clearedAt)).toBe('ok')
  })

  it('resumes the same incident within the hold, even when the process would explain it', () => {
    const { op, listener } = detecting({ recoveryHoldMs: 60_000 })
    const raisedAt = raise(op, listener)
    const incident = op.incident
    const drainedAt = drain(op, raisedAt)
    expect(listener.transitions.map((t) => t.transition)).toEqual([RAISED])
    expect(op.stateAt(drainedAt)).toBe('degraded') // drained, but the hold is not over
    listener.explained = true
    const asked = listener.explainAsked
    recordUntilHeard(op, listener, SLOW, drainedAt)
    expect(listener.transitions).toHaveLength(2)
    expect(listener.transitions[1]?.transition).toBe(RESUMED)
    expect(listener.transitions[1]?.incident).toBe(incident)
    expect(op.incident).toBe(incident)
    expect(listener.explainAsked).toBe(asked)
  })

  it('defers a resumption while its evidence spans less than minEvidenceSpanMs', () => {
    const { op, listener } = detecting({ recoveryHoldMs: 60_000 })
    const drainedAt = drain(op, raise(op, listener))
    listener.evidenceSpanMs = Number.POSITIVE_INFINITY
    const t = recordSlices(op, SLOW, drainedAt, 200)
    expect(op.detector?.stats().shiftScore).toBe(op.detector?.stats().shiftLimit)
    expect(listener.transitions.map((x) => x.transition)).toEqual([RAISED])
    expect(op.stateAt(t)).toBe('degraded')
  })
})

describe('snapshot', () => {
  it('reports an empty window as nulls', () => {
    const { op } = setup()
    expect(op.snapshot(5000)).toEqual({
      operation: 'db.query',
      state: 'learning',
      degradedSince: null,
      sampleCount: 0,
      totalCount: 0,
      failureCount: 0,
      totalDurationMs: 0,
      callsPerSecond: null,
      successRate: null,
      errorRate: null,
      recentMean: null,
      recentStdDev: null,
      recentMin: null,
      recentMax: null,
      recentP50: null,
      recentP75: null,
      recentP95: null,
      recentP99: null,
      degradedCount: 0,
      degradationRate: 0,
      detector: null,
      thresholds: null,
      thresholdViolations: { warning: 0, critical: 0, errorRate: 0 },
    })
  })

  it('reports the window’s statistics over every sample, failures by their duration', () => {
    const { op } = detecting({ windowSize: 4 })
    op.record(99, true, 900) // pushed out of the window by the four below
    op.record(10, true, 1000)
    op.record(20, false, 1100)
    op.record(30, true, 1200)
    op.record(40, true, 1300)
    expect(op.snapshot(1500)).toEqual({
      operation: 'db.query',
      state: 'ok',
      degradedSince: null,
      sampleCount: 4,
      totalCount: 5,
      failureCount: 1,
      totalDurationMs: 99 + 10 + 20 + 30 + 40, // every sample, the one that left the window too
      callsPerSecond: (5 * 1000) / 600, // 5 calls since 900 ms, the first rate window
      successRate: 0.75,
      errorRate: 0.25,
      recentMean: 25,
      recentStdDev: Math.sqrt((15 ** 2 + 5 ** 2 + 5 ** 2 + 15 ** 2) / 3),
      recentMin: 10,
      recentMax: 40,
      // R-7 on [10, 20, 30, 40], h = 3 p: 1.5, 2.25, 2.85, 2.97 (20, 30, 40, 40 by nearest rank)
      recentP50: 25,
      recentP75: 32.5,
      recentP95: expect.closeTo(38.5, 10),
      recentP99: expect.closeTo(39.7, 10),
      degradedCount: 0,
      degradationRate: 0,
      detector: op.detector?.stats(),
      baseline: op.baseline?.toSummary(),
      thresholds: null,
      thresholdViolations: { warning: 0, critical: 0, errorRate: 0 },
    })
  })

  it('is idle once idleAfterMs passed without a sample', () => {
    const { op } = detecting({ idleAfterMs: 1000 })
    op.record(FAST, true, 1000)
    expect(op.stateAt(1999)).toBe('ok')
    expect(op.stateAt(2000)).toBe('idle')
  })
})

describe('recent', () => {
  it('summarises the successes among the newest samples, with their error rate', () => {
    const { op } = setup({ windowSize: 6 })
    expect(op.recent(5)).toEqual({ summary: null, errorRate: 0 })
    op.record(10, true, 1000)
    op.record(20, true, 1001)
    op.record(99, false, 1002)
    op.record(30, true, 1003)
    op.record(99, false, 1004)
    op.record(99, false, 1005)
    expect(op.recent(2)).toEqual({ summary: null, errorRate: 1 })
    const newest4 = op.recent(4)
    expect(newest4.errorRate).toBe(0.75)
    expect(newest4.summary).toMatchObject({ mean: 30, min: 30, max: 30 })
    expect(op.recent(6).summary).toMatchObject({ mean: 20, p50: 20 })
  })
})

describe('calls per second', () => {
  it('is unknown before a sample, then counts the current window', () => {
    const { op } = setup()
    expect(op.callRate(1000)).toBeNull()
    op.record(10, true, 1000)
    op.record(10, true, 1100)
    op.record(10, true, 1200)
    expect(op.callRate(1000)).toBeNull() // no time has passed since the window started
    expect(op.callRate(1500)).toBe(6) // 3 calls in 500 ms
  })

  it('reports the last full window from a sample a whole second after its start', () => {
    const { op } = setup()
    op.record(10, true, 1000)
    op.record(10, true, 1000) // calls ending together count in the window too
    op.record(10, true, 1999)
    expect(op.callRate(1999)).toBeCloseTo(3000 / 999, 10)
    op.record(10, true, 2000) // starts the next window
    expect(op.callRate(2000)).toBe(3)
    expect(op.callRate(9000)).toBe(3)
  })

  it('starts a new window when the clock went back, without a rate from it', () => {
    const { op } = setup()
    op.record(10, true, 1000)
    op.record(10, true, 1500)
    op.record(10, true, 900)
    expect(op.callRate(1400)).toBe(2) // 1 call in 500 ms since 900
  })
})
