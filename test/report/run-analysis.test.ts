import { describe, expect, it } from 'vitest'
import type { StageMetric } from '../../src/index.js'
import { analyzeRun } from '../../src/report/run-analysis.js'
import { runSummary, stageStatistics } from '../../src/report/stage-statistics.js'
import { testStages } from '../helpers/stages.js'

const T0 = Date.parse('2026-01-01T00:00:00.000Z')

/** A metric of `item` in `stage`, starting `startMs` after T0. */
function metric(
  item: string,
  stage: string,
  durationMs: number,
  extra: Partial<StageMetric> = {},
  startMs = 0,
): StageMetric {
  return {
    runId: 'r',
    itemId: item,
    stage,
    status: 'success',
    error: null,
    startedAt: new Date(T0 + startMs).toISOString(),
    durationMs,
    apiCalls: {},
    itemsProcessed: 0,
    attributes: {},
    ...extra,
  }
}

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
    expect(analysis.recommendations[0]?.message).toBe(
      'Optimize extraction first: 90.0% of run time (average 90ms, p95 90ms)',
    )
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
    })
    expect(
      analyzeRun(
        'r',
        pipeline(2, () => 5),
        { total: 100 },
      ).summary.itemsOverBudget,
    ).toBe(0)
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

  it('runs through StageTracker.analyzeRun with the tracker’s thresholds', () => {
    const { stages, clock } = testStages({ thresholds: { slow: 10 } })
    for (let i = 0; i < 5; i++) stages.trackStage('r', `i${i}`, 'slow', () => clock.advance(20))
    const analysis = stages.analyzeRun('r')
    expect(analysis.stages.slow).toMatchObject({ violations: 5, budgetMs: 10 })
    expect(analysis.bottlenecks.map((b) => b.stage)).toEqual(['slow'])
  })
})
