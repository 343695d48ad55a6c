import { describe, expect, it } from 'vitest'
import {
  buildProfileReport,
  GC_PAUSE_SHARE,
  type HeapReading,
  IO_DOMINANT_SHARE,
  LEAK_MIN_GROWTH_BYTES,
  leakVerdict,
  MAX_KEPT_DURATIONS,
  MEMORY_MIN_GROWTH_BYTES,
  type ProfileData,
  type StageMemory,
  thinned,
} from '../../src/report/profile-report.js'
import { metric } from '../helpers/stages.js'

const MB = 1024 * 1024
const GENERATED_AT = '2026-12-07T12:00:00.000Z'

function data(extra: Partial<ProfileData> = {}): ProfileData {
  return {
    detail: 'basic',
    startedAt: '2026-12-07T11:59:00.000Z',
    durationMs: 1000,
    metrics: [],
    droppedMetrics: 0,
    thresholds: {},
    unitName: 'segments',
    peakRssBytes: 50 * MB,
    peakHeapBytes: 20 * MB,
    memorySamples: 7,
    stageMemory: null,
    gc: null,
    heapAfterGc: null,
    eventLoop: null,
    http: null,
    operations: null,
    cpu: null,
    previous: null,
    ...extra,
  }
}

function memory(heapDeltaBytes: number, extra: Partial<StageMemory> = {}): StageMemory {
  return {
    heapStartBytes: 10 * MB,
    heapEndBytes: 10 * MB + heapDeltaBytes,
    heapDeltaBytes,
    heapPeakBytes: 40 * MB,
    rssStartBytes: 30 * MB,
    rssEndBytes: 31 * MB,
    rssDeltaBytes: MB,
    rssPeakBytes: 60 * MB,
    ...extra,
  }
}

/** Readings one minute apart from the profiler clock's hour 1, heap values in MB. */
function readings(heapsMb: number[], stage: string | null = 'match'): HeapReading[] {
  return heapsMb.map((mb, i) => ({ atMs: 3_600_000 + i * 60_000, heapBytes: mb * MB, stage }))
}

describe('buildProfileReport', () => {
  it('gives per-stage durations, shares of the stage time and the processing rate', () => {
    const metrics = [
      metric('a', 'parse', 100, { itemsProcessed: 300 }, 0),
      metric('a', 'match', 500, {}, 100),
      metric('b', 'parse', 50, { itemsProcessed: 200 }, 600),
      metric('b', 'match', 300, { status: 'error' }, 650),
    ]
    const report = buildProfileReport(data({ metrics, durationMs: 2000 }), GENERATED_AT)
    expect(report).toMatchObject({
      format: 'perfwatch-profile',
      version: 1,
      generatedAt: GENERATED_AT,
      startedAt: '2026-12-07T11:59:00.000Z',
      detail: 'basic',
      summary: {
        durationMs: 2000,
        stageTimeMs: 950,
        items: 2,
        stageCount: 2,
        unitName: 'segments',
        unitsProcessed: 500,
        unitsPerSecond: 250, // 500 units in 2 s
        peakRssBytes: 50 * MB,
        peakHeapBytes: 20 * MB,
        memorySamples: 7,
        droppedMetrics: 0,
      },
      gc: null,
      eventLoop: null,
      http: null,
      leak: null,
      cpu: null,
      comparison: null,
      operations: [],
    })
    expect(report.stages).toEqual([
      {
        stage: 'parse',
        count: 2,
        totalMs: 150,
        shareOfTotal: 150 / 950, // of the summed stage time, not of the 2 s profiled
        averageMs: 75,
        medianMs: 75,
        p95Ms: 97.5, // R-7 of [50, 100]: 50 + 0.95 · 50
        maxMs: 100,
        errorCount: 0,
        itemsProcessed: 500,
        memory: null,
        durationsMs: [100, 50],
      },
      {
        stage: 'match',
        count: 2,
        totalMs: 800,
        shareOfTotal: 800 / 950,
        averageMs: 400,
        medianMs: 400,
        p95Ms: 490,
        maxMs: 500,
        errorCount: 1,
        itemsProcessed: 0,
        memory: null,
        durationsMs: [500, 300],
      },
    ])
    // analyzeRun's: match is 84.2 % of the summed stage time, so dominant
    expect(report.bottlenecks.map((b) => b.stage)).toEqual(['match'])
    expect(report.recommendations.map((r) => r.kind)).toEqual(['errors', 'optimize'])
  })

  it('counts items by run and item id, and has no rate without units or duration', () => {
    const metrics = [metric('a', 's', 10), { ...metric('a', 's', 10), runId: 'other' }]
    const report = buildProfileReport(data({ metrics }), GENERATED_AT)
    expect(report.summary.items).toBe(2)
    expect(report.summary.unitsPerSecond).toBeNull()
    const timeless = buildProfileReport(
      data({ metrics: [metric('a', 's', 0, { itemsProcessed: 5 })], durationMs: 0 }),
      GENERATED_AT,
    )
    expect(timeless.summary.unitsPerSecond).toBeNull()
    expect(timeless.stages[0]?.shareOfTotal).toBe(0)
  })

  it('reports an empty profile without analysis', () => {
    const report = buildProfileReport(data(), GENERATED_AT)
    expect(report.stages).toEqual([])
    expect(report.bottlenecks).toEqual([])
    expect(report.recommendations).toEqual([])
    expect(report.services).toEqual([])
  })

  it('gives response times per service, the largest total first', () => {
    const calls = (durationsMs: number[]) => ({
      calls: durationsMs.length,
      inputTokens: 0,
      outputTokens: 0,
      durationsMs,
    })
    const metrics = [
      metric('a', 's', 100, { apiCalls: { fast: calls([1, 3]), slow: calls([40]) } }),
      metric('b', 's', 100, { apiCalls: { slow: calls([20]), untimed: calls([]) } }),
    ]
    const report = buildProfileReport(data({ metrics }), GENERATED_AT)
    expect(report.services).toEqual([
      { service: 'slow', calls: 2, averageMs: 30, p95Ms: 39, totalMs: 60 },
      { service: 'fast', calls: 2, averageMs: 2, p95Ms: 2.9, totalMs: 4 },
    ])
  })

  it('lists the default tracker operations, the most called first', () => {
    const operations = {
      rare: { count: 2, meanMs: 5, p95Ms: 6 },
      often: { count: 10, meanMs: null, p95Ms: null },
    }
    const report = buildProfileReport(data({ operations }), GENERATED_AT)
    expect(report.operations).toEqual([
      { operation: 'often', count: 10, meanMs: null, p95Ms: null },
      { operation: 'rare', count: 2, meanMs: 5, p95Ms: 6 },
    ])
  })

  it('keeps the GC figures with their share of the run, and advises above GC_PAUSE_SHARE', () => {
    const gc = { count: 40, majorCount: 3, totalPauseMs: 50, longestPauseMs: 9 }
    const at = buildProfileReport(data({ gc, durationMs: 50 / GC_PAUSE_SHARE }), GENERATED_AT)
    expect(at.gc).toEqual({ ...gc, shareOfRun: GC_PAUSE_SHARE })
    expect(at.recommendations).toEqual([
      {
        priority: 'medium',
        kind: 'gc',
        stage: null,
        message:
          'Garbage collection paused the process 5.0% of the time (40 GCs, 50ms of 1.0s, ' +
          'longest 9.0ms): allocate less per item or reuse buffers',
        figures: { shareOfRun: 0.05, count: 40, totalPauseMs: 50, longestPauseMs: 9 },
      },
    ])
    const below = buildProfileReport(data({ gc, durationMs: 1001 }), GENERATED_AT)
    expect(below.recommendations).toEqual([])
    const timeless = buildProfileReport(data({ gc, durationMs: 0 }), GENERATED_AT)
    expect(timeless.gc?.shareOfRun).toBe(0)
  })

  it('advises on a stage whose heap growth dominates and is large enough', () => {
    const metrics = [metric('a', 'load', 10), metric('a', 'save', 10, {}, 10)]
    const stageMemory = {
      load: memory(MEMORY_MIN_GROWTH_BYTES),
      save: memory(MEMORY_MIN_GROWTH_BYTES),
    }
    const report = buildProfileReport(
      data({ metrics, stageMemory, detail: 'detailed' }),
      GENERATED_AT,
    )
    expect(report.stages[0]?.memory).toEqual(stageMemory.load)
    // each is exactly half of the growth: both at MEMORY_DOMINANT_SHARE
    const memoryAdvice = report.recommendations.filter((r) => r.kind === 'memory')
    expect(memoryAdvice).toEqual([
      {
        priority: 'medium',
        kind: 'memory',
        stage: 'load',
        message:
          'Reduce what load allocates: the heap grew 8.0MB while it ran (1 run), 50.0% of the growth across stages (peak heap inside 40.0MB)',
        figures: { heapDeltaBytes: 8 * MB, shareOfGrowth: 0.5, heapPeakBytes: 40 * MB, count: 1 },
      },
      expect.objectContaining({ stage: 'save' }),
    ])
  })

  it('gives no memory advice below the growth floor, below the share, or for shrinking stages', () => {
    const metrics = [
      metric('a', 'load', 10),
      metric('b', 'load', 10),
      metric('a', 'save', 10, {}, 10),
    ]
    const small = { load: memory(MEMORY_MIN_GROWTH_BYTES - 1), save: memory(-50 * MB) }
    expect(
      buildProfileReport(
        data({ metrics, stageMemory: small }),
        GENERATED_AT,
      ).recommendations.filter((r) => r.kind === 'memory'),
    ).toEqual([])
    const shared = { load: memory(10 * MB), save: memory(10 * MB + 1) }
    const advice = buildProfileReport(data({ metrics, stageMemory: shared }), GENERATED_AT)
      .recommendations.filter((r) => r.kind === 'memory')
      .map((r) => r.stage)
    expect(advice).toEqual(['save']) // load's share is just below one half
    const plural = buildProfileReport(
      data({ metrics, stageMemory: { load: memory(20 * MB), save: memory(0) } }),
      GENERATED_AT,
    ).recommendations.find((r) => r.kind === 'memory')
    expect(plural?.message).toContain('(2 runs), 100.0%')
  })

  it('advises on a host whose HTTP requests dominate a stage', () => {
    const metrics = [metric('a', 'fetch', 100), metric('a', 'store', 100, {}, 100)]
    const http = {
      'db:5432': { durationsMs: [49, 1], errors: 1, msByStage: { store: 49, fetch: 50 } },
      'api:443': { durationsMs: [60], errors: 0, msByStage: { store: 60 } },
      'cdn:443': { durationsMs: [500], errors: 0, msByStage: { fetch: 500, unknown: 500 } },
    }
    const report = buildProfileReport(data({ metrics, http }), GENERATED_AT)
    const io = report.recommendations.filter((r) => r.kind === 'io')
    expect(io).toEqual([
      {
        priority: 'medium',
        kind: 'io',
        stage: 'fetch',
        message:
          'fetch spends 50.0% of its time waiting on HTTP requests to db:5432: 50ms of 100ms; cache, batch or overlap these requests',
        figures: { host: 'db:5432', waitMs: 50, stageMs: 100, share: IO_DOMINANT_SHARE },
      },
      expect.objectContaining({
        stage: 'store',
        figures: { host: 'api:443', waitMs: 60, stageMs: 100, share: 0.6 },
      }),
      // overlapping requests: their sum passes the stage's time, the share stops at 1
      expect.objectContaining({
        stage: 'fetch',
        figures: { host: 'cdn:443', waitMs: 500, stageMs: 100, share: 1 },
      }),
    ])
    expect(report.http).toEqual([
      { host: 'cdn:443', requests: 1, errors: 0, averageMs: 500, p95Ms: 500, totalMs: 500 },
      { host: 'api:443', requests: 1, errors: 0, averageMs: 60, p95Ms: 60, totalMs: 60 },
      {
        host: 'db:5432',
        requests: 2,
        errors: 1,
        averageMs: 25,
        p95Ms: 46.599999999999994,
        totalMs: 50,
      },
    ])
  })

  it('leaves services to analyzeRun, and lists hosts without finished requests', () => {
    const calls = { calls: 1, inputTokens: 0, outputTokens: 0, durationsMs: [90] }
    const metrics = [metric('a', 'fetch', 100, { apiCalls: { gemini: calls } })]
    const http = { 'x:1': { durationsMs: [], errors: 2, msByStage: { fetch: 49 } } }
    const report = buildProfileReport(data({ metrics, http }), GENERATED_AT)
    expect(report.recommendations.map((r) => r.kind)).toEqual(['external-api'])
    expect(report.http).toEqual([
      { host: 'x:1', requests: 0, errors: 2, averageMs: 0, p95Ms: 0, totalMs: 0 },
    ])
  })

  it('puts high priorities first and keeps the order of the rules within a priority', () => {
    const metrics = [metric('a', 's', 100, { status: 'error' })]
    const gc = { count: 1, majorCount: 1, totalPauseMs: 500, longestPauseMs: 500 }
    const heapAfterGc = readings([10, 12, 14, 16, 18, 20])
    const report = buildProfileReport(data({ metrics, gc, heapAfterGc }), GENERATED_AT)
    expect(report.recommendations.map((r) => `${r.priority} ${r.kind}`)).toEqual([
      'high errors',
      'high leak',
      'medium gc',
    ])
  })

  it('sorts by priority, keeping the order of the rules within one', () => {
    // analyzeRun gives a medium (a dominant stage); the leak rule, added later, is high
    const metrics = [metric('a', 'big', 900), metric('a', 'small', 100, {}, 900)]
    const gc = { count: 1, majorCount: 1, totalPauseMs: 500, longestPauseMs: 500 }
    const heapAfterGc = readings([10, 11, 12, 13, 14, 15])
    const stageMemory = { small: memory(20 * MB), big: memory(0) }
    const http = { h: { durationsMs: [60], errors: 0, msByStage: { small: 60 } } }
    const report = buildProfileReport(
      data({ metrics, gc, heapAfterGc, stageMemory, http }),
      GENERATED_AT,
    )
    expect(report.recommendations.map((r) => `${r.priority} ${r.kind} ${r.stage}`)).toEqual([
      'high leak match',
      'medium optimize big',
      'medium memory small',
      'medium gc null',
      'medium io small',
    ])
  })

  it('gives no leak advice for a heap that does not leak', () => {
    const report = buildProfileReport(
      data({ heapAfterGc: readings([10, 12, 9, 11, 10, 12]) }),
      GENERATED_AT,
    )
    expect(report.leak?.isLeak).toBe(false)
    expect(report.recommendations).toEqual([])
  })

  it('thins the kept durations to MAX_KEPT_DURATIONS', () => {
    const metrics = Array.from({ length: MAX_KEPT_DURATIONS + 1 }, (_, i) =>
      metric(`i${i}`, 's', i),
    )
    const report = buildProfileReport(data({ metrics }), GENERATED_AT)
    expect(report.stages[0]?.durationsMs).toHaveLength(MAX_KEPT_DURATIONS)
    expect(report.stages[0]?.count).toBe(MAX_KEPT_DURATIONS + 1)
  })
})

describe('thinned', () => {
  it('keeps evenly spaced values in order', () => {
    expect(thinned([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([0, 2, 4, 6, 8])
    expect(thinned([0, 1, 2], 3)).toEqual([0, 1, 2])
    expect(thinned([0, 1, 2, 3], 3)).toEqual([0, 1, 2])
    expect(thinned([0, 1, 2], 5)).toEqual([0, 1, 2])
    expect(thinned([], 5)).toEqual([])
  })
})

describe('leakVerdict', () => {
  it('flags LEAK_CONSECUTIVE_GROWTHS growths in a row adding up to LEAK_MIN_GROWTH_BYTES', () => {
    // 5 growths of 0.2 MiB, 1 MiB together
    const verdict = leakVerdict(readings([10, 10.2, 10.4, 10.6, 10.8, 11]))
    expect(verdict).toMatchObject({
      isLeak: true,
      rule: 'consecutive-growth',
      readings: 6,
      consecutiveGrowths: 5,
      stage: 'match',
    })
    expect(verdict.streakGrowthBytes).toBeCloseTo(LEAK_MIN_GROWTH_BYTES, 0)
    expect(verdict.growthMbPerMinute).toBeCloseTo(0.2, 9)
    // a perfect line has no standard error, so no t, and it is steep
    const exact = leakVerdict(readings([10, 10.25, 10.5, 10.75, 11, 11.25]).slice(0, 5))
    expect(exact).toMatchObject({
      isLeak: true,
      rule: 'slope',
      slopeT: null,
      consecutiveGrowths: 4,
    })
    const flat = leakVerdict(readings([10, 10, 10, 10, 10]))
    expect(flat).toMatchObject({ isLeak: false, slopeT: null, growthMbPerMinute: 0 })
  })

  it('does not flag four growths, nor five adding up to less than the floor', () => {
    // four growths then a drop, no trend: no slope either
    const four = leakVerdict(readings([10, 11, 12, 13, 14, 9, 9.5, 9]))
    expect(four).toMatchObject({ isLeak: false, rule: null, consecutiveGrowths: 4 })
    const small = leakVerdict(readings([10, 10.1, 10.2, 10.3, 10.4, 10.5]))
    expect(small).toMatchObject({ isLeak: false, consecutiveGrowths: 5 })
    expect(small.streakGrowthBytes).toBeLessThan(LEAK_MIN_GROWTH_BYTES)
  })

  it('counts an unchanged reading as the end of a streak', () => {
    const verdict = leakVerdict(readings([10, 12, 14, 14, 16, 18, 20]))
    expect(verdict.consecutiveGrowths).toBe(3)
    expect(verdict.rule).not.toBe('consecutive-growth')
  })

  it('keeps the first of two equally long streaks when it grew more, and never a shorter one', () => {
    const first = leakVerdict(readings([10, 15, 20, 5, 6, 7]))
    expect(first.consecutiveGrowths).toBe(2)
    expect(first.streakGrowthBytes).toBe(10 * MB)
    const shorter = leakVerdict(readings([10, 11, 12, 13, 0, 50]))
    expect(shorter.consecutiveGrowths).toBe(3)
    expect(shorter.streakGrowthBytes).toBe(3 * MB)
  })

  it('does not flag a rising but noisy heap whose slope is not significant', () => {
    const verdict = leakVerdict(readings([10, 20, 5, 25, 8, 30, 12])) // slope 1.04 MB/min, t 0.55
    expect(verdict.slopeT as number).toBeGreaterThan(0)
    expect(verdict.slopeT as number).toBeLessThan(3)
    expect((verdict.growthMbPerMinute as number) * 6).toBeGreaterThan(1) // fitted growth over 6 min
    expect(verdict.isLeak).toBe(false)
  })

  it('gives a growth rate from two readings, without a t', () => {
    const verdict = leakVerdict(readings([10, 12]))
    expect(verdict.growthMbPerMinute).toBeCloseTo(2, 9)
    expect(verdict.slopeT).toBeNull()
  })

  it('keeps the longest streak, and the larger one of two equally long', () => {
    const verdict = leakVerdict(readings([10, 11, 12, 5, 8, 12, 4]))
    expect(verdict.consecutiveGrowths).toBe(2)
    expect(verdict.streakGrowthBytes).toBe(7 * MB)
    const later = leakVerdict(readings([10, 11, 5, 6, 7, 8, 9, 3]))
    expect(later.consecutiveGrowths).toBe(4)
    expect(later.streakGrowthBytes).toBe(4 * MB)
  })

  it('flags a significant slope with enough fitted growth, without a streak', () => {
    // rising with noise: never five growths in a row
    const heaps = [10, 12, 11, 13, 12, 14, 13, 15, 14, 16]
    const verdict = leakVerdict(readings(heaps))
    expect(verdict.consecutiveGrowths).toBe(1)
    expect(verdict.isLeak).toBe(true)
    expect(verdict.rule).toBe('slope')
    expect(verdict.slopeT as number).toBeGreaterThan(3)
    // slope of heaps on minutes 0..9: Sxy / Sxx = 45 / 82.5 MB per minute
    expect(verdict.growthMbPerMinute).toBeCloseTo(45 / 82.5, 9)
  })

  it('does not flag a significant slope whose fitted growth is below the floor', () => {
    const heaps = [10, 10.12, 10.11, 10.13, 10.12, 10.14, 10.13, 10.15, 10.14, 10.16]
    const verdict = leakVerdict(readings(heaps))
    expect(verdict.slopeT as number).toBeGreaterThan(3)
    expect(verdict).toMatchObject({ isLeak: false, rule: null })
  })

  it('does not flag a noisy flat heap, nor a falling one', () => {
    expect(leakVerdict(readings([10, 14, 9, 13, 10, 12, 11])).isLeak).toBe(false)
    const falling = leakVerdict(readings([20, 19, 18, 17, 16, 15]))
    expect(falling).toMatchObject({ isLeak: false, slopeT: null, consecutiveGrowths: 0 })
    expect(falling.growthMbPerMinute).toBeCloseTo(-1, 9)
  })

  it('needs LEAK_MIN_READINGS readings', () => {
    const four = leakVerdict(readings([10, 20, 30, 40]))
    expect(four).toMatchObject({ isLeak: false, readings: 4, consecutiveGrowths: 3 })
    expect(four.growthMbPerMinute).toBeCloseTo(10, 9)
    expect(leakVerdict(readings([10]))).toMatchObject({ growthMbPerMinute: null, slopeT: null })
    expect(leakVerdict([])).toMatchObject({ readings: 0, growthMbPerMinute: null, stage: null })
    // readings at one instant: no slope
    const instant = [10, 20, 30, 40, 50, 60].map((mb) => ({
      atMs: 5,
      heapBytes: mb * MB,
      stage: null,
    }))
    expect(leakVerdict(instant)).toMatchObject({
      rule: 'consecutive-growth',
      growthMbPerMinute: null,
    })
  })

  it('names the stage running at most readings', () => {
    const mixed: HeapReading[] = readings([10, 11, 12, 13, 14, 15]).map((r, i) => ({
      ...r,
      stage: i === 0 ? null : i < 3 ? 'a' : 'b',
    }))
    expect(leakVerdict(mixed).stage).toBe('b')
    const tie = readings([1, 2], null).map((r, i) => ({ ...r, stage: i === 0 ? 'x' : 'y' }))
    expect(leakVerdict(tie).stage).toBe('x')
    const mostlyOutside = readings([1, 2, 3, 4], null).map((r, i) => ({
      ...r,
      stage: i === 3 ? 'x' : null,
    }))
    expect(leakVerdict(mostlyOutside).stage).toBe('x')
  })

  it('gives the leak recommendation with its numbers', () => {
    const report = buildProfileReport(
      data({ heapAfterGc: readings([10, 11, 12, 13, 14, 15]) }),
      GENERATED_AT,
    )
    expect(report.recommendations).toEqual([
      {
        priority: 'high',
        kind: 'leak',
        stage: 'match',
        message:
          'Possible memory leak: the heap after major GCs grows 1.0 MB/min over 6 GCs (5 growths in a row, +5.0MB), mostly while match was running',
        figures: {
          growthMbPerMinute: 1,
          readings: 6,
          consecutiveGrowths: 5,
          streakGrowthBytes: 5 * MB,
          slopeT: null,
          stage: 'match',
        },
      },
    ])
    const bySlope = buildProfileReport(
      data({ heapAfterGc: readings([10, 12, 11, 13, 12, 14, 13, 15, 14, 16], null) }),
      GENERATED_AT,
    ).recommendations[0]
    const straight = buildProfileReport(
      data({ heapAfterGc: readings([10, 10.25, 10.5, 10.75, 11]) }),
      GENERATED_AT,
    ).recommendations[0]
    expect(straight?.message).toBe(
      'Possible memory leak: the heap after major GCs grows 0.3 MB/min over 5 GCs (a straight rise), mostly while match was running',
    )
    expect(bySlope?.message).toMatch(
      /^Possible memory leak: the heap after major GCs grows 0\.5 MB\/min over 10 GCs \(slope \d+\.\d standard errors above 0\)$/,
    )
  })
})

describe('comparison with a previous run', () => {
  function run(durations: Record<string, number[]>, peakRssBytes = 50 * MB) {
    const metrics = Object.entries(durations).flatMap(([stage, list]) =>
      list.map((d, i) => metric(`i${i}`, stage, d)),
    )
    return buildProfileReport(data({ metrics, peakRssBytes }), GENERATED_AT)
  }

  it('tests the change of each stage with Mann-Whitney U, and compares peak memory', () => {
    const before = run({
      slow: [10, 11, 12, 13, 14, 15, 16, 17],
      same: [5, 6, 7, 8, 9, 10, 11, 12],
    })
    const after = buildProfileReport(
      data({
        metrics: [
          ...[20, 21, 22, 23, 24, 25, 26, 27].map((d, i) => metric(`i${i}`, 'slow', d)),
          ...[5, 6, 7, 8, 9, 10, 11, 13].map((d, i) => metric(`i${i}`, 'same', d)),
          metric('new', 'new', 1),
        ],
        peakRssBytes: 75 * MB,
        previous: before,
      }),
      GENERATED_AT,
    )
    const comparison = after.comparison
    expect(comparison).toMatchObject({
      previousGeneratedAt: GENERATED_AT,
      previousPeakRssBytes: 50 * MB,
      peakRssChange: 0.5,
    })
    expect(comparison?.stages.map((s) => s.stage)).toEqual(['slow', 'same'])
    const slow = comparison?.stages[0]
    expect(slow).toMatchObject({ previousMedianMs: 13.5, medianMs: 23.5, isSignificant: true })
    expect(slow?.change).toBeCloseTo(23.5 / 13.5 - 1, 12)
    // disjoint samples of 8 and 8: U = 64, scipy's asymptotic p 0.0009391056991171487
    expect(slow?.pValue).toBeCloseTo(0.0009391056991171487, 6)
    expect(comparison?.stages[1]).toMatchObject({ change: 0, isSignificant: false })
  })

  it('does not test a stage with fewer than MIN_ITEMS_FOR_TEST items on either side', () => {
    const before = run({ s: [1, 2, 3, 4, 5, 6, 7, 8] }, 0)
    const after = buildProfileReport(
      data({
        metrics: [10, 20, 30, 40, 50, 60, 70].map((d, i) => metric(`i${i}`, 's', d)),
        previous: before,
      }),
      GENERATED_AT,
    )
    expect(after.comparison?.stages[0]).toMatchObject({ pValue: null, isSignificant: false })
    expect(after.comparison?.peakRssChange).toBeNull()
    const reverse = buildProfileReport(
      data({
        metrics: [10, 20, 30, 40, 50, 60, 70, 80].map((d, i) => metric(`i${i}`, 's', d)),
        previous: run({ s: [1, 2, 3, 4, 5, 6, 7] }),
      }),
      GENERATED_AT,
    )
    expect(reverse.comparison?.stages[0]?.pValue).toBeNull()
  })

  it('says not significant for a change below MIN_RELEVANT_CHANGE, however small p is', () => {
    const base = Array.from({ length: 50 }, (_, i) => 100 + i / 100)
    const before = run({ s: base })
    // every item 4.9 % slower: U test p far below 0.05, but the median moved less than 5 %
    const small = buildProfileReport(
      data({ metrics: base.map((d, i) => metric(`i${i}`, 's', d * 1.049)), previous: before }),
      GENERATED_AT,
    ).comparison?.stages[0]
    expect(small?.pValue as number).toBeLessThan(0.001)
    expect(small?.isSignificant).toBe(false)
    const faster = buildProfileReport(
      data({ metrics: base.map((d, i) => metric(`i${i}`, 's', d * 0.95)), previous: before }),
      GENERATED_AT,
    ).comparison?.stages[0]
    expect(faster?.change).toBeCloseTo(-0.05, 9)
    expect(faster?.isSignificant).toBe(true)
  })

  it('calls a change of exactly MIN_RELEVANT_CHANGE of the median relevant', () => {
    const base = [79.9, 79.95, 80, 80, 80, 80, 80.05, 80.1] // median 80
    const before = run({ s: base })
    const compare = (shiftMs: number) =>
      buildProfileReport(
        data({ metrics: base.map((d, i) => metric(`i${i}`, 's', d + shiftMs)), previous: before }),
        GENERATED_AT,
      ).comparison?.stages[0]
    expect(compare(4)).toMatchObject({ medianMs: 84, isSignificant: true }) // 4 = 5 % of 80
    expect(compare(3.99)?.isSignificant).toBe(false)
    expect(compare(3.99)?.pValue as number).toBeLessThan(0.01)
  })

  it('says not significant when p is above the level, however large the change', () => {
    const before = run({ s: [1, 2, 3, 4, 5, 6, 7, 8] })
    const after = buildProfileReport(
      data({
        metrics: [1, 2, 3, 4, 6, 7, 8, 9].map((d, i) => metric(`i${i}`, 's', d)),
        previous: before,
      }),
      GENERATED_AT,
    ).comparison?.stages[0]
    expect(after?.change).toBeCloseTo(5 / 4.5 - 1, 12)
    expect(after?.pValue as number).toBeGreaterThan(0.05)
    expect(after?.isSignificant).toBe(false)
  })

  it('says not significant at p exactly at or above the level', () => {
    const before = run({ s: [1, 2, 3, 4, 5, 6, 7, 8] })
    const after = buildProfileReport(
      data({
        metrics: [1, 2, 3, 4, 5, 6, 7, 9].map((d, i) => metric(`i${i}`, 's', d)),
        previous: before,
      }),
      GENERATED_AT,
    )
    expect(after.comparison?.stages[0]?.pValue as number).toBeGreaterThan(0.05)
    expect(after.comparison?.stages[0]?.isSignificant).toBe(false)
  })
})
