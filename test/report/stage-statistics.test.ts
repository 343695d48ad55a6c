import { describe, expect, it } from 'vitest'
import { groupByStage, runSummary, stageStatistics } from '../../src/report/stage-statistics.js'
import { metric } from '../helpers/stages.js'

describe('stageStatistics', () => {
  it('sums the units processed by the stage’s items', () => {
    const stats = stageStatistics('s', [
      metric('a', 's', 10, { itemsProcessed: 3 }),
      metric('b', 's', 10, { itemsProcessed: 4 }),
    ])
    expect(stats.itemsProcessed).toBe(7)
  })
})

describe('runSummary', () => {
  it('gives the processing rates over the wall time, and counts failed stages', () => {
    // a: 0-100, b: 100-400; 30 units over 400 ms
    const summary = runSummary('r', [
      metric('a', 's', 100, { itemsProcessed: 10 }, 0),
      metric('b', 's', 300, { itemsProcessed: 20, status: 'error' }, 100),
    ])
    expect(summary).toMatchObject({
      wallTimeMs: 400,
      itemsProcessed: 30,
      itemsPerSecond: 5,
      unitsPerSecond: 75,
      errorCount: 1,
    })
  })

  it('gives no rates, not infinite ones, for a run of no wall time', () => {
    const summary = runSummary('r', [metric('a', 's', 0, { itemsProcessed: 5 })])
    expect(summary).toMatchObject({
      wallTimeMs: 0,
      itemsProcessed: 5,
      itemsPerSecond: null,
      unitsPerSecond: null,
    })
  })

  it('lists the stages in the order they first started, whatever the order of the metrics', () => {
    const summary = runSummary('r', [
      metric('b', 'output', 10, {}, 300),
      metric('b', 'parse', 10, {}, 100),
      metric('a', 'extraction', 10, {}, 50),
      metric('a', 'parse', 10, {}, 0),
      metric('a', 'output', 10, {}, 200),
    ])
    expect(Object.keys(summary.stages)).toEqual(['parse', 'extraction', 'output'])
  })
})

describe('groupByStage', () => {
  it('orders each stage’s metrics by start time, keeping the given order of equal starts', () => {
    const byStage = groupByStage([
      metric('c', 's', 10, {}, 200),
      metric('x', 't', 10, {}, 100),
      metric('a', 's', 10, {}, 100),
      metric('b', 's', 10, {}, 100),
      metric('y', 't', 10, {}, 100),
      metric('z', 't', 10, {}, 0),
    ])
    expect([...byStage].map(([stage, list]) => [stage, list.map((m) => m.itemId)])).toEqual([
      ['t', ['z', 'x', 'y']],
      ['s', ['a', 'b', 'c']],
    ])
  })
})
