import { describe, expect, it } from 'vitest'
import type { StageThresholdEvent } from '../../src/index.js'
import { ERROR, WARN } from '../helpers/log-sink.js'
import { testStages } from '../helpers/stages.js'

const RUN = 'r'

describe('stage budgets', () => {
  it('emits, counts and logs a stage over its budget, warning then critical', () => {
    const { stages, clock, lines } = testStages({
      thresholds: { extraction: { warnMs: 100, criticalMs: 300 }, parse: 10 },
      warningIntervalMs: 0,
    })
    const events: StageThresholdEvent[] = []
    stages.on('threshold', (event) => events.push(event))
    stages.trackStage(RUN, 'a', 'extraction', () => clock.advance(100)) // at the budget: fine
    stages.trackStage(RUN, 'b', 'extraction', () => clock.advance(150))
    stages.trackStage(RUN, 'c', 'extraction', () => clock.advance(301))
    stages.trackStage(RUN, 'c', 'parse', () => clock.advance(11))
    stages.trackStage(RUN, 'c', 'output', () => clock.advance(10_000)) // no budget
    expect(events).toEqual([
      {
        runId: RUN,
        itemId: 'b',
        stage: 'extraction',
        severity: 'warning',
        durationMs: 150,
        thresholdMs: 100,
        at: expect.any(String),
      },
      {
        runId: RUN,
        itemId: 'c',
        stage: 'extraction',
        severity: 'critical',
        durationMs: 301,
        thresholdMs: 300,
        at: expect.any(String),
      },
      {
        runId: RUN,
        itemId: 'c',
        stage: 'parse',
        severity: 'warning',
        durationMs: 11,
        thresholdMs: 10,
        at: expect.any(String),
      },
    ])
    expect(stages.getThresholdViolations()).toEqual({
      extraction: { warning: 1, critical: 1 },
      parse: { warning: 1, critical: 0 },
    })
    const logged = lines.filter((l) => l.code === 'PERFWATCH_THRESHOLD')
    expect(logged.map((l) => [l.level, l.stage, l.severity, l.thresholdMs])).toEqual([
      [WARN, 'extraction', 'warning', 100],
      [ERROR, 'extraction', 'critical', 300],
      [WARN, 'parse', 'warning', 10],
    ])
    expect(logged[0]?.msg).toBe(
      'perfwatch: item b of run r: stage extraction took 150ms, above the 100ms warning budget',
    )
  })

  it('logs at most one line per warningIntervalMs, counting the rest', () => {
    const { stages, clock, lines } = testStages({ thresholds: { s: 1 }, warningIntervalMs: 1000 })
    for (let i = 0; i < 5; i++) stages.trackStage(RUN, `i${i}`, 's', () => clock.advance(2))
    clock.advance(1000)
    stages.trackStage(RUN, 'late', 's', () => clock.advance(2))
    const logged = lines.filter((l) => l.code === 'PERFWATCH_THRESHOLD')
    expect(logged.map((l) => l.suppressed)).toEqual([0, 4])
    expect(logged[1]?.msg).toContain('(4 more warnings since the last line)')
    expect(logged.map((l) => l.event)).toEqual(['threshold', 'threshold'])
    expect(stages.getThresholdViolations()).toEqual({ s: { warning: 6, critical: 0 } })
    expect(lines.filter((l) => l.code === 'PERFWATCH_INTERNAL_ERROR')).toEqual([])
  })

  it('judges a duration equal to criticalMs a warning', () => {
    const { stages, clock } = testStages({ thresholds: { s: { warnMs: 100, criticalMs: 300 } } })
    const events: StageThresholdEvent[] = []
    stages.on('threshold', (event) => events.push(event))
    stages.trackStage(RUN, 'a', 's', () => clock.advance(300))
    expect(events.map((e) => [e.severity, e.thresholdMs])).toEqual([['warning', 100]])
  })

  it('checks an item’s summed stage time against total, once per level', () => {
    const { stages, clock, lines } = testStages({
      thresholds: { total: { warnMs: 100, criticalMs: 200 } },
    })
    const events: StageThresholdEvent[] = []
    stages.on('threshold', (event) => events.push(event))
    for (const stage of ['a', 'b', 'c', 'd', 'e'])
      stages.trackStage(RUN, 'item', stage, () => clock.advance(60))
    stages.trackStage(RUN, 'other', 'a', () => clock.advance(60))
    stages.trackStage(RUN, 'other', 'b', () => clock.advance(60)) // its own sum: 120
    expect(events.map((e) => [e.itemId, e.stage, e.severity, e.durationMs])).toEqual([
      ['item', 'total', 'warning', 120],
      ['item', 'total', 'critical', 240],
      ['other', 'total', 'warning', 120],
    ])
    expect(lines.find((l) => l.code === 'PERFWATCH_THRESHOLD')?.msg).toBe(
      'perfwatch: item item of run r: its stages together took 120ms, above the 100ms warning budget',
    )
  })

  it('checks a stage named total against the item’s budget only', () => {
    const { stages, clock } = testStages({ thresholds: { total: 100 } })
    const events: StageThresholdEvent[] = []
    stages.on('threshold', (event) => events.push(event))
    stages.trackStage(RUN, 'item', 'total', () => clock.advance(150))
    expect(events.map((e) => [e.stage, e.severity, e.durationMs])).toEqual([
      ['total', 'warning', 150],
    ])
    expect(stages.getThresholdViolations()).toEqual({ total: { warning: 1, critical: 0 } })
  })

  it('keeps the running sums of the last 10,000 items', () => {
    const { stages, clock } = testStages({
      persist: false,
      tracker: false,
      thresholds: { total: { warnMs: 100, criticalMs: 150 } },
    })
    const events: StageThresholdEvent[] = []
    stages.on('threshold', (event) => events.push(event))
    const others = (from: number, count: number) => {
      for (let i = from; i < from + count; i++) stages.trackStage(RUN, `i${i}`, 'a', () => 0)
    }
    stages.trackStage(RUN, 'first', 'a', () => clock.advance(60))
    others(0, 9_999) // 10,000 items: the first one is still remembered
    stages.trackStage(RUN, 'first', 'b', () => clock.advance(60))
    expect(events.map((e) => [e.itemId, e.severity, e.durationMs])).toEqual([
      ['first', 'warning', 120],
    ])
    others(9_999, 10_000) // 10,001 items since it was last seen: forgotten
    stages.trackStage(RUN, 'first', 'c', () => clock.advance(60))
    expect(events).toHaveLength(1) // a sum from 60 again, not 180 (critical)
  })

  it('keeps listeners that throw from changing the stage, and off removes one', () => {
    const { stages, clock, lines } = testStages({ thresholds: { s: 1 } })
    const seen: string[] = []
    const listener = (event: StageThresholdEvent) => seen.push(event.itemId)
    stages.on('threshold', () => {
      throw new Error('listener bug')
    })
    stages.on('threshold', listener)
    const kept = stages.trackStage(RUN, 'a', 's', () => {
      clock.advance(5)
      return 'kept'
    })
    expect(kept).toBe('kept')
    stages.off('threshold', listener)
    stages.trackStage(RUN, 'b', 's', () => clock.advance(5))
    expect(seen).toEqual(['a'])
    expect(lines.filter((l) => l.code === 'PERFWATCH_INTERNAL_ERROR').map((l) => l.err)).toEqual([
      expect.objectContaining({ message: 'listener bug' }),
    ])
    expect(() => stages.on('thresholds' as never, listener)).toThrow(
      'event name must be "threshold"',
    )
    expect(() => stages.on('threshold', 'log it' as never)).toThrow(
      'listener must be a function, got "log it"',
    )
  })

  it('off removes the listener given, the first one too, and nothing when it is not listening', () => {
    const { stages, clock } = testStages({ thresholds: { s: 1 } })
    const seen: string[] = []
    const first = (event: StageThresholdEvent) => seen.push(`first ${event.itemId}`)
    const second = (event: StageThresholdEvent) => seen.push(`second ${event.itemId}`)
    stages.on('threshold', first)
    stages.on('threshold', second)
    stages.off('threshold', () => undefined)
    stages.trackStage(RUN, 'a', 's', () => clock.advance(5))
    stages.off('threshold', first)
    stages.trackStage(RUN, 'b', 's', () => clock.advance(5))
    expect(seen).toEqual(['first a', 'second a', 'second b'])
  })
})

describe('budget lines', () => {
  it('print a duration that rounds like its budget with more digits', () => {
    const { stages, clock, lines } = testStages({ thresholds: { s: 30 } })
    stages.trackStage(RUN, 'a', 's', () => clock.advance(30.4))
    expect(lines.find((l) => l.code === 'PERFWATCH_THRESHOLD')?.msg).toBe(
      'perfwatch: item a of run r: stage s took 30.4ms, above the 30ms warning budget',
    )
  })

  it('close() logs the violations held back since the last line', () => {
    const { stages, clock, lines } = testStages({ thresholds: { s: { warnMs: 1, criticalMs: 5 } } })
    for (let i = 0; i < 3; i++) stages.trackStage(RUN, `w${i}`, 's', () => clock.advance(2))
    for (let i = 0; i < 2; i++) stages.trackStage(RUN, `c${i}`, 's', () => clock.advance(9))
    stages.close()
    stages.close() // nothing more held back: no line
    const logged = lines.filter((l) => l.code === 'PERFWATCH_THRESHOLD')
    expect(logged.map((l) => [l.level, l.event, l.severity, l.suppressed])).toEqual([
      [WARN, 'threshold', 'warning', 0],
      [ERROR, 'threshold', 'critical', 0],
      [WARN, 'threshold', 'warning', 2],
      [ERROR, 'threshold', 'critical', 1],
    ])
    expect(logged[2]?.msg).toBe('perfwatch: 2 more stage warnings since the last line')
    expect(logged[3]?.msg).toBe('perfwatch: 1 more stage criticals since the last line')
  })
})
