import { describe, expect, it } from 'vitest'
import type { TrackerOptions } from '../src/index.js'
import { WARN } from './helpers/log-sink.js'
import { logNormal } from './helpers/random.js'
import { nextTurn, testTracker } from './helpers/tracker.js'

// Baselines of 10 samples each, with their per-sample thresholds min(p95, mean + 2σ); p95 is
// x[8] + 0.55 (x[9] - x[8]) (R-7, h = 9 · 0.95 = 8.55):
const BASELINES: Record<string, number[]> = {
  // p95 98.55, mean 94.5, σ 3.03: threshold 98.55 (printed 99ms)
  'db.query': [90, 91, 92, 93, 94, 95, 96, 97, 98, 99],
  // p95 18.55: threshold 18.55 (printed 19ms)
  render: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
  // 40-49 µs, p95 48.55 µs: threshold 0.04855 ms (printed 49µs)
  'cache.get': [0.04, 0.041, 0.042, 0.043, 0.044, 0.045, 0.046, 0.047, 0.048, 0.049],
}

/** A tracker whose operations have the baselines above (the detector is still learning). */
function setup(options: TrackerOptions = {}) {
  const { tracker, clock, lines } = testTracker({ baselineSamples: 10, ...options })
  for (const [name, samples] of Object.entries(BASELINES)) {
    for (const durationMs of samples) tracker.record(name, durationMs)
  }
  const slowLines = () => lines.filter((l) => l.event === 'slow-call' || l.event === 'slow-calls')
  return { tracker, clock, lines, slowLines }
}

describe('slow-call lines', () => {
  it('name the first slow call after a quiet interval, as a slow call', () => {
    const { tracker, slowLines } = setup()
    const timer = tracker.startOperation('db.query', { table: 'orders' })
    tracker.endOperation(timer) // 0 ms on the manual clock: not slow
    tracker.record('db.query', 250, { metadata: { user: 7 } })
    expect(slowLines()).toEqual([
      expect.objectContaining({
        level: WARN,
        event: 'slow-call',
        operation: 'db.query',
        durationMs: 250,
        baselineP95: 98.55,
        baselineMean: 94.5,
        rule: 'p95',
        metadata: { user: 7 },
        msg: 'Slow call of db.query: 250ms (baseline p95 99ms)',
      }),
    ])
    expect(slowLines()[0]?.msg).not.toMatch(/degradation/i)
  })

  it('name the threshold that fired when it is mean + kσ', () => {
    // 20 samples: with 10, mean + 2σ is above an interpolated p95 whatever the values
    const { tracker, slowLines } = setup({ baselineSamples: 20 })
    // 18 of 1 and 2 of 100: p95 100 (h = 19 · 0.95 = 18.05, x[18] = x[19] = 100), mean 10.9,
    // σ 30.47: mean + 2σ = 71.85 is the threshold, below p95
    for (let i = 0; i < 18; i++) tracker.record('bimodal', 1)
    for (const d of [100, 100]) tracker.record('bimodal', d)
    tracker.record('bimodal', 80)
    expect(slowLines()[0]).toMatchObject({
      rule: 'stdDev',
      msg: 'Slow call of bimodal: 80ms (baseline mean + 2σ 72ms, p95 100ms)',
    })
  })

  it('write one line per interval for all operations together, the second summarising them', () => {
    const { tracker, clock, slowLines } = setup()
    tracker.record('db.query', 250)
    for (let i = 0; i < 17; i++) {
      clock.advance(100)
      tracker.record('db.query', i === 8 ? 812 : 200)
    }
    for (const d of [0.3, 1.2, 0.5]) tracker.record('cache.get', d)
    for (const d of [25, 40, 30, 22, 21]) tracker.record('render', d)
    expect(slowLines()).toHaveLength(1)
    clock.advance(10_000 - 1700) // 10 s after the first line
    tracker.record('render', 33) // the first slow call after the interval writes the summary
    expect(slowLines()).toHaveLength(2)
    expect(slowLines()[1]).toEqual({
      level: WARN,
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      event: 'slow-calls',
      intervalMs: 10_000,
      slowCalls: 26,
      operations: {
        'db.query': { slowCalls: 17, maxDurationMs: 812, baselineP95: 98.55 },
        render: { slowCalls: 6, maxDurationMs: 40, baselineP95: expect.closeTo(18.55, 10) },
        'cache.get': { slowCalls: 3, maxDurationMs: 1.2, baselineP95: expect.closeTo(0.04855, 12) },
      },
      msg:
        'Slow calls in the last 10.0s: db.query 17 (max 812ms, baseline p95 99ms), ' +
        'render 6 (max 40ms, baseline p95 19ms), cache.get 3 (max 1.2ms, baseline p95 49µs)',
    })
    // and the next interval starts: calls are held again
    clock.advance(5000)
    tracker.record('db.query', 300)
    expect(slowLines()).toHaveLength(2)
    // every slow call was counted, logged or not
    expect(tracker.getSystemSummary().slowSamples).toBe(1 + 17 + 3 + 6 + 1)
  })

  it('keep the metadata of each operation’s slowest held call', () => {
    const { tracker, clock, slowLines } = setup()
    tracker.record('db.query', 250)
    const timer = tracker.startOperation('db.query', { table: 'orders' })
    clock.advance(900)
    tracker.endOperation(timer, { metadata: { rows: 5000 } })
    tracker.record('db.query', 300, { metadata: { table: 'users' } })
    clock.advance(9100)
    tracker.record('render', 25)
    expect(slowLines()[1]?.operations).toEqual({
      'db.query': {
        slowCalls: 2,
        maxDurationMs: 900,
        baselineP95: 98.55,
        metadata: { table: 'orders', rows: 5000 },
      },
      render: { slowCalls: 1, maxDurationMs: 25, baselineP95: expect.closeTo(18.55, 10) },
    })
  })

  it('list at most 10 operations by count in the message, and every one in the fields', () => {
    const { tracker, clock, lines } = testTracker({ baselineSamples: 2 })
    const names = Array.from({ length: 12 }, (_, i) => `op${String(i).padStart(2, '0')}`)
    for (const name of names) {
      tracker.record(name, 1)
      tracker.record(name, 1)
    }
    tracker.record('op00', 5) // the line of its own
    names.forEach((name, i) => {
      for (let k = 0; k <= i; k++) tracker.record(name, 5) // op11 has 12 calls, op00 1
    })
    clock.advance(10_000)
    tracker.record('op11', 5)
    const summary = lines.filter((l) => l.level === WARN)[1]
    expect(Object.keys(summary?.operations as object).sort()).toEqual(names)
    expect(summary?.msg).toMatch(/^Slow calls in the last 10\.0s: op11 13 \(max 5\.0ms, /)
    expect(summary?.msg).toMatch(/, op02 3 \(max 5\.0ms, baseline p95 1\.0ms\), and 2 more$/)
    expect(summary?.msg).not.toMatch(/op0[01] /)
  })

  it('keep the issue’s three healthy operations to one line per interval', () => {
    const { tracker, clock, lines } = testTracker()
    const operations: Array<[string, () => number]> = [
      ['orders.load', logNormal(1, 10)],
      ['prices.get', logNormal(2, 0.3)],
      ['render', logNormal(3, 50)],
    ]
    const linesAtMs: number[] = []
    // one call of each every 10 ms for two minutes: about 5 % of them above p95 after learning
    for (let t = 0; t < 120_000; t += 10) {
      clock.advance(10)
      for (const [name, draw] of operations) tracker.record(name, draw())
      const count = lines.filter((l) => /^Slow call/.test(l.msg)).length
      if (count > linesAtMs.length) linesAtMs.push(clock())
    }
    const flagged = tracker.getSystemSummary().slowSamples
    expect(flagged).toBeGreaterThan(1000)
    // about 1,800 slow calls (3 x 12,000 calls), at most one line every 10 s: 12 in two minutes
    expect(linesAtMs.length).toBeGreaterThanOrEqual(11)
    expect(linesAtMs.length).toBeLessThanOrEqual(12)
    for (let i = 1; i < linesAtMs.length; i++) {
      expect((linesAtMs[i] as number) - (linesAtMs[i - 1] as number)).toBeGreaterThanOrEqual(10_000)
    }
  })
})

describe('the detection tolerance', () => {
  it('keeps slow calls within detectionToleranceMs of the threshold out of the lines, not the counts', () => {
    const { tracker, slowLines } = setup()
    // 0.12 ms is 71.45 µs above cache.get's threshold (48.55 µs): within the default 0.1 ms
    for (let i = 0; i < 50; i++) tracker.record('cache.get', 0.12)
    expect(slowLines()).toHaveLength(0)
    expect(tracker.getOperationStats('cache.get')?.degradedCount).toBe(50)
    tracker.record('cache.get', 0.2) // 151 µs above: logged, in µs
    expect(slowLines()).toEqual([
      expect.objectContaining({
        event: 'slow-call',
        operation: 'cache.get',
        durationMs: 0.2,
        msg: 'Slow call of cache.get: 200µs (baseline p95 49µs)',
      }),
    ])
  })

  it('is the tracker’s detectionToleranceMs option', () => {
    const { tracker, slowLines } = setup({ detectionToleranceMs: 0 })
    tracker.record('cache.get', 0.0495)
    expect(slowLines()[0]?.msg).toBe('Slow call of cache.get: 50µs (baseline p95 49µs)')
  })

  it('leaves calls within it out of a summary too', () => {
    const { tracker, clock, slowLines } = setup()
    tracker.record('db.query', 250)
    tracker.record('db.query', 98.6) // 50 µs above p95 (98.55)
    tracker.record('db.query', 120)
    clock.advance(10_000)
    tracker.record('db.query', 130)
    expect(slowLines()[1]).toMatchObject({ slowCalls: 2, operations: { 'db.query': {} } })
    expect(tracker.getOperationStats('db.query')?.degradedCount).toBe(4)
  })
})

describe('slow calls held back', () => {
  it('are written when the tracker closes', async () => {
    const { tracker, clock, slowLines } = setup()
    tracker.record('db.query', 250)
    clock.advance(2500)
    tracker.record('db.query', 800)
    tracker.record('cache.get', 0.5)
    await tracker.close()
    expect(slowLines().map((l) => l.msg)).toEqual([
      'Slow call of db.query: 250ms (baseline p95 99ms)',
      'Slow calls in the last 2.5s: db.query 1 (max 800ms, baseline p95 99ms), ' +
        'cache.get 1 (max 500µs, baseline p95 49µs)',
    ])
    expect(slowLines()[1]).toMatchObject({ intervalMs: 2500, slowCalls: 2 })
  })

  it('are written once: close() after a summary writes nothing more', async () => {
    const { tracker, clock, slowLines } = setup()
    tracker.record('db.query', 250)
    tracker.record('db.query', 260)
    clock.advance(10_000)
    tracker.record('db.query', 270)
    await tracker.close()
    expect(slowLines().map((l) => l.event)).toEqual(['slow-call', 'slow-calls'])
  })
})

describe('warningIntervalMs: 0', () => {
  it('turns the lines off while counting goes on', async () => {
    const { tracker, clock, slowLines } = setup({ warningIntervalMs: 0 })
    for (let i = 0; i < 10; i++) {
      clock.advance(5000)
      tracker.record('db.query', 500)
      tracker.record('cache.get', 5)
    }
    await tracker.close()
    expect(slowLines()).toHaveLength(0)
    expect(tracker.getOperationStats('db.query')?.degradedCount).toBe(10)
    expect(tracker.getOperationStats('cache.get')?.degradedCount).toBe(10)
  })
})

describe('during a sustained degradation', () => {
  it('folds the operation’s slow calls into the incident, also those held before it', async () => {
    const { tracker, clock, lines } = testTracker()
    const draw = logNormal(1)
    const feed = (count: number, factor: number) => {
      for (let i = 0; i < count; i++) {
        clock.advance(1)
        tracker.record('db.query', factor * draw())
      }
    }
    // render: a baseline of 100 samples, p95 19 ms
    for (let i = 0; i < 10; i++) {
      for (const d of BASELINES.render as number[]) tracker.record('render', d)
    }
    feed(1000, 1)
    clock.advance(60_000)
    const before = lines.length
    feed(300, 3) // slow: one line, then held calls, then the detector raises
    expect(tracker.getOperationState('db.query')).toBe('degraded')
    await nextTurn()
    const events = lines.slice(before).map((l) => l.event)
    expect(events.filter((e) => e === 'slow-call' || e === 'slow-calls')).toHaveLength(1)
    expect(events).toContain('degradation')
    clock.advance(60_000)
    const during = lines.length
    feed(3000, 3)
    expect(tracker.getOperationState('db.query')).toBe('degraded')
    expect(lines.slice(during)).toEqual([])
    tracker.record('render', 25) // another operation's slow call: the held db.query calls are not listed
    const summary = lines.at(-1)
    expect(summary).toMatchObject({
      event: 'slow-calls',
      slowCalls: 1,
      operations: { render: { slowCalls: 1 } },
    })
    expect(summary?.operations).not.toHaveProperty('db.query')
    expect(tracker.getOperationStats('db.query')?.degradedCount).toBeGreaterThan(1000)
  })
})

describe('failures', () => {
  it('never reach the caller: a metadata getter that throws is counted, and the next line is written', () => {
    const { tracker, clock, slowLines } = setup()
    const metadata = {
      get table(): string {
        throw new Error('getter broke')
      },
    }
    tracker.record('db.query', 250)
    expect(() => tracker.record('db.query', 260, { metadata })).not.toThrow()
    clock.advance(10_000)
    expect(() => tracker.record('db.query', 255)).not.toThrow() // the summary reads the getter
    expect(tracker.getSystemSummary().internalErrors).toBe(1)
    clock.advance(10_000)
    tracker.record('render', 25)
    expect(slowLines().map((l) => l.event)).toEqual(['slow-call', 'slow-call'])
  })
})
