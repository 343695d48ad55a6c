import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import {
  currentStage,
  InvalidArgumentError,
  InvalidOptionError,
  PerfwatchError,
  STAGE_FILE_FORMAT,
  STAGE_FILE_VERSION,
  type StageMetric,
  StageTracker,
  UnknownRunError,
  UnknownStageError,
} from '../../src/index.js'
import { faultyClock } from '../helpers/clock.js'
import { ERROR, logSink, WARN } from '../helpers/log-sink.js'
import { itRealTime } from '../helpers/mutation.js'
import { filesUnder, testStages } from '../helpers/stages.js'
import { thrownBy } from '../helpers/thrown.js'
import { tempDir } from '../helpers/tmp.js'

const RUN = '2025-11-04T14:30:00'

function readMetric(
  outputDir: string,
  runId: string,
  file: string,
): StageMetric & { format: string; version: number } {
  return JSON.parse(readFileSync(join(outputDir, 'metrics', runId, file), 'utf8'))
}

describe('trackStage: the contract', () => {
  it('times an async stage with the injected clock and writes its metric before it settles', async () => {
    const { stages, clock, outputDir } = testStages()
    const result = await stages.trackStage(RUN, 'msg_001', 'extraction', async (ctx) => {
      clock.advance(150)
      ctx.recordApiCall('gemini', { tokens: { input: 1250, output: 180 } })
      return { fields: 3 }
    })
    expect(result).toEqual({ fields: 3 })
    const metric = readMetric(outputDir, RUN, 'msg_001_extraction.json')
    expect(metric).toMatchObject({
      format: STAGE_FILE_FORMAT,
      version: STAGE_FILE_VERSION,
      runId: RUN,
      itemId: 'msg_001',
      stage: 'extraction',
      status: 'success',
      error: null,
      durationMs: 150,
      apiCalls: { gemini: { calls: 1, inputTokens: 1250, outputTokens: 180, durationsMs: [] } },
    })
    expect(Date.parse(metric.startedAt)).not.toBeNaN()
  })

  it('times a synchronous stage and returns its value synchronously', () => {
    const { stages, clock, outputDir } = testStages()
    const value = stages.trackStage(RUN, 'a', 'parse', () => {
      clock.advance(7.5)
      return 42
    })
    expect(value).toBe(42)
    expect(readMetric(outputDir, RUN, 'a_parse.json').durationMs).toBe(7.5)
  })

  it('dates a stage by the wall time its clock reading stands for', () => {
    const before = Date.now()
    const { stages, clock } = testStages()
    const after = Date.now()
    clock.advance(500)
    const startedMs = Date.parse(stages.startStage(RUN, 'a', 's').startedAt)
    expect(startedMs).toBeGreaterThanOrEqual(before + 500)
    expect(startedMs).toBeLessThanOrEqual(after + 500)
  })

  itRealTime('measures real time with the default clock', async () => {
    const outputDir = tempDir()
    const stages = new StageTracker({ outputDir, tracker: false })
    await stages.trackStage('r', 'i', 'wait', () => sleep(30))
    const { minMs } = stages.getStageStatistics('r', 'wait')
    expect(minMs).toBeGreaterThanOrEqual(29) // setTimeout never fires early by more than 1 ms
    expect(minMs).toBeLessThan(5000)
  })

  it('counts API calls and tokens per service, and sums them in the statistics', async () => {
    const { stages } = testStages()
    for (const item of ['m1', 'm2']) {
      await stages.trackStage(RUN, item, 'extraction', async (ctx) => {
        ctx.recordApiCall('gemini', { tokens: { input: 1000, output: 100 }, durationMs: 40 })
        ctx.recordApiCall('gemini', { tokens: { input: 250, output: 80 }, durationMs: 60 })
        ctx.recordApiCall('vision', { tokens: { input: 5 } })
      })
    }
    const stats = stages.getStageStatistics(RUN, 'extraction')
    expect(stats.totalApiCalls).toEqual({ gemini: 4, vision: 2 })
    expect(stats.totalTokens).toEqual({ input: 2510, output: 360 })
    expect(stats.tokensByService).toEqual({
      gemini: { input: 2500, output: 360 },
      vision: { input: 10, output: 0 },
    })
    // 40, 60, 40, 60: average 50; R-7 p95: h = 3 * 0.95 = 2.85 → 60
    expect(stats.apiResponseTimes).toEqual({
      gemini: { calls: 4, averageMs: 50, p95Ms: 60, totalMs: 200 },
    })
  })

  it('gives the statistics of 50 items of 1..50 ms: average 25.5, median 25.5, p95 47.55', () => {
    const { stages, clock } = testStages()
    for (let i = 1; i <= 50; i++) {
      stages.trackStage(RUN, `msg_${i}`, 'extraction', () => clock.advance(i))
    }
    const stats = stages.getStageStatistics(RUN, 'extraction')
    expect(stats).toMatchObject({
      stage: 'extraction',
      itemCount: 50,
      averageMs: 25.5,
      medianMs: 25.5,
      minMs: 1,
      maxMs: 50,
      successRate: 1,
      errorCount: 0,
      totalMs: 1275,
    })
    // h = 49 * 0.95 = 46.55 → 47 + 0.55 * (48 - 47); p99: h = 48.51 → 49.51
    expect(stats.p95Ms).toBeCloseTo(47.55, 10)
    expect(stats.p99Ms).toBeCloseTo(49.51, 10)
  })
})

describe('trackStage: errors pass through and are recorded', () => {
  it('rethrows a synchronous throw unchanged and persists the stage as an error', () => {
    const { stages, clock, outputDir } = testStages()
    const error = new TypeError('bad row')
    expect(() =>
      stages.trackStage(RUN, 'a', 'parse', () => {
        clock.advance(3)
        throw error
      }),
    ).toThrow(error)
    expect(readMetric(outputDir, RUN, 'a_parse.json')).toMatchObject({
      status: 'error',
      error: { name: 'TypeError', message: 'bad row' },
      durationMs: 3,
    })
  })

  it('rejects with the same error and persists it before the rejection', async () => {
    const { stages, outputDir } = testStages()
    const error = new RangeError('quota')
    const promise = stages.trackStage(RUN, 'a', 'extraction', async () => {
      throw error
    })
    await expect(promise).rejects.toBe(error)
    expect(readMetric(outputDir, RUN, 'a_extraction.json').error).toEqual({
      name: 'RangeError',
      message: 'quota',
    })
  })

  it('describes thrown values that are not errors', async () => {
    const { stages } = testStages()
    await expect(stages.trackStage(RUN, 'a', 's', () => Promise.reject('just text'))).rejects.toBe(
      'just text',
    )
    const hostile = {
      toString: () => {
        throw new Error('no')
      },
    }
    expect(() =>
      stages.trackStage(RUN, 'b', 's', () => {
        throw hostile
      }),
    ).toThrow()
    const [a, b] = stages.getRunMetrics(RUN).sort((x, y) => x.itemId.localeCompare(y.itemId))
    expect(a?.error).toEqual({ name: 'string', message: 'just text' })
    expect(b?.error).toEqual({
      name: 'Unknown',
      message: 'the thrown value could not be described',
    })
    expect(stages.getStageStatistics(RUN, 's')).toMatchObject({ successRate: 0, errorCount: 2 })
  })

  it('never lets a failing write change the stage: it is logged with its code', async () => {
    const { stages, lines, outputDir } = testStages()
    mkdirSync(outputDir, { recursive: true })
    writeFileSync(join(outputDir, 'metrics'), 'a file where the folder should be')
    await expect(stages.trackStage(RUN, 'a', 's', async () => 'value')).resolves.toBe('value')
    expect(stages.trackStage(RUN, 'b', 's', () => 'sync')).toBe('sync')
    const warnings = lines.filter((l) => l.code === 'PERFWATCH_STAGE_FILE')
    expect(warnings).toHaveLength(1) // rate-limited: one a minute
    expect(warnings[0]).toMatchObject({ level: WARN })
  })
})

describe('startStage and end', () => {
  it('records a stage ended by hand, with its error, and writes it before end returns', () => {
    const { stages, clock, outputDir } = testStages()
    const ctx = stages.startStage(RUN, 'a', 'upload')
    ctx.addItems(3)
    ctx.setAttribute('bytes', 1024)
    clock.advance(12)
    const metric = ctx.end({ error: new Error('503') })
    expect(metric).toMatchObject({
      status: 'error',
      durationMs: 12,
      itemsProcessed: 3,
      attributes: { bytes: 1024 },
    })
    expect(readMetric(outputDir, RUN, 'a_upload.json')).toMatchObject({
      status: 'error',
      error: { message: '503' },
    })
  })

  it('ends once: a second end returns the first metric, later calls are ignored with one warning', () => {
    const { stages, clock, lines } = testStages()
    const ctx = stages.startStage(RUN, 'a', 'upload')
    const first = ctx.end({ success: false })
    clock.advance(100)
    expect(ctx.end()).toBe(first)
    expect(first).toMatchObject({ status: 'error', error: null, durationMs: 0 })
    ctx.recordApiCall('s3')
    ctx.addItems(1)
    expect(ctx.isEnded).toBe(true)
    expect(stages.getRunMetrics(RUN)[0]).toMatchObject({ apiCalls: {}, itemsProcessed: 0 })
    const late = lines.filter((l) => l.code === 'PERFWATCH_STAGE_ENDED')
    expect(late).toHaveLength(1)
    expect(late[0]).toMatchObject({
      level: WARN,
      runId: RUN,
      itemId: 'a',
      stage: 'upload',
      method: 'recordApiCall',
      suppressed: 0,
      msg: 'perfwatch: recordApiCall on stage upload of item a after it ended was ignored',
    })
  })

  it('does not record twice when a synchronous function ends its own context', () => {
    const { stages, clock, tracker } = testStages()
    stages.trackStage(RUN, 'a', 's', (ctx) => {
      clock.advance(5)
      ctx.end()
      clock.advance(50)
    })
    expect(stages.getRunMetrics(RUN).map((m) => m.durationMs)).toEqual([5])
    expect(tracker.getOperationStats('stage:s')?.totalCount).toBe(1)
  })

  it('does not record twice when trackStage’s function ends its own context', async () => {
    const { stages, clock } = testStages()
    await stages.trackStage(RUN, 'a', 's', async (ctx) => {
      clock.advance(5)
      ctx.end()
      clock.advance(50)
    })
    expect(stages.getRunMetrics(RUN).map((m) => m.durationMs)).toEqual([5])
  })
})

describe('currentStage', () => {
  it('is the running stage inside trackStage, undefined outside', async () => {
    const { stages } = testStages()
    expect(currentStage()).toBeUndefined()
    await stages.trackStage(RUN, 'a', 's', async (ctx) => {
      await Promise.resolve()
      expect(currentStage()).toBe(ctx)
    })
    expect(currentStage()).toBeUndefined()
  })

  it('keeps 50 concurrent items apart: each counts only its own calls', async () => {
    const { stages } = testStages()
    // An API client wrapper that never sees ctx.
    async function callLlm(tokens: number) {
      await new Promise((resolve) => setImmediate(resolve))
      currentStage()?.recordApiCall('llm', { tokens: { input: tokens, output: 1 } })
    }
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        stages.trackStage(RUN, `item${i}`, 'extraction', async () => {
          for (let call = 0; call <= i % 3; call++) await callLlm(i)
        }),
      ),
    )
    for (const metric of stages.getRunMetrics(RUN)) {
      const i = Number(metric.itemId.slice(4))
      expect(metric.apiCalls.llm).toEqual({
        calls: (i % 3) + 1,
        inputTokens: i * ((i % 3) + 1),
        outputTokens: (i % 3) + 1,
        durationsMs: [],
      })
    }
  })
})

describe('runs', () => {
  it('summarises a run: items, wall time, calls, tokens, rates, stages in order', () => {
    const { stages, clock } = testStages()
    for (const item of ['a', 'b']) {
      stages.trackStage(RUN, item, 'parse', (ctx) => {
        ctx.addItems(10)
        clock.advance(100)
      })
      stages.trackStage(RUN, item, 'extraction', (ctx) => {
        ctx.recordApiCall('gemini', { tokens: { input: 10, output: 2 } })
        clock.advance(400)
      })
    }
    const summary = stages.getRunSummary(RUN)
    expect(summary).toMatchObject({
      runId: RUN,
      itemCount: 2,
      metricCount: 4,
      wallTimeMs: 1000,
      totalApiCalls: { gemini: 2 },
      totalTokens: { input: 20, output: 4 },
      itemsProcessed: 20,
      itemsPerSecond: 2,
      unitsPerSecond: 20,
      errorCount: 0,
    })
    expect(Object.keys(summary.stages)).toEqual(['parse', 'extraction'])
    expect(Date.parse(summary.endedAt) - Date.parse(summary.startedAt)).toBe(1000)
  })

  it('reads runs written by another tracker (another process, a restart)', async () => {
    const { stages, outputDir } = testStages()
    await stages.trackStage(RUN, 'a', 's', async () => undefined)
    const later = new StageTracker({ outputDir, tracker: false })
    expect(later.getStageStatistics(RUN, 's').itemCount).toBe(1)
    expect(later.listRuns()).toEqual([RUN])
  })

  it('lists runs newest first', () => {
    const { stages, outputDir } = testStages()
    for (const run of ['old', 'new', 'middle']) stages.trackStage(run, 'a', 's', () => undefined)
    const at = (run: string, seconds: number) =>
      utimesSync(join(outputDir, 'metrics', run), seconds, seconds)
    at('old', 1000)
    at('middle', 2000)
    at('new', 3000)
    expect(stages.listRuns()).toEqual(['new', 'middle', 'old'])
  })

  it('lists no runs before the first', () => {
    expect(testStages().stages.listRuns()).toEqual([])
  })

  it('says clearly when a run or a stage is unknown', () => {
    const { stages } = testStages()
    expect(() => stages.getRunSummary('nope')).toThrow(UnknownRunError)
    expect(() => stages.getRunSummary('nope')).toThrow(
      'No stage metrics for run "nope": there are no runs yet',
    )
    stages.trackStage(RUN, 'a', 'parse', () => undefined)
    const error = thrownBy(() => stages.getStageStatistics(RUN, 'extraction')) as UnknownStageError
    expect(error).toBeInstanceOf(UnknownStageError)
    expect(error).toMatchObject({
      code: 'PERFWATCH_UNKNOWN_STAGE',
      runId: RUN,
      stage: 'extraction',
    })
    expect(error.message).toContain('its stages are "parse"')
    expect(() => stages.analyzeRun('other')).toThrow(`runs with metrics, newest first: "${RUN}"`)
  })

  it('keeps the last attempt when an item’s stage is tracked again (a retry)', () => {
    const { stages, clock } = testStages()
    expect(() =>
      stages.trackStage(RUN, 'a', 's', () => {
        throw new Error('first try')
      }),
    ).toThrow('first try')
    stages.trackStage(RUN, 'a', 's', () => clock.advance(9))
    expect(stages.getRunMetrics(RUN)).toEqual([
      expect.objectContaining({ status: 'success', durationMs: 9 }),
    ])
  })

  it('keeps two keys whose file names collide in two files', () => {
    const { stages, outputDir } = testStages()
    stages.trackStage(RUN, 'a_b', 'c', () => undefined)
    stages.trackStage(RUN, 'a', 'b_c', () => undefined)
    expect(filesUnder(join(outputDir, 'metrics', RUN))).toEqual([
      expect.stringMatching(/^a_b_c\.[0-9a-f]{8}\.json$/),
      'a_b_c.json',
    ])
    expect(
      stages
        .getRunMetrics(RUN)
        .map((m) => `${m.itemId}|${m.stage}`)
        .sort(),
    ).toEqual(['a_b|c', 'a|b_c'])
  })
})

describe('feeding the performance tracker', () => {
  it('records each stage as the operation stage:<stage>, failures as failures', () => {
    const { stages, tracker, clock } = testStages()
    stages.trackStage(RUN, 'a', 'extraction', () => clock.advance(20))
    stages.trackStage(RUN, 'b', 'extraction', () => clock.advance(5))
    expect(() =>
      stages.trackStage(RUN, 'c', 'extraction', () => {
        throw new Error('x')
      }),
    ).toThrow()
    expect(tracker.getOperationStats('stage:extraction')).toMatchObject({
      totalCount: 3,
      errorRate: 1 / 3,
      recentMax: 20,
    })
  })

  it('uses the given prefix, and records nothing with tracker: false', () => {
    const a = testStages({ operationPrefix: 'pipeline.' })
    a.stages.trackStage(RUN, 'a', 'parse', () => undefined)
    expect(a.tracker.getSystemSummary().trackedOperations).toEqual(['pipeline.parse'])
    const b = testStages({ tracker: false })
    b.stages.trackStage(RUN, 'a', 'parse', () => undefined)
    expect(b.tracker.getSystemSummary().trackedOperations).toEqual([])
    expect(b.lines).toEqual([]) // nothing went wrong either
  })

  it('accepts no tracker: the default one is looked up at the first stage end, not before', () => {
    const options = { outputDir: tempDir(), logger: logSink().logger }
    expect(() => new StageTracker(options)).not.toThrow()
    expect(() => new StageTracker({ ...options, tracker: undefined })).not.toThrow()
  })

  it('never lets a failing tracker change the stage: its error is logged as internal', () => {
    const tracker = {
      record: () => {
        throw new Error('tracker broke')
      },
    }
    const { stages, lines } = testStages({ tracker: tracker as never })
    expect(stages.trackStage(RUN, 'a', 's', () => 'value')).toBe('value')
    expect(stages.getRunMetrics(RUN)).toHaveLength(1)
    expect(lines.filter((l) => l.code === 'PERFWATCH_INTERNAL_ERROR')).toEqual([
      expect.objectContaining({
        level: ERROR,
        err: expect.objectContaining({ message: 'tracker broke' }),
      }),
    ])
  })
})

describe('telling a profiler', () => {
  it('tells none when profile is false or its profiler is disabled', () => {
    let calls = 0
    const disabled = {
      isEnabled: false,
      stageStarted: () => calls++,
      stageEnded: () => calls++,
    }
    for (const profile of [disabled, false as const]) {
      const { stages, lines } = testStages({ profile })
      expect(stages.trackStage(RUN, 'a', 's', () => 'value')).toBe('value')
      expect(lines).toEqual([])
    }
    expect(calls).toBe(0)
  })

  it.each(['stageStarted', 'stageEnded'] as const)(
    'never lets a profile hook that throws in %s change the stage, the tracker or the file',
    async (failing) => {
      const hooks = {
        isEnabled: true,
        stageStarted: () => 'token',
        stageEnded: () => undefined,
        [failing]: () => {
          throw new Error(`${failing} broke`)
        },
      }
      const { stages, lines, tracker } = testStages({ profile: hooks })
      expect(stages.trackStage(RUN, 'a', 's', () => 'value')).toBe('value')
      expect(await stages.trackStage(RUN, 'b', 's', async () => 'async value')).toBe('async value')
      expect(stages.getRunMetrics(RUN)).toHaveLength(2)
      expect(tracker.getOperationStats('stage:s')?.sampleCount).toBe(2)
      expect(lines.filter((l) => l.code === 'PERFWATCH_INTERNAL_ERROR')).toEqual([
        expect.objectContaining({ err: expect.objectContaining({ message: `${failing} broke` }) }),
      ])
    },
  )
})

describe('durable: true', () => {
  it('writes the same files, sync and async', async () => {
    const { stages, outputDir } = testStages({ durable: true })
    stages.trackStage(RUN, 'a', 's', () => undefined)
    await stages.trackStage(RUN, 'b', 's', async () => undefined)
    expect(filesUnder(outputDir)).toEqual([`metrics/${RUN}/a_s.json`, `metrics/${RUN}/b_s.json`])
  })
})

describe('in memory (persist: false)', () => {
  it('writes no file and reads its own runs', () => {
    const { stages, outputDir, clock } = testStages({ persist: false })
    stages.trackStage(RUN, 'a', 's', () => clock.advance(4))
    stages.trackStage(RUN, 'a', 's', () => clock.advance(6)) // a retry replaces
    expect(existsSync(outputDir)).toBe(false)
    expect(stages.getStageStatistics(RUN, 's')).toMatchObject({ itemCount: 1, averageMs: 6 })
    expect(stages.listRuns()).toEqual([RUN])
  })

  it('keeps an async stage in memory too, and writes no file', async () => {
    const { stages, outputDir, clock } = testStages({ persist: false })
    await stages.trackStage(RUN, 'a', 's', async () => clock.advance(3))
    expect(existsSync(outputDir)).toBe(false)
    expect(stages.getRunMetrics(RUN)).toEqual([expect.objectContaining({ durationMs: 3 })])
  })

  it('says a run it has not seen is unknown', () => {
    const { stages } = testStages({ persist: false })
    expect(() => stages.getRunMetrics('nope')).toThrow(
      'No stage metrics for run "nope": there are no runs yet',
    )
    stages.trackStage(RUN, 'a', 's', () => undefined)
    expect(() => stages.getRunMetrics('nope')).toThrow(UnknownRunError)
  })

  it('orders metrics by start time, then item, then stage, whatever order they came in', () => {
    const { stages, clock } = testStages({ persist: false })
    const track = (itemId: string, stage: string) =>
      stages.trackStage(RUN, itemId, stage, () => undefined)
    track('c', 'retried') // first in, but tried again last
    for (const [itemId, stage] of [
      ['b', 'y'],
      ['a', 'z'],
      ['b', 'x'],
      ['a', 'y'],
    ] as const) {
      track(itemId, stage) // all started at the same clock reading
    }
    clock.advance(10)
    track('0', 'late')
    clock.advance(10)
    track('c', 'retried')
    expect(stages.getRunMetrics(RUN).map((m) => `${m.itemId}/${m.stage}`)).toEqual([
      'a/y',
      'a/z',
      'b/x',
      'b/y',
      '0/late',
      'c/retried',
    ])
  })

  it('keeps the 20 most recent runs', () => {
    const { stages } = testStages({ persist: false })
    for (let run = 0; run < 25; run++) stages.trackStage(`run${run}`, 'a', 's', () => undefined)
    stages.trackStage('run5', 'b', 's', () => undefined) // used again: now the most recent
    const runs = stages.listRuns()
    expect(runs).toHaveLength(20)
    expect(runs[0]).toBe('run5')
    expect(runs).not.toContain('run4')
    expect(runs.at(-1)).toBe('run6')
  })
})

describe('bad input', () => {
  it('throws coded errors before running anything, and loses nothing recorded', () => {
    const { stages } = testStages()
    stages.trackStage(RUN, 'a', 's', () => undefined)
    let ran = false
    const fn = () => {
      ran = true
    }
    for (const call of [
      () => stages.trackStage('', 'a', 's', fn),
      () => stages.trackStage(RUN, '', 's', fn),
      () => stages.trackStage(RUN, 'a', '', fn),
      () => stages.trackStage(RUN, 'a', 's', 'not a function' as never),
      () => stages.trackStage(RUN, 'x'.repeat(300), 's', fn),
      () => stages.trackStage(42 as never, 'a', 's', fn),
    ]) {
      expect(call).toThrow(InvalidArgumentError)
    }
    expect(ran).toBe(false)
    expect(stages.getRunMetrics(RUN)).toHaveLength(1)
  })

  it('names the argument that is wrong', () => {
    const { stages } = testStages()
    stages.trackStage(RUN, 'a', 's', () => undefined)
    const rule = 'must be a non-empty string of at most 1024 characters, got ""'
    expect(() => stages.trackStage(RUN, 'a', 's', 'nope' as never)).toThrow(
      'fn must be a function, got "nope"',
    )
    expect(() => stages.startStage('', 'a', 's')).toThrow(`runId ${rule}`)
    expect(() => stages.startStage(RUN, '', 's')).toThrow(`itemId ${rule}`)
    expect(() => stages.startStage(RUN, 'a', '')).toThrow(`stage ${rule}`)
    expect(() => stages.getStageStatistics(RUN, '')).toThrow(`stage ${rule}`)
    expect(() => stages.getRunMetrics('')).toThrow(`runId ${rule}`)
    expect(() => stages.exportMetricsCsv(RUN, '')).toThrow(`outputPath ${rule}`)
    const itemId = 'x'.repeat(300)
    expect(() => stages.startStage(RUN, itemId, 's')).toThrow(
      `runId, itemId and stage are too long for a file name (${itemId}_s.json): the run folder ` +
        'may have 255 bytes (UTF-8, encoded) and the metric file name 185; use shorter ids',
    )
  })

  it('refuses invalid API calls, counts and attributes with coded errors', () => {
    const { stages } = testStages()
    const ctx = stages.startStage(RUN, 'a', 's')
    ctx.recordApiCall('llm', { tokens: { input: 1 } })
    for (const call of [
      () => ctx.recordApiCall('', {}),
      () => ctx.recordApiCall('llm', { tokens: { input: -1 } }),
      () => ctx.recordApiCall('llm', { tokens: { output: 1.5 } }),
      () => ctx.recordApiCall('llm', { tokens: { inputs: 3 } as never }),
      () => ctx.recordApiCall('llm', { durationMs: Number.NaN }),
      () => ctx.recordApiCall('llm', { token: {} } as never),
      () => ctx.recordApiCall('llm', null as never),
      () => ctx.addItems(-1),
      () => ctx.addItems(0.5),
      () => ctx.setAttribute('', 1),
      () => ctx.setAttribute('k', { nested: true } as never),
      () => ctx.setAttribute('k', Number.POSITIVE_INFINITY),
      () => ctx.end({ succes: true } as never),
      () => ctx.end({ success: 'yes' } as never),
    ]) {
      expect(call).toThrow(InvalidArgumentError)
    }
    expect(ctx.end().apiCalls).toEqual({
      llm: { calls: 1, inputTokens: 1, outputTokens: 0, durationsMs: [] },
    })
  })

  it('refuses unknown and invalid options', () => {
    const outputDir = tempDir()
    for (const options of [
      { outputdir: 'x' },
      { outputDir: '' },
      { persist: 'no' },
      { durable: 1 },
      { tracker: {} },
      { operationPrefix: 1 },
      { clock: 1 },
      { logger: console.log },
      { warningIntervalMs: -1 },
      { thresholds: { s: -1 } },
      { thresholds: { s: { warnMs: 10, criticalMs: 5 } } },
      { thresholds: { s: { warn: 10 } } },
      { thresholds: { s: 'fast' } },
      { thresholds: [] },
    ]) {
      expect(() => new StageTracker({ outputDir, ...options } as never)).toThrow(InvalidOptionError)
    }
    expect(() => new StageTracker(null as never)).toThrow('options must be an object, got null')
    expect(new InvalidOptionError('x', 'y')).toBeInstanceOf(RangeError)
    expect(() => new StageTracker({ outputDir, persist: 'no' } as never)).toThrow(
      'persist must be a boolean, got "no"',
    )
  })

  it.each([
    [{ outputDir: '' }, 'outputDir must be a non-empty string, got ""'],
    [{ outputDir: 42 }, 'outputDir must be a non-empty string, got 42'],
    [{ durable: 1 }, 'durable must be a boolean, got 1'],
    [{ tracker: {} }, 'tracker must be a PerformanceTracker or false, got an object'],
    [{ tracker: null }, 'tracker must be a PerformanceTracker or false, got null'],
    [{ operationPrefix: 1 }, 'operationPrefix must be a string, got 1'],
    [{ clock: 1 }, 'clock must be a function, got 1'],
    [
      { logger: console.log },
      'logger must be a logger with info, warn and error methods, got a function',
    ],
    [{ warningIntervalMs: -1 }, 'warningIntervalMs must be an integer >= 0, got -1'],
    [{ thresholds: [] }, 'thresholds must be an object, got an array'],
    [{ thresholds: { s: -1 } }, 'thresholds.s must be a number of ms in [0, 1e12), got -1'],
    [
      { thresholds: { s: { warnMs: 10, maxErrorRate: 0.1 } } },
      'thresholds.s takes warnMs and criticalMs: stage error rates are in analyzeRun',
    ],
    [
      { thresholds: { s: { warnMs: 10, criticalMs: 5 } } },
      'thresholds.s.criticalMs must be at least warnMs (10), got 5',
    ],
  ])('refuses %j, saying why', (options, message) => {
    const outputDir = tempDir()
    const error = thrownBy(() => new StageTracker({ outputDir, ...options } as never))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect(error).toMatchObject({ message })
  })

  it('writes under perfwatch-runs unless told otherwise', () => {
    const stages = new StageTracker({ tracker: false, logger: logSink().logger })
    expect(stages.outputDir).toBe('perfwatch-runs')
    expect(stages.persist).toBe(true)
  })

  it('gives coded errors that are PerfwatchErrors', () => {
    const { stages } = testStages()
    try {
      stages.getRunSummary('nope')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(PerfwatchError)
      expect(error).toMatchObject({ code: 'PERFWATCH_UNKNOWN_RUN', runId: 'nope' })
    }
  })
})

describe('a failing clock', () => {
  it.each(['throw', 'NaN', 'Infinity'] as const)(
    'never changes the stage (%s): duration 0, counted as an internal error',
    async (fault) => {
      const clock = faultyClock()
      const { stages, lines } = testStages({ clock })
      clock.failAlways(fault)
      expect(stages.trackStage(RUN, 'a', 's', () => 'sync')).toBe('sync')
      await expect(stages.trackStage(RUN, 'b', 's', async () => 'async')).resolves.toBe('async')
      const metrics = stages.getRunMetrics(RUN)
      expect(metrics.map((m) => m.durationMs)).toEqual([0, 0])
      for (const m of metrics) expect(Date.parse(m.startedAt)).not.toBeNaN()
      expect(lines.some((l) => l.code === 'PERFWATCH_INTERNAL_ERROR')).toBe(true)
    },
  )

  it('logs what a throwing clock threw', () => {
    const clock = faultyClock()
    const { stages, lines } = testStages({ clock })
    clock.failAlways('throw')
    stages.trackStage(RUN, 'a', 's', () => undefined)
    expect(lines.find((l) => l.code === 'PERFWATCH_INTERNAL_ERROR')?.err).toMatchObject({
      message: 'clock broke',
    })
  })

  it('records a stage whose end reading went backwards with duration 0', () => {
    const clock = faultyClock()
    const { stages, lines } = testStages({ clock })
    clock.failNext('backwards', 1) // the start reading is fine, the end one is 1 s earlier
    stages.trackStage(RUN, 'a', 's', () => undefined)
    expect(stages.getRunMetrics(RUN)[0]?.durationMs).toBe(0)
    expect(lines.find((l) => l.code === 'PERFWATCH_INTERNAL_ERROR')?.err).toMatchObject({
      message: 'the clock gave a stage duration of -1000 ms',
    })
  })
})
