import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  type BaselineEvent,
  type DegradationEvent,
  NotEnoughSamplesError,
  PerformanceTracker,
  type RecoveryEvent,
  type TrackerOptions,
  UnknownOperationError,
} from '../src/index.js'
import { ERROR, INFO, logSink, WARN } from './helpers/log-sink.js'
import { logNormal } from './helpers/random.js'
import { tempDir } from './helpers/tmp.js'
import { nextTurn, testTracker } from './helpers/tracker.js'

/** A tracker on an injected clock; `feed` records samples 1 ms apart. */
function setup(options: TrackerOptions = {}, seed = 1) {
  const { tracker, clock, lines } = testTracker(options)
  const draw = logNormal(seed)
  const events = {
    degradation: [] as DegradationEvent[],
    recovery: [] as RecoveryEvent[],
    baseline: [] as BaselineEvent[],
  }
  tracker.on('degradation', (e) => events.degradation.push(e))
  tracker.on('recovery', (e) => events.recovery.push(e))
  tracker.on('baseline', (e) => events.baseline.push(e))
  const feed = (count: number, factor = 1, name = 'db.query') => {
    for (let i = 0; i < count; i++) {
      clock.advance(1)
      tracker.record(name, factor * draw())
    }
  }
  return { tracker, clock, lines, events, feed, draw }
}

describe('baseline learning', () => {
  it('establishes at baselineSamples, matures at detectionSamples, then is frozen', async () => {
    const { tracker, events, feed } = setup()
    feed(99)
    expect(tracker.getOperationStats('db.query')).toMatchObject({
      state: 'learning',
      detector: null,
    })
    feed(1)
    expect(tracker.getOperationStats('db.query')?.baseline?.sampleCount).toBe(100)
    feed(899)
    expect(tracker.getOperationStats('db.query')?.state).toBe('learning')
    feed(1)
    const stats = tracker.getOperationStats('db.query')
    expect(stats).toMatchObject({
      state: 'ok',
      degradedSince: null,
      baseline: { sampleCount: 1000 },
    })
    expect(stats?.detector).toMatchObject({ shiftScore: expect.any(Number), shiftLimit: 240 })
    await nextTurn() // events are delivered after the call that changed the baseline
    expect(events.baseline.map((e) => e.change)).toEqual(['established', 'matured'])
    const p50 = stats?.baseline?.p50
    feed(10_000, 2) // frozen: a slowdown never becomes the new normal
    expect(tracker.getOperationStats('db.query')?.baseline?.p50).toBe(p50)
  })

  it('refuses to mature on samples clearly slower than the first baseline', async () => {
    const { tracker, events, feed, lines } = setup()
    feed(100)
    feed(900, 3)
    expect(tracker.getOperationStats('db.query')).toMatchObject({
      state: 'learning',
      baseline: { sampleCount: 100 },
    })
    expect(lines.find((l) => /got slower while its baseline was maturing/.test(l.msg))?.level).toBe(
      WARN,
    )
    feed(1000) // healthy again: it matures
    expect(tracker.getOperationStats('db.query')?.state).toBe('ok')
    await nextTurn()
    expect(events.baseline.map((e) => e.change)).toEqual(['established', 'matured'])
  })
})

describe('sustained degradation', () => {
  it('raises one degradation and one recovery, with one log line each', async () => {
    const { tracker, clock, events, feed, lines } = setup({ warningIntervalMs: 0 })
    feed(3000)
    feed(2000, 1.8)
    // the state changes on the sample; the report reads the window after the call returns
    expect(tracker.getOperationState('db.query')).toBe('degraded')
    expect(tracker.getOperationState('unknown')).toBeUndefined()
    expect(events.degradation).toHaveLength(0)
    await nextTurn()
    expect(events.degradation).toHaveLength(1)
    const raised = events.degradation[0] as DegradationEvent
    expect(raised).toMatchObject({ operation: 'db.query', rule: 'shift', severity: 'warning' })
    expect(raised.samplesSinceOnset).toBeGreaterThan(10)
    expect(raised.samplesSinceOnset).toBeLessThan(500)
    expect(raised.recentP50).toBeGreaterThan(1.4 * raised.baselineP50)
    const stats = tracker.getOperationStats('db.query')
    expect(stats?.state).toBe('degraded')
    expect(stats?.degradedSince).toBe(raised.at)
    expect(tracker.getSystemSummary().currentlyDegraded).toEqual(['db.query'])
    const line = lines.find((l) => l.event === 'degradation')
    expect(line).toMatchObject({ level: WARN, operation: 'db.query', rule: 'shift' })
    expect(line?.msg).toMatch(
      /^Sustained degradation of db\.query \(shift\): recent p50 [\d.]+ms, p95 [\d.]+ms vs baseline p50 [\d.]+ms, p95 [\d.]+ms; \d+ samples since onset; \d+ calls\/s now vs \d+ calls\/s when the baseline was learned$/,
    )
    // the load is in the event, so a reader tells more traffic from slower code
    expect(raised.callsPerSecond).toBeCloseTo(1000, -1)
    expect(raised.baselineCallsPerSecond).toBeCloseTo(1000, -1)
    clock.advance(5000)
    feed(3000) // the charts drain, then must stay quiet for recoveryHoldMs (10 s)
    await nextTurn()
    expect(events.recovery).toHaveLength(0)
    feed(9000)
    await nextTurn()
    expect(events.recovery).toHaveLength(1)
    expect(events.degradation).toHaveLength(1)
    const recovered = events.recovery[0] as RecoveryEvent
    expect(recovered.degradedSince).toBe(raised.at)
    expect(recovered.durationMs).toBeGreaterThan(5000)
    expect(recovered.slowSamples).toBeGreaterThan(0)
    expect(lines.filter((l) => l.event === 'recovery')).toHaveLength(1)
    expect(lines.find((l) => l.event === 'recovery')?.level).toBe(INFO)
    expect(tracker.getOperationStats('db.query')).toMatchObject({
      state: 'ok',
      degradedSince: null,
    })
  })

  it('logs a critical degradation at error level', async () => {
    const { events, feed, lines } = setup({ warningIntervalMs: 0 })
    feed(1000)
    feed(200, 5)
    await nextTurn()
    expect(events.degradation[0]?.severity).toBe('critical')
    expect(lines.find((l) => l.event === 'degradation')?.level).toBe(ERROR)
  })

  it('raises on a rise in failures', async () => {
    const { tracker, clock, events, feed, draw } = setup({ warningIntervalMs: 0 })
    feed(1000)
    for (let i = 0; i < 50; i++) {
      clock.advance(5)
      tracker.record('db.query', draw(), { success: i % 2 === 0 })
    }
    await nextTurn()
    expect(events.degradation[0]?.rule).toBe('errors')
    expect(events.degradation[0]?.recentErrorRate).toBeGreaterThan(0.3)
  })

  it('keeps recording when a listener throws, and logs the failure', async () => {
    const { tracker, feed, lines } = setup({ warningIntervalMs: 0 })
    // the throwing listener first, then another: emitting must not stop at the throw
    const seen: BaselineEvent[] = []
    tracker.on('baseline', () => {
      throw new Error('listener broke')
    })
    tracker.on('baseline', (e) => seen.push(e))
    feed(1000)
    await nextTurn()
    expect(seen.map((e) => e.change)).toEqual(['established', 'matured'])
    expect(tracker.getOperationStats('db.query')?.state).toBe('ok')
    const failure = lines.find((l) => l.level === ERROR && /failed internally/.test(l.msg))
    expect(failure?.code).toBe('PERFWATCH_INTERNAL_ERROR')
  })

  it('stops calling a listener after off()', async () => {
    const { tracker, feed } = setup()
    const seen: string[] = []
    const listener = (e: BaselineEvent) => seen.push(e.change)
    tracker.on('baseline', listener)
    feed(100)
    await nextTurn()
    tracker.off('baseline', listener)
    feed(900)
    await nextTurn()
    expect(seen).toEqual(['established'])
    expect(() => tracker.on('nope' as 'baseline', listener)).toThrow(/event name must be one of/)
    expect(() => tracker.on('baseline', 5 as never)).toThrow(/listener must be a function/)
  })
})

describe('baseline policies', () => {
  it('rolling: refreshes from an interval without incident, moving at most maxBaselineChange', async () => {
    const { tracker, feed, events } = setup({
      baselinePolicy: 'rolling',
      refreshSamples: 1000,
      maxBaselineChange: 0.02,
    })
    feed(1000)
    const first = tracker.getOperationStats('db.query')?.baseline
    feed(1000, 1.06) // a drift too small to raise: the refresh follows it, by at most 2%
    expect(tracker.getOperationState('db.query')).toBe('ok')
    await nextTurn() // the refresh
    await nextTurn() // its event
    const refreshed = tracker.getOperationStats('db.query')?.baseline
    expect(events.baseline.at(-1)?.change).toBe('refreshed')
    expect(refreshed?.p50).toBeGreaterThan(first?.p50 ?? 0)
    expect(refreshed?.p50).toBeLessThanOrEqual((first?.p50 ?? 0) * 1.02 + 1e-9)
  })

  it('rolling: never learns a slowdown the detector caught', async () => {
    const { tracker, feed, events } = setup({ baselinePolicy: 'rolling', refreshSamples: 1000 })
    feed(1000)
    const p50 = tracker.getOperationStats('db.query')?.baseline?.p50
    feed(10_000, 2)
    await nextTurn()
    await nextTurn()
    expect(events.degradation).toHaveLength(1)
    expect(events.baseline.filter((e) => e.change === 'refreshed')).toHaveLength(0)
    expect(tracker.getOperationStats('db.query')?.baseline?.p50).toBe(p50)
  })

  it('resetBaseline forgets the baseline, on disk too, and learns again', async () => {
    const path = join(tempDir(), 'b.json')
    const { tracker, feed } = setup({ storagePath: path, saveDelayMs: 0 })
    feed(1000)
    feed(300, 3)
    tracker.resetBaseline('db.query')
    expect(tracker.getOperationStats('db.query')).toMatchObject({
      state: 'learning',
      degradedSince: null,
    })
    expect(tracker.getOperationStats('db.query')?.baseline).toBeUndefined()
    await tracker.flush()
    expect(JSON.parse(readFileSync(path, 'utf8')).baselines).toEqual({})
    feed(100, 3)
    expect(tracker.getOperationStats('db.query')?.baseline?.sampleCount).toBe(100)
    expect(() => tracker.resetBaseline('unknown')).toThrow(UnknownOperationError)
  })

  it('acceptCurrentAsBaseline makes the window the baseline and persists it', async () => {
    const path = join(tempDir(), 'b.json')
    const { tracker, feed, events } = setup({ storagePath: path, saveDelayMs: 0 })
    feed(1000)
    const before = tracker.getOperationStats('db.query')?.baseline?.p50 ?? 0
    feed(1000, 3) // a deliberate change: every call now does three times the work
    expect(tracker.getOperationStats('db.query')?.state).toBe('degraded')
    tracker.acceptCurrentAsBaseline('db.query')
    const accepted = tracker.getOperationStats('db.query')
    expect(accepted).toMatchObject({
      state: 'ok',
      degradedSince: null,
      baseline: { sampleCount: 1000 },
    })
    expect(accepted?.baseline?.p50).toBeGreaterThan(2.5 * before)
    await nextTurn()
    expect(events.baseline.at(-1)?.change).toBe('accepted')
    await tracker.flush()
    const restored = new PerformanceTracker({ storagePath: path, logger: logSink().logger })
    expect(restored.getOperationStats('db.query')).toMatchObject({
      state: 'ok',
      baseline: accepted?.baseline,
    })
  })

  it('acceptCurrentAsBaseline refuses a window without enough successes', () => {
    const { tracker, feed } = setup()
    feed(50)
    expect(() => tracker.acceptCurrentAsBaseline('db.query')).toThrow(NotEnoughSamplesError)
    expect(() => tracker.acceptCurrentAsBaseline('db.query')).toThrow(/has 50 successful samples/)
    expect(tracker.getOperationStats('db.query')?.baseline).toBeUndefined()
  })
})
