import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { type Logger, PerformanceTracker } from '../../src/index.js'
import { manualClock } from '../helpers/clock.js'
import { logSink } from '../helpers/log-sink.js'

// Issue 7, item 1: a logger whose warn throws made record/endOperation throw after the sample was
// recorded; a logger without isLevelEnabled threw a TypeError on the first slow sample.
function slowSampleTracker(logger: Logger) {
  const clock = manualClock()
  const tracker = new PerformanceTracker({ storagePath: null, clock, logger, baselineSamples: 2 })
  tracker.record('op', 1)
  tracker.record('op', 1)
  return { tracker, clock }
}

describe('a logger that fails never breaks the calls it logs about', () => {
  it('record and endOperation return normally when warn throws, and record the sample', () => {
    const logger = {
      info() {},
      warn() {
        throw new Error('warn broke')
      },
      error() {},
    }
    const { tracker, clock } = slowSampleTracker(logger)
    expect(() => tracker.record('op', 50)).not.toThrow()
    clock.advance(10_001) // past the per-sample warning interval: warn is called again
    const id = tracker.startOperation('op')
    clock.advance(60)
    expect(tracker.endOperation(id)).toBe(60)
    expect(tracker.getOperationStats('op')?.totalCount).toBe(4)
    expect(tracker.getSystemSummary().internalErrors).toBe(2)
  })

  it('survives a logger whose every method throws', () => {
    const fail = () => {
      throw new Error('logger broke')
    }
    const logger = { info: fail, warn: fail, error: fail, isLevelEnabled: fail }
    const { tracker } = slowSampleTracker(logger)
    expect(() => tracker.record('op', 50)).not.toThrow()
    expect(tracker.wrap('w', () => 'value')()).toBe('value')
    expect(tracker.getOperationStats('op')?.totalCount).toBe(3)
    expect(tracker.getSystemSummary().internalErrors).toBeGreaterThan(0)
  })

  it('treats a logger without isLevelEnabled as enabled at every level', () => {
    const warnings: Array<[object, string]> = []
    const logger = { info() {}, warn: (o: object, m: string) => warnings.push([o, m]), error() {} }
    const { tracker } = slowSampleTracker(logger)
    expect(() => tracker.record('op', 50)).not.toThrow()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.[0]).toMatchObject({ operation: 'op', durationMs: 50 })
    expect(warnings[0]?.[1]).toMatch(/^Slow call of op: /)
  })

  it('accepts pino, pino children and console as they are', () => {
    const sink = logSink()
    const loggers: Logger[] = [
      sink.logger,
      sink.logger.child({ svc: 'a' }),
      pino({ level: 'silent' }),
    ]
    for (const logger of loggers) {
      expect(() => new PerformanceTracker({ storagePath: null, logger })).not.toThrow()
    }
    const consoleLike: Logger = console // console.warn(obj, msg) prints both
    expect(() => new PerformanceTracker({ storagePath: null, logger: consoleLike })).not.toThrow()
  })

  it('rejects a logger missing a method perfwatch calls, or with a non-function isLevelEnabled', () => {
    const base = { info() {}, warn() {}, error() {} }
    for (const logger of [
      { info() {}, warn() {} },
      { ...base, isLevelEnabled: true },
    ]) {
      expect(
        () => new PerformanceTracker({ storagePath: null, logger: logger as unknown as Logger }),
      ).toThrow(/^logger must be/)
    }
  })
})
