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
    expect(stages.getThresholdViolations()).toEqual({ s: { warning: 6, critical: 0 } })
  })

  it('checks an item’s summed stage time against total, once per level', () => {
    const { stages, clock } = testStages({
      thresholds: { total: { warnMs: 100, criticalMs: 200 } },
    })
    const events: StageThresholdEvent[] = []
    stages.on('threshold', (event) => events.push(event))
    for (const stage of ['a', 'b', 'c', 'd', 'e'])
      stages.trackStage(RUN, 'item', stage, () => clock.advance(60))
    stages.trackStage(RUN, 'other', 'a', () => clock.advance(60))
    expect(events.map((e) => [e.itemId, e.stage, e.severity, e.durationMs])).toEqual([
      ['item', 'total', 'warning', 120],
      ['item', 'total', 'critical', 240],
    ])
  })

  it('keeps listeners that throw from changing the stage, and off removes one', () => {
    const { stages, clock } = testStages({ thresholds: { s: 1 } })
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
    expect(() => stages.on('thresholds' as never, listener)).toThrow(
      'event name must be "threshold"',
    )
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
    stages.trackStage(RUN, 'c', 's', () => clock.advance(9))
    stages.close()
    stages.close() // nothing more held back: no line
    const logged = lines.filter((l) => l.code === 'PERFWATCH_THRESHOLD')
    expect(logged.map((l) => [l.severity, l.suppressed])).toEqual([
      ['warning', 0],
      ['critical', 0],
      ['warning', 2],
    ])
    expect(logged[2]?.msg).toBe('perfwatch: 2 more stage warnings since the last line')
  })
})
