import { describe, expect, it } from 'vitest'
import type { BaselineEvent, DegradationEvent, RecoveryEvent } from '../src/index.js'
import { ERROR, INFO, WARN } from './helpers/log-sink.js'
import { nextTurn, feedingTracker as setup } from './helpers/tracker.js'

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
