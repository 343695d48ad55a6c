// Fixed budgets (thresholds) through the public API: the thresholds option, setThresholds,
// getThresholds, recommendThresholds, the threshold lines and events (docs/api.md).
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  InvalidArgumentError,
  InvalidOptionError,
  MIN_ERROR_RATE_SAMPLES,
  type OperationThresholds,
  PerformanceTracker,
  type ThresholdEvent,
  type TrackerOptions,
} from '../src/index.js'
import { faultyClock } from './helpers/clock.js'
import { ERROR, type LogLine, WARN } from './helpers/log-sink.js'
import { seededRandom } from './helpers/random.js'
import { thrownBy } from './helpers/thrown.js'
import { nextTurn, testTracker } from './helpers/tracker.js'

/** A tracker in memory on a manual clock, its threshold lines, and its events when asked. */
function setup(options: TrackerOptions = {}, { listen = false } = {}) {
  const { tracker, clock, lines } = testTracker(options)
  const events: ThresholdEvent[] = []
  if (listen) tracker.on('threshold', (e) => events.push(e))
  const thresholdLines = () => lines.filter((l) => l.event === 'threshold')
  const violations = (name = 'db.query') => tracker.getOperationStats(name)?.thresholdViolations
  return { tracker, clock, lines, events, thresholdLines, violations }
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/

afterEach(() => {
  vi.restoreAllMocks()
})

describe('duration budgets', () => {
  it('counts a call above criticalMs as critical (error line), above warnMs as warning (warn line)', () => {
    const { tracker, thresholdLines, violations } = setup({
      thresholds: { 'db.query': { warnMs: 100, criticalMs: 500 } },
    })
    tracker.record('db.query', 50)
    tracker.record('db.query', 150)
    tracker.record('db.query', 600)
    expect(violations()).toEqual({ warning: 1, critical: 1, errorRate: 0 })
    expect(tracker.getOperationStats('db.query')?.thresholds).toEqual({
      warnMs: 100,
      criticalMs: 500,
    })
    // One limiter per kind: the critical line is not held back behind the warning's.
    expect(thresholdLines()).toEqual([
      expect.objectContaining({
        level: WARN,
        code: 'PERFWATCH_THRESHOLD',
        event: 'threshold',
        operation: 'db.query',
        metric: 'duration',
        severity: 'warning',
        durationMs: 150,
        thresholdMs: 100,
        suppressed: 0,
        msg: 'db.query took 150ms, over its warnMs budget of 100ms (warning)',
      }),
      expect.objectContaining({
        level: ERROR,
        severity: 'critical',
        durationMs: 600,
        thresholdMs: 500,
        msg: 'db.query took 600ms, over its criticalMs budget of 500ms (critical)',
      }),
    ])
  })

  it('treats exactly warnMs and exactly criticalMs as within the budget', () => {
    const { tracker, violations } = setup({
      thresholds: { 'db.query': { warnMs: 100, criticalMs: 500 } },
    })
    tracker.record('db.query', 100)
    expect(violations()).toEqual({ warning: 0, critical: 0, errorRate: 0 })
    tracker.record('db.query', 100.000001)
    tracker.record('db.query', 500) // over warnMs, not over criticalMs
    expect(violations()).toEqual({ warning: 2, critical: 0, errorRate: 0 })
    tracker.record('db.query', 500.000001)
    expect(violations()).toEqual({ warning: 2, critical: 1, errorRate: 0 })
  })

  it('works with one budget of the two', () => {
    const { tracker, violations } = setup({
      thresholds: { a: { warnMs: 10 }, b: { criticalMs: 10 } },
    })
    tracker.record('a', 1000)
    tracker.record('b', 1000)
    tracker.record('b', 5)
    expect(violations('a')).toEqual({ warning: 1, critical: 0, errorRate: 0 })
    expect(violations('b')).toEqual({ warning: 0, critical: 1, errorRate: 0 })
  })

  it('applies from the first call, before any baseline, for wrap and timers too', () => {
    const { tracker, clock, violations } = setup({ thresholds: { 'db.query': { warnMs: 10 } } })
    const slow = tracker.wrap('db.query', () => clock.advance(20))
    slow()
    const timer = tracker.startOperation('db.query')
    clock.advance(30)
    tracker.endOperation(timer)
    expect(tracker.getOperationStats('db.query')?.baseline).toBeUndefined()
    expect(violations()).toEqual({ warning: 2, critical: 0, errorRate: 0 })
  })

  it('leaves failed calls to the error-rate budget', () => {
    const { tracker, violations } = setup({ thresholds: { 'db.query': { warnMs: 10 } } })
    tracker.record('db.query', 5000, { success: false })
    expect(violations()).toEqual({ warning: 0, critical: 0, errorRate: 0 })
  })

  it('counts a call both slow by the baseline and over warnMs in both, each with its line', () => {
    // A constant 10 ms baseline: p95 10, mean + 2 sd 10, so slow above 10 ms.
    const { tracker, lines, violations } = setup({
      baselineSamples: 100,
      thresholds: { 'db.query': { warnMs: 50 } },
    })
    for (let i = 0; i < 100; i++) tracker.record('db.query', 10)
    tracker.record('db.query', 60) // slow and over budget
    tracker.record('db.query', 30) // slow only
    tracker.record('db.query', 50) // slow, and exactly warnMs: within the budget
    expect(tracker.getOperationStats('db.query')?.degradedCount).toBe(3)
    expect(violations()).toEqual({ warning: 1, critical: 0, errorRate: 0 })
    expect(lines.filter((l) => l.level >= WARN).map((l) => l.event)).toEqual([
      'slow-call',
      'threshold',
    ])
  })

  it('counts a call over a budget below the baseline threshold as a violation, not as slow', () => {
    const { tracker, violations } = setup({
      baselineSamples: 100,
      thresholds: { 'db.query': { warnMs: 5 } },
    })
    for (let i = 0; i < 100; i++) tracker.record('db.query', 10) // 100 warnings while learning
    expect(violations()).toEqual({ warning: 100, critical: 0, errorRate: 0 })
    tracker.record('db.query', 7)
    tracker.record('db.query', 10) // exactly the baseline threshold: over the budget, not slow
    expect(tracker.getOperationStats('db.query')?.degradedCount).toBe(0)
    expect(violations()).toEqual({ warning: 102, critical: 0, errorRate: 0 })
  })
})

describe('the error-rate budget', () => {
  it(`applies from ${MIN_ERROR_RATE_SAMPLES} samples in the window, strictly above maxErrorRate`, () => {
    const { tracker, thresholdLines, violations } = setup({
      thresholds: { 'db.query': { maxErrorRate: 0.1 } },
    })
    tracker.record('db.query', 5)
    tracker.record('db.query', 5)
    tracker.record('db.query', 5, { success: false }) // 1 of 3: 33 %, but only 3 samples
    expect(violations()?.errorRate).toBe(0)
    for (let i = 0; i < 16; i++) tracker.record('db.query', 5) // 19 samples, 1 failed
    tracker.record('db.query', 5, { success: false }) // 2 of 20: exactly 10 %, not above
    expect(violations()?.errorRate).toBe(0)
    tracker.record('db.query', 5, { success: false }) // 3 of 21: 14.3 %
    expect(violations()).toEqual({ warning: 0, critical: 0, errorRate: 1 })
    expect(thresholdLines()).toEqual([
      expect.objectContaining({
        level: ERROR,
        code: 'PERFWATCH_THRESHOLD',
        operation: 'db.query',
        metric: 'errorRate',
        severity: 'critical',
        errorRate: 3 / 21,
        maxErrorRate: 0.1,
        sampleCount: 21,
        suppressed: 0,
        msg: '14.3% of the last 21 calls of db.query failed, over its maxErrorRate budget of 10.0% (critical)',
      }),
    ])
  })

  it('counts only the failures still in the window', () => {
    const { tracker, violations } = setup({
      windowSize: 20,
      baselineSamples: 20,
      thresholds: { 'db.query': { maxErrorRate: 0.1 } },
    })
    for (let i = 0; i < 3; i++) tracker.record('db.query', 5, { success: false })
    for (let i = 0; i < 20; i++) tracker.record('db.query', 5) // the 3 failures leave the window
    tracker.record('db.query', 5, { success: false }) // 1 of 20: 5 %
    expect(violations()?.errorRate).toBe(0)
    tracker.record('db.query', 5, { success: false }) // 2 of 20
    tracker.record('db.query', 5, { success: false }) // 3 of 20: 15 %
    expect(violations()?.errorRate).toBe(1)
    expect(tracker.getOperationStats('db.query')?.errorRate).toBe(0.15)
  })

  it('drops a failure from the count with the call that pushes it out of the window', () => {
    const { tracker, violations } = setup({
      windowSize: 4,
      baselineSamples: 4,
      thresholds: { 'db.query': { maxErrorRate: 0.25 } },
    })
    tracker.record('db.query', 5, { success: false }) // #1
    for (let i = 0; i < 3; i++) tracker.record('db.query', 5) // #2-#4: 1 of 4, the window full
    tracker.record('db.query', 5, { success: false }) // #5 pushes #1 out: 1 of 4 again, 25 %
    expect(tracker.getOperationStats('db.query')?.errorRate).toBe(0.25)
    expect(violations()?.errorRate).toBe(0)
    tracker.record('db.query', 5, { success: false }) // #6: #5 and #6 of #3-#6, 50 %
    expect(violations()?.errorRate).toBe(1)
  })

  it('counts the failures among the last windowSize calls, through many turns of the window and budget changes', () => {
    // A naive count over the whole history as the reference: a failure is a violation when the
    // window is full and its share of failures is above maxErrorRate. The budgets change every
    // 37 calls, so the failures already in the window are counted afresh at every window position.
    const windowSize = 7
    const { tracker, violations } = setup({ windowSize, baselineSamples: windowSize })
    const random = seededRandom(12)
    const budgets: Array<OperationThresholds | null> = [
      { maxErrorRate: 0.4 },
      { warnMs: 1000 }, // no error-rate budget any more
      { maxErrorRate: 0.2 },
      null,
      { maxErrorRate: 0.5, warnMs: 1000 },
    ]
    const failed: boolean[] = []
    let maxErrorRate: number | undefined
    let expected = 0
    const wanted: number[] = []
    const got: Array<number | undefined> = []
    for (let i = 0; i < 400; i++) {
      if (i % 37 === 10) {
        const next = budgets[Math.floor(i / 37) % budgets.length] as OperationThresholds | null
        tracker.setThresholds('db.query', next)
        maxErrorRate = next?.maxErrorRate
      }
      const isFailure = random() < 0.4
      tracker.record('db.query', 5, { success: !isFailure })
      failed.push(isFailure)
      if (isFailure && maxErrorRate !== undefined && failed.length >= windowSize) {
        const inWindow = failed.slice(-windowSize).filter(Boolean).length
        if (inWindow / windowSize > maxErrorRate) expected++
      }
      wanted.push(expected)
      got.push(violations()?.errorRate)
    }
    expect(expected).toBeGreaterThan(50)
    expect(got).toEqual(wanted)
  })

  it('counts from the window as it is when set at run time, a failure about to leave it included', () => {
    const { tracker, violations } = setup({ windowSize: 20, baselineSamples: 20 })
    tracker.record('db.query', 5, { success: false }) // #1, the oldest of a full window of 20
    for (let i = 0; i < 19; i++) tracker.record('db.query', 5)
    tracker.setThresholds('db.query', { maxErrorRate: 0.05 })
    tracker.record('db.query', 5, { success: false }) // #21 pushes #1 out: 1 of 20, 5 %
    expect(violations()?.errorRate).toBe(0)
    tracker.record('db.query', 5, { success: false }) // 2 of 20
    expect(violations()?.errorRate).toBe(1)
  })

  it('stops when maxErrorRate is removed, the other budgets staying', () => {
    const { tracker, violations } = setup({ thresholds: { 'db.query': { maxErrorRate: 0 } } })
    for (let i = 0; i < 19; i++) tracker.record('db.query', 5)
    tracker.record('db.query', 5, { success: false })
    expect(violations()?.errorRate).toBe(1)
    tracker.setThresholds('db.query', { warnMs: 1000 })
    tracker.record('db.query', 5, { success: false })
    tracker.setThresholds('db.query', null)
    tracker.record('db.query', 5, { success: false })
    expect(violations()?.errorRate).toBe(1)
  })

  it('needs only a full window when windowSize is below the minimum', () => {
    const { tracker, violations } = setup({
      windowSize: 4,
      baselineSamples: 4,
      thresholds: { 'db.query': { maxErrorRate: 0.5 } },
    })
    tracker.record('db.query', 5, { success: false })
    tracker.record('db.query', 5, { success: false })
    tracker.record('db.query', 5, { success: false }) // 3 of 3, window not full
    expect(violations()?.errorRate).toBe(0)
    tracker.record('db.query', 5, { success: false }) // 4 of 4
    expect(violations()?.errorRate).toBe(1)
  })

  it('counts the failures already in the window when set at run time', () => {
    const { tracker, violations } = setup()
    for (let i = 0; i < 18; i++) tracker.record('db.query', 5)
    for (let i = 0; i < 3; i++) tracker.record('db.query', 5, { success: false })
    tracker.setThresholds('db.query', { maxErrorRate: 0.1 })
    tracker.record('db.query', 5, { success: false }) // 4 of 22
    expect(violations()?.errorRate).toBe(1)
  })

  it('makes every failure a violation at maxErrorRate 0, once the window holds enough samples', () => {
    const { tracker, violations } = setup({ thresholds: { 'db.query': { maxErrorRate: 0 } } })
    for (let i = 0; i < 19; i++) tracker.record('db.query', 5)
    tracker.record('db.query', 5, { success: false })
    tracker.record('db.query', 5, { success: false })
    expect(violations()?.errorRate).toBe(2)
  })
})

describe('threshold lines', () => {
  it('writes one line per operation and kind per warningIntervalMs, counting the ones held back', () => {
    const { tracker, clock, thresholdLines, violations } = setup({
      warningIntervalMs: 1000,
      thresholds: { 'db.query': { warnMs: 10 }, other: { warnMs: 10 } },
    })
    tracker.record('db.query', 20)
    clock.advance(999)
    tracker.record('db.query', 30) // held back
    tracker.record('other', 30) // another operation: its own line
    expect(violations()?.warning).toBe(2)
    expect(thresholdLines().map((l) => [l.operation, l.durationMs])).toEqual([
      ['db.query', 20],
      ['other', 30],
    ])
    clock.advance(1)
    tracker.record('db.query', 40)
    const last = thresholdLines().at(-1) as LogLine
    expect(last).toMatchObject({ operation: 'db.query', durationMs: 40, suppressed: 1 })
    expect(last.msg).toBe(
      'db.query took 40ms, over its warnMs budget of 10ms (warning); 1 more warning violation ' +
        'since the last line',
    )
    expect(violations()?.warning).toBe(3)
  })

  it('hold back error-rate lines as well, counting them in the next one', () => {
    const { tracker, clock, thresholdLines, violations } = setup({
      warningIntervalMs: 1000,
      thresholds: { 'db.query': { maxErrorRate: 0 } },
    })
    for (let i = 0; i < 19; i++) tracker.record('db.query', 5)
    for (let i = 0; i < 3; i++) tracker.record('db.query', 5, { success: false }) // 2 held back
    clock.advance(1000)
    tracker.record('db.query', 5, { success: false })
    expect(violations()?.errorRate).toBe(4)
    expect(thresholdLines().map((l) => [l.level, l.suppressed, l.sampleCount])).toEqual([
      [ERROR, 0, 20],
      [ERROR, 2, 23],
    ])
    expect(thresholdLines()[1]?.msg).toBe(
      '17.4% of the last 23 calls of db.query failed, over its maxErrorRate budget of 0.0% ' +
        '(critical); 2 more error-rate violations since the last line',
    )
  })

  it('are not built for a level the logger turned off (isLevelEnabled)', () => {
    const calls: string[] = []
    const enabled = new Set(['info', 'warn', 'error'])
    const logger = {
      info: () => undefined,
      warn: (_: object, message: string) => calls.push(`warn: ${message}`),
      error: (_: object, message: string) => calls.push(`error: ${message}`),
      isLevelEnabled: (level: string) => enabled.has(level),
    }
    const { tracker, clock } = setup({
      logger,
      warningIntervalMs: 1000,
      thresholds: { 'db.query': { warnMs: 10, criticalMs: 100, maxErrorRate: 0 } },
    })
    enabled.delete('warn')
    for (let i = 0; i < 19; i++) tracker.record('db.query', 5)
    tracker.record('db.query', 20) // warning: warn is off
    tracker.record('db.query', 200) // critical: error is on
    expect(calls).toEqual([
      'error: db.query took 200ms, over its criticalMs budget of 100ms (critical)',
    ])
    enabled.add('warn')
    enabled.delete('error')
    clock.advance(1000)
    tracker.record('db.query', 200)
    tracker.record('db.query', 5, { success: false })
    expect(calls).toHaveLength(1)
    expect(tracker.getOperationStats('db.query')?.thresholdViolations).toEqual({
      warning: 1,
      critical: 2,
      errorRate: 1,
    })
  })

  it('are limited by the time the call ended, not by a later reading of the clock', () => {
    // The clock reads 0 at the end of the call, then fails: the line goes out all the same.
    const clock = faultyClock(0)
    const { tracker, thresholdLines } = setup({
      clock,
      warningIntervalMs: 1000,
      thresholds: { 'db.query': { warnMs: 10 } },
    })
    tracker.record('db.query', 5)
    clock.failNext('throw', 1) // the reading after the call's end reading
    tracker.record('db.query', 20)
    expect(thresholdLines()).toEqual([expect.objectContaining({ durationMs: 20, suppressed: 0 })])
  })

  it('are limited by a fresh reading when the clock failed at the end of the call', () => {
    const clock = faultyClock()
    const { tracker, lines, thresholdLines, violations } = setup({
      clock,
      warningIntervalMs: 1000,
      thresholds: { 'db.query': { warnMs: 10 } },
    })
    tracker.record('db.query', 5)
    clock.failNext('throw') // the call's end reading
    tracker.record('db.query', 20)
    expect(violations()?.warning).toBe(1)
    expect(thresholdLines()).toEqual([expect.objectContaining({ durationMs: 20, suppressed: 0 })])
    expect(lines.filter((l) => l.code === 'PERFWATCH_INTERNAL_ERROR')).toHaveLength(1)
  })

  it('count a failure while building one as an internal error, and recording goes on', () => {
    vi.spyOn(Date.prototype, 'toISOString').mockImplementation(() => {
      throw new Error('no date')
    })
    const { tracker, lines, violations } = setup(
      { thresholds: { 'db.query': { warnMs: 10, maxErrorRate: 0 } } },
      { listen: true },
    )
    for (let i = 0; i < 19; i++) tracker.record('db.query', 5)
    tracker.record('db.query', 20)
    tracker.record('db.query', 5, { success: false })
    expect(violations()).toEqual({ warning: 1, critical: 0, errorRate: 1 })
    expect(tracker.getSystemSummary().internalErrors).toBe(2)
    expect(lines.filter((l) => l.code === 'PERFWATCH_INTERNAL_ERROR')).toEqual([
      expect.objectContaining({
        level: ERROR,
        err: expect.objectContaining({ message: 'no date' }),
      }),
    ])
  })

  it('are off with warningIntervalMs 0, while counts and events go on', async () => {
    const { tracker, events, thresholdLines, violations } = setup(
      { warningIntervalMs: 0, thresholds: { 'db.query': { warnMs: 10 } } },
      { listen: true },
    )
    tracker.record('db.query', 20)
    await nextTurn()
    expect(thresholdLines()).toEqual([])
    expect(violations()?.warning).toBe(1)
    expect(events).toHaveLength(1)
  })
})

describe('threshold events', () => {
  it('are built only when someone listens', () => {
    const toISOString = vi.spyOn(Date.prototype, 'toISOString')
    const { tracker } = setup({ thresholds: { 'db.query': { warnMs: 10, maxErrorRate: 0 } } })
    for (let i = 0; i < 20; i++) tracker.record('db.query', 20)
    tracker.record('db.query', 5, { success: false })
    expect(toISOString).not.toHaveBeenCalled()
  })

  it('are one per violation, delivered after the call, shaped by metric', async () => {
    const { tracker, events } = setup(
      {
        warningIntervalMs: 60_000,
        thresholds: { 'db.query': { warnMs: 10, criticalMs: 100, maxErrorRate: 0.01 } },
      },
      { listen: true },
    )
    for (let i = 0; i < 19; i++) tracker.record('db.query', 5)
    tracker.record('db.query', 20)
    tracker.record('db.query', 30) // its line is held back, its event is not
    tracker.record('db.query', 200)
    tracker.record('db.query', 5, { success: false })
    expect(events).toEqual([]) // delivered after the call that caused them
    await nextTurn()
    expect(events).toEqual([
      {
        operation: 'db.query',
        metric: 'duration',
        severity: 'warning',
        durationMs: 20,
        thresholdMs: 10,
        at: expect.stringMatching(ISO),
      },
      expect.objectContaining({ severity: 'warning', durationMs: 30 }),
      expect.objectContaining({ severity: 'critical', durationMs: 200, thresholdMs: 100 }),
      {
        operation: 'db.query',
        metric: 'errorRate',
        severity: 'critical',
        errorRate: 1 / 23,
        maxErrorRate: 0.01,
        sampleCount: 23,
        at: expect.stringMatching(ISO),
      },
    ])
  })

  it('keep coming after the first batch was delivered', async () => {
    const { tracker, events } = setup(
      { thresholds: { 'db.query': { warnMs: 10 } } },
      { listen: true },
    )
    tracker.record('db.query', 20)
    await nextTurn()
    tracker.record('db.query', 30)
    tracker.record('db.query', 40)
    await nextTurn()
    expect(events.map((e) => e.metric === 'duration' && e.durationMs)).toEqual([20, 30, 40])
  })

  it('stop with off', async () => {
    const { tracker } = setup({ thresholds: { 'db.query': { warnMs: 10 } } })
    const events: ThresholdEvent[] = []
    const listener = (e: ThresholdEvent) => events.push(e)
    tracker.on('threshold', listener)
    tracker.record('db.query', 20)
    await nextTurn()
    tracker.off('threshold', listener)
    tracker.record('db.query', 20)
    await nextTurn()
    expect(events).toHaveLength(1)
  })
})

describe('setThresholds and getThresholds', () => {
  it('set, replace and remove budgets at run time, for operations not seen yet too', () => {
    const { tracker, violations } = setup()
    tracker.setThresholds('db.query', { warnMs: 10, criticalMs: undefined })
    expect(tracker.getThresholds('db.query')).toStrictEqual({ warnMs: 10 })
    expect(tracker.getOperationStats('db.query')).toBeUndefined() // set before the first call
    tracker.record('db.query', 20)
    tracker.setThresholds('db.query', { warnMs: 30 })
    tracker.record('db.query', 20)
    expect(violations()?.warning).toBe(1)
    tracker.setThresholds('db.query', null)
    expect(tracker.getThresholds('db.query')).toBeUndefined()
    tracker.record('db.query', 5000)
    // Counts are kept when the budgets change or go.
    expect(tracker.getOperationStats('db.query')).toMatchObject({
      thresholds: null,
      thresholdViolations: { warning: 1, critical: 0, errorRate: 0 },
    })
  })

  it('treat an object without budgets as none', () => {
    const { tracker, violations } = setup({ thresholds: { 'db.query': { warnMs: 10 } } })
    tracker.setThresholds('db.query', {})
    expect(tracker.getThresholds('db.query')).toBeUndefined()
    tracker.record('db.query', 20)
    expect(violations()?.warning).toBe(0)
  })

  it('hand out copies, never their own state', () => {
    const { tracker, violations } = setup()
    const mine: OperationThresholds = { warnMs: 10 }
    tracker.setThresholds('db.query', mine)
    mine.warnMs = 1000
    const got = tracker.getThresholds('db.query') as OperationThresholds
    got.warnMs = 1000
    tracker.record('db.query', 20)
    expect(violations()?.warning).toBe(1)
    expect(tracker.getThresholds('db.query')).toEqual({ warnMs: 10 })
  })

  it.each([
    [5, 'thresholds must be an object of warnMs, criticalMs and maxErrorRate, got 5'],
    [[], 'thresholds must be an object of warnMs, criticalMs and maxErrorRate, got an array'],
    [{ warnMS: 10 }, 'thresholds has an unknown key "warnMS": did you mean warnMs?'],
    [
      { timeoutMs: 10 },
      'thresholds has an unknown key "timeoutMs": valid keys are warnMs, criticalMs, maxErrorRate',
    ],
    [{ warnMs: -1 }, 'thresholds.warnMs must be a number of ms in [0, 1e12), got -1'],
    [{ warnMs: Number.NaN }, 'thresholds.warnMs must be a number of ms in [0, 1e12), got NaN'],
    [{ criticalMs: '100' }, 'thresholds.criticalMs must be a number of ms in [0, 1e12), got "100"'],
    [
      { criticalMs: 1e12 },
      'thresholds.criticalMs must be a number of ms in [0, 1e12), got 1000000000000',
    ],
    [
      { warnMs: 200, criticalMs: 100 },
      'thresholds.criticalMs must be at least warnMs (200), got 100',
    ],
    [
      { maxErrorRate: 1.5 },
      'thresholds.maxErrorRate must be a number in [0, 1] (a share of calls), got 1.5',
    ],
    [
      { maxErrorRate: -0.1 },
      'thresholds.maxErrorRate must be a number in [0, 1] (a share of calls), got -0.1',
    ],
  ])('refuse %o with a coded InvalidArgumentError, changing nothing', (bad, message) => {
    const { tracker, violations } = setup({
      thresholds: { 'db.query': { warnMs: 10, maxErrorRate: 0.5 } },
    })
    tracker.record('db.query', 20)
    const error = thrownBy(() => tracker.setThresholds('db.query', bad as OperationThresholds))
    expect(error).toBeInstanceOf(InvalidArgumentError)
    expect(error).toMatchObject({ code: 'PERFWATCH_INVALID_ARGUMENT', message })
    expect(tracker.getThresholds('db.query')).toEqual({ warnMs: 10, maxErrorRate: 0.5 })
    expect(tracker.getOperationStats('db.query')).toMatchObject({ totalCount: 1, recentMax: 20 })
    tracker.record('db.query', 20)
    expect(violations()?.warning).toBe(2)
  })

  it('accept the ends of each range: budgets of 0 ms, criticalMs equal to warnMs, maxErrorRate 1', () => {
    const { tracker, violations } = setup()
    tracker.setThresholds('zero', { warnMs: 0, criticalMs: 0 })
    tracker.setThresholds('equal', { warnMs: 100, criticalMs: 100 })
    tracker.setThresholds('db.query', { maxErrorRate: 1 })
    expect(tracker.getThresholds('zero')).toEqual({ warnMs: 0, criticalMs: 0 })
    expect(tracker.getThresholds('equal')).toEqual({ warnMs: 100, criticalMs: 100 })
    expect(tracker.getThresholds('db.query')).toEqual({ maxErrorRate: 1 })
    tracker.record('zero', 0) // exactly the budget: within it
    tracker.record('zero', 0.001)
    tracker.record('equal', 100.5) // over both: critical, never warning
    for (let i = 0; i < 25; i++) tracker.record('db.query', 5, { success: false }) // 100 %: not above 1
    expect(violations('zero')).toEqual({ warning: 0, critical: 1, errorRate: 0 })
    expect(violations('equal')).toEqual({ warning: 0, critical: 1, errorRate: 0 })
    expect(violations('db.query')).toEqual({ warning: 0, critical: 0, errorRate: 0 })
  })

  it('accept a budget of one kind alone', () => {
    const { tracker } = setup()
    tracker.setThresholds('a', { warnMs: 10 })
    tracker.setThresholds('b', { criticalMs: 10 })
    tracker.setThresholds('c', { maxErrorRate: 0.5 })
    expect([
      tracker.getThresholds('a'),
      tracker.getThresholds('b'),
      tracker.getThresholds('c'),
    ]).toEqual([{ warnMs: 10 }, { criticalMs: 10 }, { maxErrorRate: 0.5 }])
  })

  it('refuse an invalid operation name', () => {
    const { tracker } = setup()
    expect(() => tracker.setThresholds('', { warnMs: 1 })).toThrow(InvalidArgumentError)
    expect(() => tracker.getThresholds(5 as unknown as string)).toThrow(InvalidArgumentError)
  })
})

describe('the thresholds option', () => {
  const create = (thresholds: unknown) => () =>
    new PerformanceTracker({
      storagePath: null,
      watchProcess: false,
      thresholds: thresholds as TrackerOptions['thresholds'],
    })

  it.each([
    [null, 'thresholds must be an object of operation names to thresholds, got null'],
    [[], 'thresholds must be an object of operation names to thresholds, got an array'],
    [
      { 'db.query': null },
      'thresholds["db.query"] must be an object of warnMs, criticalMs and maxErrorRate, got null',
    ],
    [
      { 'db.query': { warn: 100 } },
      'thresholds["db.query"] has an unknown key "warn": valid keys are warnMs, criticalMs, maxErrorRate',
    ],
    [
      { 'db.query': { warnMs: 100, criticalMs: 50 } },
      'thresholds["db.query"].criticalMs must be at least warnMs (100), got 50',
    ],
    [
      { 'db.query': 100 },
      'thresholds["db.query"] must be an object of warnMs, criticalMs and maxErrorRate, got 100',
    ],
    [
      { '': { warnMs: 100 } },
      'thresholds has an invalid operation name "": names are non-empty strings of at most 1024 characters',
    ],
  ])('refuses %o with an InvalidOptionError naming thresholds', (thresholds, message) => {
    const error = thrownBy(create(thresholds))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error).toMatchObject({ option: 'thresholds', code: 'PERFWATCH_INVALID_OPTION', message })
  })

  it('accepts basedOn and undefined budgets, and keeps neither', () => {
    const tracker = create({
      'db.query': {
        warnMs: 10,
        criticalMs: undefined,
        basedOn: { p95: 1, p99: 2, sampleCount: 3 },
      },
      'no.budget': {},
    })()
    expect(tracker.getThresholds('db.query')).toStrictEqual({ warnMs: 10 })
    expect(tracker.getThresholds('no.budget')).toBeUndefined()
  })
})

describe('recommendThresholds', () => {
  it('proposes p95 x 1.5 and p99 x 2, rounded up to 2 significant digits', () => {
    const { tracker } = setup({ baselineSamples: 100 })
    // 94 calls of 5 ms, 4 of 12.3 ms, 2 of 43.7 ms. Sorted, 0-based: [0, 93] 5, [94, 97] 12.3,
    // [98, 99] 43.7. p95: nearest rank sorted[ceil(95) - 1] = sorted[94] = 12.3 (R-7 too:
    // h = 99 x 0.95 = 94.05, between two 12.3s); p99: sorted[98] = 43.7 (R-7: h = 98.01, between
    // two 43.7s). warnMs = 12.3 x 1.5 = 18.45, up to 19; criticalMs = 43.7 x 2 = 87.4, up to 88.
    for (let i = 0; i < 94; i++) tracker.record('db.query', 5)
    for (let i = 0; i < 4; i++) tracker.record('db.query', 12.3)
    for (let i = 0; i < 2; i++) tracker.record('db.query', 43.7)
    // 96 calls of 0.388 ms, 4 of 0.45 ms: p95 sorted[94] = 0.388 (R-7: between sorted[94] and
    // sorted[95], both 0.388), p99 sorted[98] = 0.45 (R-7: sorted[98] and [99], both 0.45).
    // warnMs = 0.582, up to 0.59; criticalMs = 0.9 exactly (0.45 x 2), kept.
    for (let i = 0; i < 96; i++) tracker.record('fast', 0.388)
    for (let i = 0; i < 4; i++) tracker.record('fast', 0.45)
    tracker.record('still.learning', 5)
    expect(tracker.recommendThresholds()).toEqual({
      'db.query': {
        warnMs: 19,
        criticalMs: 88,
        basedOn: { p95: 12.3, p99: 43.7, sampleCount: 100 },
      },
      fast: { warnMs: 0.59, criticalMs: 0.9, basedOn: { p95: 0.388, p99: 0.45, sampleCount: 100 } },
    })
  })

  it('gives a flat baseline a warning and a critical budget apart', () => {
    const { tracker } = setup({ baselineSamples: 100 })
    for (let i = 0; i < 100; i++) tracker.record('flat', 10) // p95 = p99 = 10
    expect(tracker.recommendThresholds().flat).toMatchObject({ warnMs: 15, criticalMs: 20 })
  })

  it('is usable as the thresholds option and by setThresholds, also through JSON', () => {
    const { tracker } = setup({ baselineSamples: 100 })
    for (let i = 0; i < 100; i++) tracker.record('db.query', 10)
    const recommended = JSON.parse(JSON.stringify(tracker.recommendThresholds()))
    const next = new PerformanceTracker({
      storagePath: null,
      watchProcess: false,
      thresholds: recommended,
    })
    expect(next.getThresholds('db.query')).toEqual({ warnMs: 15, criticalMs: 20 })
    tracker.setThresholds('db.query', tracker.recommendThresholds()['db.query'] ?? null)
    expect(tracker.getThresholds('db.query')).toEqual({ warnMs: 15, criticalMs: 20 })
  })

  it('leaves out operations without a baseline, and the overflow operation', () => {
    const { tracker, lines } = setup({ baselineSamples: 100, maxOperations: 1 })
    tracker.record('db.query', 10)
    expect(tracker.recommendThresholds()).toEqual({})
    for (let i = 0; i < 100; i++) tracker.record('other', 10) // beyond maxOperations
    expect(tracker.getOperationStats('perfwatch.overflow')?.baseline).toBeDefined()
    expect(tracker.recommendThresholds()).toEqual({})
    expect(lines.filter((l) => l.code === 'PERFWATCH_TOO_MANY_OPERATIONS')).toHaveLength(1)
  })
})
