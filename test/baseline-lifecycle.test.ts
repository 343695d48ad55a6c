// A tracker's baselines over their life: learning and maturing, the rolling policy, reset and
// accept (the degradation reports are in reporter.test.ts).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NotEnoughSamplesError, PerformanceTracker, UnknownOperationError } from '../src/index.js'
import { logSink, WARN } from './helpers/log-sink.js'
import { tempDir } from './helpers/tmp.js'
import { nextTurn, feedingTracker as setup } from './helpers/tracker.js'

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
