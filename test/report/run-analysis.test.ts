import { describe, expect, it } from 'vitest'
import type { StageMetric } from '../../src/index.js'
import { analyzeRun } from '../../src/report/run-analysis.js'
import { runSummary, stageStatistics } from '../../src/report/stage-statistics.js'
import { metric, testStages } from '../helpers/stages.js'

/** `count` items, each through parse (10 ms) then extraction (`extractionMs(i)`). */
function pipeline(
  count: number,
  extractionMs: (i: number) => number,
  extra: (i: number) => Partial<StageMetric> = () => ({}),
) {
  const metrics: StageMetric[] = []
  for (let i = 0; i < count; i++) {
    metrics.push(metric(`m${i}`, 'parse', 10, {}, i * 1000))
    metrics.push(metric(`m${i}`, 'extraction', extractionMs(i), extra(i), i * 1000 + 10))
  }
  return metrics
}

describe('stage statistics', () => {
  it('uses R-7 for 1..50: median 25.5, p95 47.55, p99 49.51', () => {
    const stats = stageStatistics(
      's',
      Array.from({ length: 50 }, (_, i) => metric(`m${i}`, 's', i + 1)),
    )
    expect(stats.medianMs).toBe(25.5)
    expect(stats.p95Ms).toBeCloseTo(47.55, 12)
    expect(stats.p99Ms).toBeCloseTo(49.51, 12)
  })

  it('gives one item’s figures for a single metric', () => {
    expect(stageStatistics('s', [metric('a', 's', 7)])).toMatchObject({
      itemCount: 1,
      averageMs: 7,
      medianMs: 7,
      p95Ms: 7,
      p99Ms: 7,
      minMs: 7,
      maxMs: 7,
      successRate: 1,
    })
  })

  it('measures wall time from the first start to the last end, with overlapping items', () => {
    // a: 0-100, b: 50-400 (overlapping), c: 300-350
    const summary = runSummary('r', [
      metric('a', 's', 100, {}, 0),
      metric('b', 's', 350, {}, 50),
      metric('c', 't', 50, {}, 300),
    ])
    expect(summary).toMatchObject({
      wallTimeMs: 400,
      itemCount: 3,
      itemsPerSecond: 7.5,
      unitsPerSecond: null,
    })
    expect(Object.keys(summary.stages)).toEqual(['s', 't'])
  })
})

describe('analyzeRun', () => {
  it('finds the stage over its budget and recommends optimizing it with its numbers', () => {
    // extraction: 20 items of 3000 ms, against a 2000 ms budget; parse 10 ms each
    const analysis = analyzeRun(
      'r',
      pipeline(20, () => 3000),
      { extraction: 2000, parse: 100 },
      'now',
    )
    expect(analysis.summary).toEqual({
      items: 20,
      totalMs: 60_200,
      wallTimeMs: 19 * 1000 + 3010,
      stageCount: 2,
      bottleneckCount: 1,
      errorCount: 0,
      itemsOverBudget: null,
    })
    expect(analysis.stages.extraction).toMatchObject({
      count: 20,
      totalMs: 60_000,
      averageMs: 3000,
      maxMs: 3000,
      p95Ms: 3000,
      budgetMs: 2000,
      violations: 20,
      criticalViolations: 0,
      excessMs: 20_000,
      errorRate: 0,
      apiShare: null,
    })
    expect(analysis.stages.extraction?.shareOfTotal).toBeCloseTo(60_000 / 60_200, 12)
    expect(analysis.bottlenecks).toEqual([
      {
        stage: 'extraction',
        reasons: ['over-budget', 'dominant'],
        impactMs: 20_000,
        shareOfTotal: 60_000 / 60_200,
        p95Ms: 3000,
        budgetMs: 2000,
        violations: 20,
      },
    ])
    expect(analysis.recommendations).toHaveLength(1)
    expect(analysis.recommendations[0]).toMatchObject({
      priority: 'high',
      kind: 'optimize',
      stage: 'extraction',
      message:
        'Optimize extraction: p95 3.0s against a 2.0s budget, 99.7% of run time (20 of 20 items over budget, 20.0s beyond it)',
      figures: {
        p95Ms: 3000,
        budgetMs: 2000,
        shareOfTotal: 60_000 / 60_200,
        violations: 20,
        excessMs: 20_000,
      },
    })
    expect(analysis.generatedAt).toBe('now')
  })

  it('tells outliers from a stage that is slow as a whole', () => {
    // 1 of 20 items at 5000 ms, the rest at 100: p95 (R-7, h = 18.05) = 100 + 0.05 * 4900 = 345
    const analysis = analyzeRun(
      'r',
      pipeline(20, (i) => (i === 7 ? 5000 : 100)),
      { extraction: 1000 },
    )
    expect(analysis.recommendations[0]).toMatchObject({
      priority: 'medium',
      kind: 'outliers',
      message:
        'Look at the slowest extraction items: 1 of 20 over the 1.0s budget (max 5.0s), while p95 is 345ms',
    })
    expect(analysis.bottlenecks[0]).toMatchObject({ stage: 'extraction', impactMs: 4000 })
  })

  it('sorts bottlenecks by the time they cost beyond budget, not by their average', () => {
    // parse: 20 x 10 ms against 5 ms (100 ms beyond); extraction: 1 of 20 at 2000 against 1000 (1000 beyond)
    const metrics = pipeline(20, (i) => (i === 0 ? 2000 : 10))
    const analysis = analyzeRun('r', metrics, { parse: 5, extraction: 1000 })
    expect(analysis.bottlenecks.map((b) => [b.stage, b.impactMs])).toEqual([
      ['extraction', 1000],
      ['parse', 100],
    ])
  })

  it('names a dominant stage without a budget by its share of the run', () => {
    const analysis = analyzeRun(
      'r',
      pipeline(10, () => 90),
    )
    expect(analysis.bottlenecks).toEqual([
      expect.objectContaining({
        stage: 'extraction',
        reasons: ['dominant'],
        impactMs: 900 - 1000 / 2,
      }),
    ])
    expect(analysis.recommendations).toEqual([
      {
        priority: 'medium',
        kind: 'optimize',
        stage: 'extraction',
        message: 'Optimize extraction first: 90.0% of run time (average 90ms, p95 90ms)',
        figures: { shareOfTotal: 0.9, averageMs: 90, p95Ms: 90 },
      },
    ])
  })

  it('finds a stage that mostly waits on external APIs', () => {
    const calls = {
      gemini: { calls: 2, inputTokens: 10, outputTokens: 1, durationsMs: [400, 400] },
    }
    const analysis = analyzeRun(
      'r',
      pipeline(
        10,
        () => 1000,
        () => ({ apiCalls: calls }),
      ),
    )
    expect(analysis.stages.extraction?.apiShare).toBe(0.8)
    expect(analysis.recommendations.find((r) => r.kind === 'external-api')).toMatchObject({
      priority: 'medium',
      stage: 'extraction',
      message:
        'extraction waits on external APIs for 80.0% of its time (gemini: 20 calls, average 400ms, p95 400ms): cache responses, batch calls or process items concurrently',
    })
  })

  it('recommends fixing a stage that fails often, with an example error', () => {
    const failed = {
      status: 'error' as const,
      error: { name: 'TimeoutError', message: 'upstream timed out' },
    }
    const analysis = analyzeRun(
      'r',
      pipeline(
        20,
        () => 10,
        (i) => (i < 5 ? failed : {}),
      ),
    )
    expect(analysis.summary.errorCount).toBe(5)
    expect(analysis.recommendations[0]).toMatchObject({
      priority: 'high',
      kind: 'errors',
      message:
        'Fix failures in extraction: 25.0% of items failed (5 of 20; for example TimeoutError: upstream timed out)',
    })
    const fewer = analyzeRun(
      'r',
      pipeline(
        20,
        () => 10,
        (i) => (i < 1 ? failed : {}),
      ),
    )
    expect(fewer.recommendations.find((r) => r.kind === 'errors')?.priority).toBe('medium')
  })

  it('checks whole items against the total budget', () => {
    // items of 10 + 50 ms, 10 + 500 ms for 4 of 20: 4 over a 100 ms total
    const analysis = analyzeRun(
      'r',
      pipeline(20, (i) => (i % 5 === 0 ? 500 : 50)),
      { total: 100 },
    )
    expect(analysis.summary.itemsOverBudget).toBe(4)
    expect(analysis.recommendations.find((r) => r.kind === 'item-budget')).toMatchObject({
      priority: 'high',
      stage: 'total',
      message: expect.stringMatching(
        /^Items exceed the 100ms total budget: 4 of 20 \(20\.0%\), p95 510ms; the largest share is extraction/,
      ),
      figures: {
        itemsOverBudget: 4,
        items: 20,
        p95Ms: 510,
        budgetMs: 100,
        largestStage: 'extraction',
      },
    })
    const within = analyzeRun(
      'r',
      pipeline(2, () => 5),
      { total: 100 },
    )
    expect(within.summary.itemsOverBudget).toBe(0)
    expect(within.recommendations.map((r) => r.kind)).toEqual(['optimize'])
  })

  it('puts high priorities first', () => {
    const failed = { status: 'error' as const, error: { name: 'E', message: 'x' } }
    const analysis = analyzeRun(
      'r',
      pipeline(
        20,
        () => 90,
        (i) => (i < 10 ? failed : {}),
      ),
      { parse: 5 },
    )
    expect(analysis.recommendations.map((r) => r.priority)).toEqual(['high', 'high', 'medium'])
  })

  it('counts an item at its budget as within it, and items above criticalMs', () => {
    const analysis = analyzeRun(
      'r',
      [100, 150, 200, 250].map((ms, i) => metric(`m${i}`, 'load', ms, {}, i * 1000)),
      { load: { warnMs: 100, criticalMs: 200 } },
    )
    expect(analysis.stages.load).toMatchObject({
      budgetMs: 100,
      violations: 3,
      criticalViolations: 1,
      excessMs: 50 + 100 + 150,
    })
  })

  it('sees outliers, not a slow stage, when p95 is exactly at the budget', () => {
    // 21 items: p95 (R-7, h = 20 x 0.95 = 19) is the 20th smallest, 100 ms, the budget
    const durations = [...Array.from({ length: 19 }, () => 50), 100, 500]
    const analysis = analyzeRun(
      'r',
      durations.map((ms, i) => metric(`m${i}`, 'load', ms, {}, i * 1000)),
      { load: 100 },
    )
    expect(analysis.recommendations).toEqual([
      {
        priority: 'medium',
        kind: 'outliers',
        stage: 'load',
        message:
          'Look at the slowest load items: 1 of 21 over the 100ms budget (max 500ms), while p95 is 100ms',
        figures: { violations: 1, budgetMs: 100, maxMs: 500, p95Ms: 100 },
      },
    ])
    expect(analysis.bottlenecks).toEqual([
      expect.objectContaining({ stage: 'load', reasons: ['over-budget'], impactMs: 400 }),
    ])
  })

  it('calls no stage of a one-stage run dominant, and each of two equal stages dominant', () => {
    const single = analyzeRun('r', [metric('a', 'load', 500)])
    expect(single.stages.load?.shareOfTotal).toBe(1)
    expect(single.bottlenecks).toEqual([])
    expect(single.recommendations).toEqual([])

    // exactly half the run's time each: dominant, at no time above an even share
    const halves = analyzeRun('r', [
      metric('a', 'parse', 500, {}, 0),
      metric('a', 'output', 500, {}, 500),
    ])
    expect(halves.bottlenecks).toEqual([
      expect.objectContaining({ stage: 'parse', reasons: ['dominant'], impactMs: 0 }),
      expect.objectContaining({ stage: 'output', reasons: ['dominant'], impactMs: 0 }),
    ])
    expect(halves.recommendations.map((r) => [r.kind, r.stage])).toEqual([
      ['optimize', 'parse'],
      ['optimize', 'output'],
    ])
  })

  it('gives shares of 0 and no API share when every stage took 0 ms', () => {
    const calls = { gemini: { calls: 1, inputTokens: 0, outputTokens: 0, durationsMs: [5] } }
    const analysis = analyzeRun('r', [
      metric('a', 'parse', 0),
      metric('a', 'extraction', 0, { apiCalls: calls }),
    ])
    expect(analysis.stages.parse).toMatchObject({ shareOfTotal: 0, apiShare: null })
    expect(analysis.stages.extraction).toMatchObject({ shareOfTotal: 0, apiShare: null })
    expect(analysis.bottlenecks).toEqual([])
    expect(analysis.recommendations).toEqual([])
  })

  it('calls a stage API-bound from half its time, medium only when it takes half the run', () => {
    /** parse for `parseMs`, then extraction for `extractionMs` with one call of `apiMs`. */
    const run = (parseMs: number, extractionMs: number, apiMs: number) =>
      analyzeRun('r', [
        metric('a', 'parse', parseMs, {}, 0),
        metric(
          'a',
          'extraction',
          extractionMs,
          {
            apiCalls: {
              gemini: { calls: 1, inputTokens: 0, outputTokens: 0, durationsMs: [apiMs] },
            },
          },
          parseMs,
        ),
      ]).recommendations.filter((r) => r.kind === 'external-api')

    expect(run(600, 400, 200)).toEqual([
      {
        priority: 'low',
        kind: 'external-api',
        stage: 'extraction',
        message:
          'extraction waits on external APIs for 50.0% of its time (gemini: 1 call, average 200ms, p95 200ms): cache responses, batch calls or process items concurrently',
        figures: { apiShare: 0.5, shareOfTotal: 0.4, apiMs: 200 },
      },
    ])
    expect(run(500, 500, 250)).toEqual([
      expect.objectContaining({
        priority: 'medium',
        figures: { apiShare: 0.5, shareOfTotal: 0.5, apiMs: 250 },
      }),
    ])
    expect(run(600, 400, 160)).toEqual([])
  })

  it('lists the services a stage waits on by the time spent on each, largest first', () => {
    const apiCalls = {
      alpha: { calls: 2, inputTokens: 0, outputTokens: 0, durationsMs: [50, 50] },
      beta: { calls: 2, inputTokens: 0, outputTokens: 0, durationsMs: [300, 300] },
      gamma: { calls: 1, inputTokens: 0, outputTokens: 0, durationsMs: [150] },
    }
    const analysis = analyzeRun('r', [metric('a', 'extraction', 1000, { apiCalls })])
    expect(analysis.recommendations.map((r) => r.message)).toEqual([
      'extraction waits on external APIs for 85.0% of its time (beta: 2 calls, average 300ms, p95 300ms; gamma: 1 call, average 150ms, p95 150ms; alpha: 2 calls, average 50ms, p95 50ms): cache responses, batch calls or process items concurrently',
    ])
  })

  it('advises more concurrency only when items already overlap (wall time below 0.9 x stage time)', () => {
    const apiCalls = { gemini: { calls: 1, inputTokens: 0, outputTokens: 0, durationsMs: [400] } }
    const advice = (metrics: StageMetric[]) =>
      analyzeRun('r', metrics).recommendations[0]?.message.split('): ')[1]

    // two items side by side: 500 ms of wall time for 1000 ms of stages
    expect(
      advice([
        metric('a', 'extraction', 500, { apiCalls }, 0),
        metric('b', 'extraction', 500, { apiCalls }, 0),
      ]),
    ).toBe(
      'cache responses, batch calls, or raise the concurrency within the service’s rate limits',
    )
    // 900 ms of wall time for 1000 ms: exactly 0.9, so not concurrent
    expect(
      advice([
        metric('a', 'extraction', 500, { apiCalls }, 0),
        metric('b', 'extraction', 500, { apiCalls }, 400),
      ]),
    ).toBe('cache responses, batch calls or process items concurrently')
  })

  it('recommends fixing failures from 5 % of items, with high priority from exactly 20 %', () => {
    const failed = { status: 'error' as const, error: { name: 'E', message: 'x' } }
    /** `count` items of load, the first `failures` of them failed. */
    const run = (count: number, failures: number) =>
      analyzeRun(
        'r',
        Array.from({ length: count }, (_, i) =>
          metric(`m${i}`, 'load', 10, i < failures ? failed : {}, i * 100),
        ),
      ).recommendations

    expect(run(20, 4)).toEqual([
      {
        priority: 'high',
        kind: 'errors',
        stage: 'load',
        message: 'Fix failures in load: 20.0% of items failed (4 of 20; for example E: x)',
        figures: { errorRate: 0.2, errorCount: 4, itemCount: 20 },
      },
    ])
    expect(run(20, 1)).toEqual([
      expect.objectContaining({
        priority: 'medium',
        figures: { errorRate: 0.05, errorCount: 1, itemCount: 20 },
      }),
    ])
    expect(run(21, 1)).toEqual([])
  })

  it('quotes the first failure by start time, cut to 120 characters', () => {
    const long = `${'a'.repeat(119)}bc`
    const analysis = analyzeRun('r', [
      metric(
        'late',
        'load',
        10,
        { status: 'error', error: { name: 'Late', message: 'later' } },
        300,
      ),
      metric('ok', 'load', 10, {}, 0),
      metric(
        'first',
        'load',
        10,
        { status: 'error', error: { name: 'First', message: long } },
        100,
      ),
      metric('ok2', 'load', 10, {}, 200),
    ])
    expect(analysis.recommendations[0]?.message).toBe(
      `Fix failures in load: 50.0% of items failed (2 of 4; for example First: ${'a'.repeat(119)}b)`,
    )
  })

  it('leaves the example out when the failed stages gave no error', () => {
    const analysis = analyzeRun('r', [
      metric('ok', 'load', 10, {}, 0),
      metric('failed', 'load', 10, { status: 'error' }, 100),
    ])
    expect(analysis.recommendations[0]?.message).toBe(
      'Fix failures in load: 50.0% of items failed (1 of 2)',
    )
  })

  it('orders recommendations of one priority by the time at stake', () => {
    // 1 of 10 items fails in each stage (medium): 1 x 10 ms at stake in a, 1 x 100 ms in b;
    // b is 1000 of 1100 ms, 450 ms above an even share
    const failed = { status: 'error' as const, error: { name: 'E', message: 'x' } }
    const metrics: StageMetric[] = []
    for (let i = 0; i < 10; i++) {
      metrics.push(metric(`m${i}`, 'a', 10, i === 0 ? failed : {}, i * 1000))
      metrics.push(metric(`m${i}`, 'b', 100, i === 0 ? failed : {}, i * 1000 + 10))
    }
    expect(
      analyzeRun('r', metrics).recommendations.map((r) => [r.priority, r.kind, r.stage]),
    ).toEqual([
      ['medium', 'optimize', 'b'],
      ['medium', 'errors', 'b'],
      ['medium', 'errors', 'a'],
    ])
  })

  it('ranks items over the total budget by the time they spend above it', () => {
    // 19 items of 2 + 100 ms and one of 2 + 1009 ms against 1000 ms: 11 ms above, p95 within
    // (medium); extraction dominates (1434.5 ms above an even share); 2 of 20 parses fail (4 ms)
    const failed = { status: 'error' as const, error: { name: 'E', message: 'x' } }
    const metrics = pipeline(20, (i) => (i === 0 ? 1009 : 100)).map((m) =>
      m.stage === 'parse'
        ? { ...m, durationMs: 2, ...(m.itemId === 'm0' || m.itemId === 'm1' ? failed : {}) }
        : m,
    )
    const analysis = analyzeRun('r', metrics, { total: 1000 })
    expect(analysis.recommendations.map((r) => [r.priority, r.kind, r.stage])).toEqual([
      ['medium', 'optimize', 'extraction'],
      ['medium', 'item-budget', 'total'],
      ['medium', 'errors', 'parse'],
    ])
  })

  it('counts an item exactly at the total budget as within it, and p95 at it as medium', () => {
    // 21 items: p95 (h = 19) is the 20th smallest, 100 ms
    const durations = [...Array.from({ length: 19 }, () => 50), 100, 500]
    const analysis = analyzeRun(
      'r',
      durations.map((ms, i) => metric(`m${i}`, 'load', ms, {}, i * 1000)),
      { total: 100 },
    )
    expect(analysis.summary.itemsOverBudget).toBe(1)
    expect(analysis.recommendations).toEqual([
      {
        priority: 'medium',
        kind: 'item-budget',
        stage: 'total',
        message:
          'Items exceed the 100ms total budget: 1 of 21 (4.8%), p95 100ms; the largest share is load (100.0%)',
        figures: { itemsOverBudget: 1, items: 21, p95Ms: 100, budgetMs: 100, largestStage: 'load' },
      },
    ])
  })

  it('runs through StageTracker.analyzeRun with the tracker’s thresholds', () => {
    const { stages, clock } = testStages({ thresholds: { slow: 10 } })
    for (let i = 0; i < 5; i++) stages.trackStage('r', `i${i}`, 'slow', () => clock.advance(20))
    const analysis = stages.analyzeRun('r')
    expect(analysis.stages.slow).toMatchObject({ violations: 5, budgetMs: 10 })
    expect(analysis.bottlenecks.map((b) => b.stage)).toEqual(['slow'])
  })
})
