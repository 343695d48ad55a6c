import { describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  InvalidDurationError,
  InvalidOptionError,
  OVERFLOW_OPERATION,
  PerformanceTracker,
  type TrackerOptions,
  UnknownTimerError,
} from '../src/index.js'
import { ERROR, INFO, logSink, WARN } from './helpers/log-sink.js'
import { thrownBy } from './helpers/thrown.js'
import { nextTurn, testTracker } from './helpers/tracker.js'

const tracker = testTracker

describe('options', () => {
  it.each([
    [{ windowSize: 0 }, 'windowSize'],
    [{ windowSize: 1.5 }, 'windowSize'],
    [{ windowSize: Number.POSITIVE_INFINITY }, 'windowSize'],
    [{ baselineSamples: 1 }, 'baselineSamples'],
    [{ windowSize: 50, baselineSamples: 51 }, 'baselineSamples'],
    [{ stdDevThreshold: Number.NaN }, 'stdDevThreshold'],
    [{ stdDevThreshold: -1 }, 'stdDevThreshold'],
    [{ storagePath: '' }, 'storagePath'],
    [{ clock: 5 }, 'clock'],
    [{ enabled: 'yes' }, 'enabled'],
    [{ logger: {} }, 'logger'],
    [{ maxOpenTimers: 0 }, 'maxOpenTimers'],
    [{ detectionSamples: 499 }, 'detectionSamples'],
    [{ baselinePolicy: 'sliding' }, 'baselinePolicy'],
    [{ windowSize: 2000, refreshSamples: 1000 }, 'refreshSamples'],
    [{ maxBaselineChange: 0 }, 'maxBaselineChange'],
    [{ detectionToleranceMs: -0.1 }, 'detectionToleranceMs'],
    [{ warningIntervalMs: -1 }, 'warningIntervalMs'],
    [{ windowSize: null }, 'windowSize'], // only undefined means the default
    [{ enabled: null }, 'enabled'],
  ])('rejects %o with a RangeError naming %s', (options, name) => {
    const create = () => new PerformanceTracker(options as TrackerOptions)
    expect(create).toThrow(RangeError)
    expect(create).toThrow(InvalidOptionError)
    expect(create).toThrow(new RegExp(`^${name} must be`))
    expect(thrownBy(create)).toMatchObject({ option: name, code: 'PERFWATCH_INVALID_OPTION' })
  })

  it('says what it got', () => {
    expect(() => new PerformanceTracker({ windowSize: 0, storagePath: null })).toThrow(
      'windowSize must be an integer >= 2, got 0',
    )
  })
})

describe('record', () => {
  it('rejects bad durations and names with clear errors and records nothing', () => {
    const { tracker: t } = tracker()
    t.record('op', 5)
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1, '5' as unknown as number]) {
      expect(() => t.record('op', bad)).toThrow(InvalidDurationError)
      expect(() => t.record('op', bad)).toThrow(RangeError)
    }
    expect(() => t.record('op', Number.NaN)).toThrow(
      /durationMs for "op" must be a number in \[0, 1e12\)/,
    )
    expect(() => t.record('', 5)).toThrow(TypeError)
    expect(() => t.record('', 5)).toThrow(InvalidArgumentError)
    expect(() => t.record('op', 5, { success: 'no' as unknown as boolean })).toThrow(TypeError)
    expect(t.getOperationStats('op')?.totalCount).toBe(1)
    expect(t.getSystemSummary().trackedOperations).toEqual(['op'])
  })

  it('computes success and error rates over the window', () => {
    const { tracker: t } = tracker()
    t.record('op', 1)
    t.record('op', 2)
    t.record('op', 3)
    t.record('op', 4, { success: false })
    const stats = t.getOperationStats('op')
    expect(stats?.successRate).toBe(0.75)
    expect(stats?.errorRate).toBe(0.25)
    t.record('op', 0, { success: false }) // a 0 ms failure is still a failure
    expect(t.getOperationStats('op')).toMatchObject({ errorRate: 0.4, recentMin: 0 })
  })

  it('keeps a rolling window of the last windowSize samples', () => {
    const { tracker: t } = tracker({ windowSize: 3, baselineSamples: 3 })
    for (const d of [100, 1, 2, 3]) t.record('op', d, { success: false })
    const stats = t.getOperationStats('op')
    expect(stats).toMatchObject({ sampleCount: 3, totalCount: 4, recentMax: 3, recentMin: 1 })
    expect(stats?.recentMean).toBe(2)
  })

  it('answers undefined for unknown operations and JSON-serialisable stats otherwise', () => {
    const { tracker: t } = tracker()
    expect(t.getOperationStats('nope')).toBeUndefined()
    t.record('op', 2)
    const stats = t.getOperationStats('op')
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats)
    expect(Object.getPrototypeOf(stats)).toBe(Object.prototype)
  })
})

describe('samplesSince', () => {
  it("gives each operation's samples since the cursor's previous read, failures counted", () => {
    const { tracker } = testTracker()
    const cursor = new Map<string, number>()
    tracker.record('a', 1)
    tracker.record('a', 2, { success: false })
    tracker.record('b', 0, { success: false })
    const first = tracker.samplesSince(cursor)
    expect(first.map((b) => [b.operation, b.count, [...b.durationsMs], b.failures])).toEqual([
      ['a', 2, [1, 2], 1],
      ['b', 1, [0], 1],
    ])
    expect(Object.is(first[1]?.durationsMs[0], 0)).toBe(true) // a 0 ms failure reads as 0, not -0
    expect(tracker.samplesSince(cursor)).toEqual([])
    tracker.record('b', 3)
    expect(tracker.samplesSince(cursor).map((b) => [b.operation, [...b.durationsMs]])).toEqual([
      ['b', [3]],
    ])
    // Another cursor reads everything again.
    expect(tracker.samplesSince(new Map()).map((b) => b.count)).toEqual([2, 2])
  })

  it('counts the samples beyond the window and returns the newest windowSize, oldest first', () => {
    const { tracker } = testTracker({ windowSize: 4, baselineSamples: 4 })
    const cursor = new Map<string, number>()
    for (let i = 1; i <= 6; i++) tracker.record('a', i)
    expect(tracker.samplesSince(cursor)[0]).toMatchObject({ count: 6, failures: 0 })
    for (let i = 7; i <= 9; i++) tracker.record('a', i)
    const [batch] = tracker.samplesSince(cursor)
    expect(batch?.count).toBe(3)
    expect([...(batch?.durationsMs ?? [])]).toEqual([7, 8, 9])
    for (let i = 10; i <= 20; i++) tracker.record('a', i)
    expect([...(tracker.samplesSince(cursor)[0]?.durationsMs ?? [])]).toEqual([17, 18, 19, 20])
  })

  it('takes a Map as its cursor', () => {
    const { tracker } = testTracker()
    expect(() => tracker.samplesSince({} as never)).toThrow(InvalidArgumentError)
  })
})

describe('baselines', () => {
  it('builds the baseline on exactly the baselineSamples-th success, failures excluded', async () => {
    const { tracker: t, lines } = tracker({ baselineSamples: 5 })
    for (const d of [1, 2, 3]) t.record('op', d)
    t.record('op', 500, { success: false })
    t.record('op', 4)
    expect(t.getOperationStats('op')?.baseline).toBeUndefined()
    t.record('op', 100)
    const baseline = t.getOperationStats('op')?.baseline
    expect(baseline).toMatchObject({ operation: 'op', p50: 3, p75: 4, sampleCount: 5 })
    expect(baseline?.p95).toBeCloseTo(80.8, 10) // h = 4 * 0.95 = 3.8 → 4 + 0.8 * 96
    expect(new Date(baseline?.establishedAt ?? '').toISOString()).toBe(baseline?.establishedAt)
    await nextTurn() // the line is logged after the call
    expect(lines.filter((l) => l.level === INFO).map((l) => l.msg)).toEqual([
      'Baseline established for op: p50 3.0ms, p95 81ms over 5 samples',
    ])
  })

  it('checks the very next sample against the new baseline, before the event loop turns', () => {
    const { tracker: t, lines } = tracker({ baselineSamples: 5 })
    for (const d of [1, 2, 3, 4, 100]) t.record('op', d)
    t.record('op', 250)
    expect(t.getOperationStats('op')?.degradedCount).toBe(1)
    expect(lines.filter((l) => l.level === WARN)).toHaveLength(1)
  })

  it('counts a sample as slow only strictly above the threshold', () => {
    const { tracker: t } = tracker({ baselineSamples: 5 })
    for (const d of [1, 2, 3, 4, 100]) t.record('op', d) // p95 80.8, mean + 2 sd about 109
    const threshold = t.getOperationStats('op')?.baseline?.p95 as number
    expect(threshold).toBeCloseTo(80.8, 10)
    t.record('op', threshold)
    expect(t.getOperationStats('op')?.degradedCount).toBe(0)
    t.record('op', threshold + 1e-9)
    expect(t.getOperationStats('op')?.degradedCount).toBe(1)
  })

  it('logs a structured slow-call line for a degraded sample', () => {
    const { tracker: t, lines } = tracker({ baselineSamples: 10 })
    for (let i = 0; i < 10; i++) t.record('db.query', 90 + i) // p95 98.55 (h = 8.55), mean 94.5
    t.record('db.query', 250, { metadata: { table: 'orders' } })
    const warning = lines.find((l) => l.level === WARN)
    expect(warning).toMatchObject({
      operation: 'db.query',
      durationMs: 250,
      baselineP95: 98.55,
      baselineMean: 94.5,
      rule: 'p95',
      metadata: { table: 'orders' },
      event: 'slow-call',
      msg: 'Slow call of db.query: 250ms (baseline p95 99ms)',
    })
    expect(warning?.baselineStdDev).toBeCloseTo(3.0277, 3)
  })

  it('counts degraded samples per operation and for the system', () => {
    const { tracker: t } = tracker({ baselineSamples: 10 })
    for (let i = 0; i < 10; i++) t.record('a', 10 + i)
    for (let i = 0; i < 10; i++) t.record('b', 10 + i)
    t.record('a', 100)
    t.record('a', 5)
    t.record('b', 100)
    t.record('b', 100, { success: false }) // failures are never "degraded"
    expect(t.getOperationStats('a')).toMatchObject({ degradedCount: 1, degradationRate: 0.5 })
    const summary = t.getSystemSummary()
    expect(summary).toMatchObject({
      totalSamples: 24,
      slowSamples: 2,
      trackedOperations: ['a', 'b'],
    })
    // The Python tracker's names, kept as aliases: counts of samples too.
    expect(summary.totalOperations).toBe(24)
    expect(summary.degradedOperations).toBe(2)
    expect(summary.operations.b?.degradedCount).toBe(1)
    expect(summary.systemDegradationRate).toBeCloseTo(2 / 3, 12) // a: 1 of 2, b: 1 of 1 checked
  })

  it('reports the share of operations with a baseline and the baseline changes since start', () => {
    const { tracker: t } = tracker({ baselineSamples: 10 })
    expect(t.getSystemSummary()).toMatchObject({
      baselineCoverage: 0,
      systemDegradationRate: 0,
      baselineChanges: 0,
    })
    for (let i = 0; i < 10; i++) t.record('a', 10 + i) // established
    t.record('b', 10) // still learning
    for (const ms of [100, 5, 5, 5]) t.record('a', ms) // 1 of 4 checked samples slow
    expect(t.getSystemSummary()).toMatchObject({
      baselineCoverage: 0.5,
      systemDegradationRate: 0.25,
      baselineChanges: 1,
    })
    t.resetBaseline('a')
    expect(t.getSystemSummary()).toMatchObject({ baselineCoverage: 0, baselineChanges: 2 })
  })
})

describe('startOperation / endOperation', () => {
  it('returns the duration from the clock and records it', () => {
    const { tracker: t, clock } = tracker()
    const id = t.startOperation('op', { user: 1 })
    expect(typeof id).toBe('string')
    clock.advance(12.5)
    expect(t.endOperation(id)).toBe(12.5)
    expect(t.getOperationStats('op')?.recentMean).toBe(12.5)
  })

  it('records failures', () => {
    const { tracker: t } = tracker()
    t.endOperation(t.startOperation('op'), { success: false })
    expect(t.getOperationStats('op')?.errorRate).toBe(1)
  })

  it('throws UnknownTimerError for unknown and already-ended ids', () => {
    const { tracker: t } = tracker()
    const id = t.startOperation('op')
    t.endOperation(id)
    expect(() => t.endOperation(id)).toThrow(UnknownTimerError)
    expect(() => t.endOperation(id)).toThrow(/No active timer/)
    expect(() => t.endOperation('nope')).toThrow(/No active timer "nope"/)
    expect(() => t.endOperation('5')).toThrow(UnknownTimerError) // a free slot's number
    expect(thrownBy(() => t.endOperation('nope'))).toMatchObject({
      code: 'PERFWATCH_UNKNOWN_TIMER',
    })
    expect(t.getOperationStats('op')?.totalCount).toBe(1)
  })

  it('keeps a timer open when endOperation is given bad options', () => {
    const { tracker: t } = tracker()
    const id = t.startOperation('op')
    expect(() => t.endOperation(id, { success: 1 as unknown as boolean })).toThrow(TypeError)
    expect(t.endOperation(id)).toBe(0)
  })

  it('evicts the oldest timer past maxOpenTimers, with one warning', () => {
    const { tracker: t, lines } = tracker({ maxOpenTimers: 3 })
    const ids = Array.from({ length: 5 }, () => t.startOperation('op'))
    expect(() => t.endOperation(ids[0] as string)).toThrow(UnknownTimerError)
    expect(() => t.endOperation(ids[1] as string)).toThrow(UnknownTimerError)
    for (const id of ids.slice(2)) t.endOperation(id)
    const warnings = lines.filter((l) => l.level === WARN)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.msg).toMatch(/3 open timers/)
    expect(warnings[0]?.code).toBe('PERFWATCH_TIMERS_EVICTED')
  })

  it('includes start and end metadata in degradation warnings', () => {
    const { tracker: t, clock, lines } = tracker({ baselineSamples: 2 })
    t.record('op', 1)
    t.record('op', 1)
    const id = t.startOperation('op', { a: 1 })
    clock.advance(10)
    t.endOperation(id, { metadata: { b: 2 } })
    expect(lines.find((l) => l.level === WARN)?.metadata).toEqual({ a: 1, b: 2 })
  })
})

describe('wrap', () => {
  it('times sync calls and keeps this, arguments, return value, name and length', () => {
    const { tracker: t, clock } = tracker()
    const target = {
      base: 10,
      add(a: number, b: number) {
        clock.advance(3)
        return this.base + a + b
      },
    }
    const timed = t.wrap('add', target.add)
    expect(timed.call(target, 1, 2)).toBe(13)
    expect(timed.name).toBe('add')
    expect(timed.length).toBe(2)
    expect(t.getOperationStats('add')).toMatchObject({ sampleCount: 1, recentMean: 3 })
  })

  it('re-throws the same error and records a failure', () => {
    const { tracker: t } = tracker()
    const error = new Error('boom')
    const timed = t.wrap('fail', () => {
      throw error
    })
    expect(() => timed()).toThrow(error)
    expect(t.getOperationStats('fail')?.errorRate).toBe(1)
  })

  it('times promises until they settle', async () => {
    const { tracker: t, clock } = tracker()
    let resolve: (value: string) => void = () => undefined
    const timed = t.wrap('load', () => new Promise<string>((r) => (resolve = r)))
    const pending = timed()
    clock.advance(40)
    resolve('done')
    await expect(pending).resolves.toBe('done')
    expect(t.getOperationStats('load')).toMatchObject({ recentMean: 40, successRate: 1 })
  })

  it('records rejections as failures and rejects with the same error', async () => {
    const { tracker: t } = tracker()
    const error = new Error('nope')
    await expect(t.wrap('load', async () => Promise.reject(error))()).rejects.toBe(error)
    expect(t.getOperationStats('load')?.errorRate).toBe(1)
  })

  it('times a thenable until it settles; a throwing then counts as a failure', async () => {
    const { tracker: t } = tracker()
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise, on purpose
    const thenable = { then: (ok: (v: number) => void) => ok(7) }
    expect(await t.wrap('thenable', () => thenable)()).toBe(7)
    const error = new Error('then threw')
    const broken = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise, on purpose
      then: () => {
        throw error
      },
    }
    await expect(t.wrap('thenable', () => broken)()).rejects.toBe(error)
    expect(t.getOperationStats('thenable')).toMatchObject({ totalCount: 2, errorRate: 0.5 })
  })

  it('rejects a missing name or function', () => {
    const { tracker: t } = tracker()
    expect(() => t.wrap('', () => 1)).toThrow(InvalidArgumentError)
    expect(() => t.wrap('x', 5 as unknown as () => void)).toThrow(/fn must be a function/)
  })

  it('measures a real sleep accurately', async () => {
    const t = new PerformanceTracker({ storagePath: null, logger: logSink().logger })
    const sleep = t.wrap('sleep', () => new Promise((r) => setTimeout(r, 50)))
    await sleep()
    const mean = t.getOperationStats('sleep')?.recentMean ?? 0
    expect(mean).toBeGreaterThanOrEqual(49) // timers may fire up to 1 ms early in Node
    expect(mean).toBeLessThan(1000)
  })
})

describe('enabled: false', () => {
  it('makes wrap return the function itself and records nothing, with no clock read', () => {
    const { tracker: t, clock } = tracker({ enabled: false })
    const fn = (a: number) => a * 2
    const wrapped = t.wrap('op', fn)
    expect(wrapped).toBe(fn)
    expect(wrapped(2)).toBe(4)
    t.record('op', 5)
    expect(clock.reads).toBe(0)
    expect(t.getOperationStats('op')).toBeUndefined()
    expect(t.enabled).toBe(false)
  })
})

describe('internal failures', () => {
  it('never break the monitored call: a throwing clock is logged and swallowed', async () => {
    const sink = logSink()
    const t = new PerformanceTracker({
      storagePath: null,
      logger: sink.logger,
      clock: () => {
        throw new Error('clock broke')
      },
    })
    const double = t.wrap('double', (x: number) => x * 2)
    expect(double(21)).toBe(42)
    expect(double(1)).toBe(2)
    await expect(t.wrap('async', async () => 'ok')()).resolves.toBe('ok')
    const errors = sink.lines.filter((l) => l.level === ERROR)
    expect(errors).toHaveLength(1) // rate-limited: one line a minute
    expect(errors[0]?.msg).toMatch(/monitored call was not affected/)
  })
})

describe('operation cap', () => {
  it('records names beyond maxOperations under the overflow operation, warning once', () => {
    const { tracker: t, lines } = tracker({ maxOperations: 2 })
    for (const name of ['a', 'b', 'c', 'd']) t.record(name, 1)
    expect(t.getSystemSummary().trackedOperations).toEqual(['a', 'b', OVERFLOW_OPERATION])
    expect(t.getOperationStats(OVERFLOW_OPERATION)?.totalCount).toBe(2)
    const warnings = lines.filter((l) => l.level === WARN)
    expect(warnings.map((l) => l.code)).toEqual(['PERFWATCH_TOO_MANY_OPERATIONS'])
  })
})
