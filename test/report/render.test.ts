import { describe, expect, it } from 'vitest'
import { buildProfileReport, type ProfileData } from '../../src/report/profile-report.js'
import { renderReport } from '../../src/report/render.js'
import { metric } from '../helpers/stages.js'

const MB = 1024 * 1024

function fullData(): ProfileData {
  const calls = (durationsMs: number[]) => ({
    calls: durationsMs.length,
    inputTokens: 0,
    outputTokens: 0,
    durationsMs,
  })
  const metrics = [
    metric('a', 'SRT Parsing', 60, { itemsProcessed: 1500 }, 0),
    metric('a', 'Lexicon Matching', 900, { apiCalls: { lexicon: calls([10, 30]) } }, 60),
    metric('b', 'SRT Parsing', 60, { itemsProcessed: 1418 }, 1000),
    metric('b', 'Lexicon Matching', 990, { apiCalls: { lexicon: calls([20]) } }, 1060),
  ]
  return {
    detail: 'full',
    startedAt: '2026-12-07T11:59:00.000Z',
    durationMs: 2340,
    metrics,
    droppedMetrics: 0,
    thresholds: { 'Lexicon Matching': 500 },
    unitName: 'segments',
    peakRssBytes: 45.2 * MB,
    peakHeapBytes: 20 * MB,
    memorySamples: 30,
    stageMemory: {
      'SRT Parsing': {
        heapStartBytes: 0,
        heapEndBytes: 0,
        heapDeltaBytes: -512 * 1024,
        heapPeakBytes: 12 * MB,
        rssStartBytes: 0,
        rssEndBytes: 0,
        rssDeltaBytes: 0,
        rssPeakBytes: 40 * MB,
      },
      'Lexicon Matching': {
        heapStartBytes: 0,
        heapEndBytes: 0,
        heapDeltaBytes: 3 * MB,
        heapPeakBytes: 19 * MB,
        rssStartBytes: 0,
        rssEndBytes: 0,
        rssDeltaBytes: 5 * MB,
        rssPeakBytes: 45.2 * MB,
      },
    },
    gc: { count: 12, majorCount: 2, totalPauseMs: 30, longestPauseMs: 8 },
    heapAfterGc: [0, 1, 2, 3, 4, 5].map((i) => ({
      atMs: i * 60_000,
      heapBytes: (10 + i) * MB,
      stage: 'Lexicon Matching',
    })),
    eventLoop: { p50Ms: 10.1, p99Ms: 25, maxMs: 40 },
    http: { 'api.example.com': { durationsMs: [100, 300], errors: 1, msByStage: {} } },
    operations: { 'Orders.load': { count: 1200, meanMs: 2, p95Ms: 5 } },
    cpu: {
      file: 'p.cpuprofile',
      topFunctions: [
        { functionName: 'match', url: 'file:///app/match.js', line: 9, selfMs: 800, share: 0.4 },
        { functionName: '', url: '', line: 0, selfMs: 20, share: 0.01 },
      ],
    },
    previous: null,
  }
}

describe('renderReport', () => {
  it('prints every section with aligned columns and no colour by default', () => {
    const previous = buildProfileReport(
      {
        ...fullData(),
        metrics: [metric('a', 'Lexicon Matching', 700), metric('b', 'SRT Parsing', 60)],
        peakRssBytes: 40 * MB,
      },
      '2026-12-06T00:00:00.000Z',
    )
    const report = buildProfileReport({ ...fullData(), previous }, '2026-12-07T12:00:00.000Z')
    expect(renderReport(report)).toMatchInlineSnapshot(`
      "PERFORMANCE REPORT
      Total Duration: 2.3s   Peak Memory: 45.2MB RSS, 20.0MB heap   Processing Rate: 1,247 segments/s

      Stage Breakdown:
        SRT Parsing        120ms    6.0%   2 × median 60ms, p95 60ms     (+0% vs previous run, too few items to test)
        Lexicon Matching    1.9s   94.0%   2 × median 945ms, p95 986ms   (+35% vs previous run, too few items to test)

      External Services:
        lexicon   3 calls   avg 20ms   p95 29ms

      Memory by Stage:
        SRT Parsing        heap -512KB   peak 12.0MB      RSS +0B   peak 40.0MB
        Lexicon Matching   heap +3.0MB   peak 19.0MB   RSS +5.0MB   peak 45.2MB

      Garbage Collection: 12 GCs (2 major), 30ms paused (1.3%), longest 8.0ms
      Event Loop Delay: p50 10ms, p99 25ms, max 40ms
      Memory Leak: suspected (consecutive-growth), 6 post-GC heap readings, 1.00 MB/min, while Lexicon Matching ran

      HTTP Requests:
        api.example.com   2 requests   avg 200ms   p95 290ms   1 failed

      Operations:
        Orders.load   1,200 calls   mean 2.0ms   p95 5.0ms

      Top Functions (self time):
        match         800ms   40.0%   file:///app/match.js:10
        (anonymous)    20ms    1.0%

      Peak Memory vs Previous Run: 40.0MB → 45.2MB (+13%)

      Optimization Recommendations:
        • Optimize Lexicon Matching: p95 986ms against a 500ms budget, 94.0% of run time (2 of 2 items over budget, 890ms beyond it)
        • Possible memory leak: the heap after major GCs grows 1.0 MB/min over 6 GCs (5 growths in a row, +5.0MB), mostly while Lexicon Matching was running
      "
    `)
  })

  it('prints a profile without stages in two lines, and a single call or request in the singular', () => {
    const empty = buildProfileReport({
      ...fullData(),
      metrics: [],
      stageMemory: null,
      gc: null,
      heapAfterGc: null,
      eventLoop: null,
      http: null,
      operations: null,
      cpu: null,
    })
    expect(renderReport(empty)).toBe(
      'PERFORMANCE REPORT\nTotal Duration: 2.3s   Peak Memory: 45.2MB RSS, 20.0MB heap\n',
    )
    const single = buildProfileReport({
      ...fullData(),
      metrics: [
        metric('a', 's', 5, {
          apiCalls: { x: { calls: 1, inputTokens: 0, outputTokens: 0, durationsMs: [3] } },
        }),
      ],
      http: { h: { durationsMs: [4], errors: 0, msByStage: {} } },
    })
    const text = renderReport(single)
    expect(text).toContain('  x   1 call   avg 3.0ms   p95 3.0ms\n')
    expect(text).toContain('  h   1 request   avg 4.0ms   p95 4.0ms\n')
  })

  it('colours headings, high priorities, leaks and significant changes only when asked', () => {
    const fast = [1, 2, 3, 4, 5, 6, 7, 8]
    const slow = [20, 21, 22, 23, 24, 25, 26, 27]
    const run = (durations: number[], previous: ReturnType<typeof buildProfileReport> | null) =>
      buildProfileReport({
        ...fullData(),
        metrics: durations.map((d, i) => metric(`i${i}`, 's', d)),
        previous,
      })
    const slower = run(slow, run(fast, null))
    const colored = renderReport(slower, { color: true })
    expect(colored).toContain('\u001b[1mPERFORMANCE REPORT\u001b[0m')
    expect(colored).toContain('\u001b[33m(+')
    expect(colored).toContain('\u001b[31msuspected (consecutive-growth)\u001b[0m')
    expect(colored).toContain('• \u001b[31mPossible memory leak')
    expect(renderReport(run(fast, run(slow, null)), { color: true })).toContain('\u001b[32m(-')
    expect(renderReport(slower, { color: false })).not.toContain('\u001b')
    // columns stay aligned: the escape codes take no width
    const lines = colored.split('\n').filter((l) => l.startsWith('  s '))
    expect(lines[0]).toMatch(/^ {2}s {3}\S/)
  })

  it('gives no leak verdict below LEAK_MIN_READINGS readings, and none for a flat heap', () => {
    const few = buildProfileReport({
      ...fullData(),
      heapAfterGc: fullData().heapAfterGc?.slice(0, 4) ?? [],
    })
    expect(renderReport(few)).toContain(
      'Memory Leak: no verdict, 4 of the 5 post-GC heap readings it needs\n',
    )
    const flat = (fullData().heapAfterGc ?? []).map((r) => ({ ...r, heapBytes: 10 * MB }))
    expect(renderReport(buildProfileReport({ ...fullData(), heapAfterGc: flat }))).toContain(
      'Memory Leak: none, 6 post-GC heap readings, 0.00 MB/min\n',
    )
    const nameless = (fullData().heapAfterGc ?? []).map((r) => ({ ...r, stage: null }))
    expect(renderReport(buildProfileReport({ ...fullData(), heapAfterGc: nameless }))).toContain(
      'Memory Leak: suspected (consecutive-growth), 6 post-GC heap readings, 1.00 MB/min\n',
    )
  })

  it('aligns multi-row tables: names left, figures right', () => {
    const calls = (durationsMs: number[]) => ({
      calls: durationsMs.length,
      inputTokens: 0,
      outputTokens: 0,
      durationsMs,
    })
    const report = buildProfileReport({
      ...fullData(),
      previous: null,
      metrics: [
        metric('a', 'parse', 5, { apiCalls: { db: calls([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) } }),
        metric('a', 'load', 2000, { apiCalls: { 'search-api': calls([1500]) } }, 5),
      ],
      http: {
        'a:1': { durationsMs: [1000], errors: 0, msByStage: {} },
        'longer.host:443': { durationsMs: [5, 6], errors: 3, msByStage: {} },
      },
      operations: {
        'Orders.load': { count: 1200, meanMs: 2, p95Ms: 5 },
        x: { count: 3, meanMs: null, p95Ms: null },
      },
      heapAfterGc: null,
      cpu: null,
    })
    const text = renderReport(report)
    expect(text).toContain(
      [
        'Stage Breakdown:',
        '  parse   5.0ms    0.2%   1 × median 5.0ms, p95 5.0ms',
        '  load     2.0s   99.8%   1 × median 2.0s, p95 2.0s',
        '',
        'External Services:',
        '  search-api     1 call    avg 1.5s   p95 1.5s',
        '  db           11 calls   avg 6.0ms   p95 11ms',
        '',
      ].join('\n'),
    )
    expect(text).toContain(
      [
        'HTTP Requests:',
        '  a:1                1 request    avg 1.0s    p95 1.0s',
        '  longer.host:443   2 requests   avg 5.5ms   p95 6.0ms   3 failed',
        '',
        'Operations:',
        '  Orders.load   1,200 calls   mean 2.0ms   p95 5.0ms',
        '  x                 3 calls       mean -   p95 -',
        '',
      ].join('\n'),
    )
  })

  it('leaves out empty HTTP and CPU sections, and a peak comparison without a previous peak', () => {
    const previous = buildProfileReport({ ...fullData(), peakRssBytes: 0 })
    const text = renderReport(
      buildProfileReport({
        ...fullData(),
        http: {},
        cpu: { file: null, topFunctions: [] },
        previous,
      }),
    )
    expect(text).not.toContain('HTTP Requests')
    expect(text).not.toContain('Top Functions')
    expect(text).not.toContain('Peak Memory vs Previous Run')
    expect(text).toContain('Stage Breakdown:')
  })

  it('gives a verdict from exactly LEAK_MIN_READINGS readings, and no rate without a slope', () => {
    const five = (fullData().heapAfterGc ?? []).slice(0, 5)
    expect(renderReport(buildProfileReport({ ...fullData(), heapAfterGc: five }))).toContain(
      'Memory Leak: suspected (slope), 5 post-GC heap readings, 1.00 MB/min, while Lexicon Matching ran\n',
    )
    const instant = (fullData().heapAfterGc ?? []).map((r) => ({ ...r, atMs: 5 }))
    expect(renderReport(buildProfileReport({ ...fullData(), heapAfterGc: instant }))).toContain(
      'Memory Leak: suspected (consecutive-growth), 6 post-GC heap readings, while Lexicon Matching ran\n',
    )
  })

  it('colours neither a change that is not significant nor a medium recommendation', () => {
    const base = [10, 11, 12, 13, 14, 15, 16, 17]
    const previous = buildProfileReport({
      ...fullData(),
      metrics: base.map((d, i) => metric(`i${i}`, 's', d)),
    })
    const report = buildProfileReport({
      ...fullData(),
      metrics: base.map((d, i) => metric(`i${i}`, 's', d + 0.1)),
      heapAfterGc: null,
      gc: { count: 1, majorCount: 0, totalPauseMs: 1000, longestPauseMs: 1000 },
      previous,
    })
    const text = renderReport(report, { color: true })
    expect(text).toContain('(+1% vs previous run, not significant)\n')
    expect(text).not.toContain('\u001b[33m')
    expect(text).toContain('  • Garbage collection paused')
    expect(text).not.toContain('\u001b[31m')
  })
})
