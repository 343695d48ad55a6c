import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, get, type Server } from 'node:http'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ERROR_CODES,
  getProfiler,
  InvalidArgumentError,
  InvalidOptionError,
  PerformanceTracker,
  Profiler,
  type ProfilerOptions,
  renderReport,
  StageTracker,
  type StageTrackerOptions,
  shouldUseColor,
  WARNING_CODES,
} from '../../src/index.js'
import { manualClock } from '../helpers/clock.js'
import { ERROR, logSink } from '../helpers/log-sink.js'
import { thrownBy } from '../helpers/thrown.js'
import { tempDir } from '../helpers/tmp.js'

const MB = 1024 * 1024
const PROFILER_KEY = Symbol.for('perfwatch.profiler')

afterEach(() => {
  const global = globalThis as { [PROFILER_KEY]?: Profiler }
  global[PROFILER_KEY]?.stop()
  delete global[PROFILER_KEY]
})

/** A profiler on a manual clock and a StageTracker (in memory) reporting to it. */
function setup(options: ProfilerOptions = {}, stageOptions: StageTrackerOptions = {}) {
  const clock = manualClock()
  const sink = logSink()
  const profiler = new Profiler({ enabled: true, clock, logger: sink.logger, ...options })
  const stages = new StageTracker({
    persist: false,
    tracker: false,
    clock,
    logger: sink.logger,
    profile: profiler,
    ...stageOptions,
  })
  return { clock, profiler, stages, lines: sink.lines }
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}

describe('Profiler options', () => {
  it('defaults to disabled, basic, 100 ms', () => {
    const profiler = new Profiler()
    expect(profiler).toMatchObject({
      enabled: false,
      detail: 'basic',
      sampleIntervalMs: 100,
      outputDir: undefined,
      isEnabled: false,
      isRunning: false,
    })
  })

  it.each([
    [{ enabled: 'yes' }, 'enabled must be a boolean, got "yes"'],
    [{ detail: 'verbose' }, `detail must be 'basic', 'detailed' or 'full', got "verbose"`],
    [{ sampleIntervalMs: 0 }, 'sampleIntervalMs must be an integer in [1, 3600000], got 0'],
    [
      { sampleIntervalMs: 3_600_001 },
      'sampleIntervalMs must be an integer in [1, 3600000], got 3600001',
    ],
    [{ outputDir: '' }, 'outputDir must be a non-empty string, got ""'],
    [{ keepRuns: 0 }, 'keepRuns must be an integer >= 1, got 0'],
    [{ unitName: '' }, 'unitName must be a non-empty string, got ""'],
    [{ clock: 5 }, 'clock must be a function, got 5'],
    [{ logger: {} }, 'logger must be a logger with info, warn and error methods, got an object'],
    [{ sampleIntervalMS: 5 }, 'Unknown option "sampleIntervalMS": did you mean sampleIntervalMs?'],
  ])('rejects %j', (options, message) => {
    const error = thrownBy(() => new Profiler(options as ProfilerOptions))
    expect(error).toBeInstanceOf(InvalidOptionError)
    expect((error as InvalidOptionError).code).toBe(ERROR_CODES.invalidOption)
    expect((error as Error).message).toBe(message)
  })

  it('accepts the bounds', () => {
    expect(new Profiler({ sampleIntervalMs: 1 }).sampleIntervalMs).toBe(1)
    expect(new Profiler({ sampleIntervalMs: 3_600_000, keepRuns: 1 }).sampleIntervalMs).toBe(
      3_600_000,
    )
    expect(thrownBy(() => new Profiler(null as unknown as ProfilerOptions))).toBeInstanceOf(
      InvalidOptionError,
    )
  })

  it('rejects a StageTracker profile that is not a profiler', () => {
    const error = thrownBy(
      () => new StageTracker({ persist: false, profile: {} as unknown as Profiler }),
    )
    expect((error as Error).message).toBe('profile must be a Profiler or false, got an object')
    const noEnd = { stageStarted() {} } as unknown as Profiler
    const noStart = { stageEnded() {} } as unknown as Profiler
    for (const profile of [noEnd, noStart, null as unknown as Profiler, true as never]) {
      expect(thrownBy(() => new StageTracker({ persist: false, profile }))).toBeInstanceOf(
        InvalidOptionError,
      )
    }
  })

  it('rejects unknown report options', () => {
    const { profiler } = setup()
    expect((thrownBy(() => profiler.report({ compare: 'x' } as never)) as Error).message).toBe(
      'Unknown field "compare" in options: expected compareWith',
    )
    expect(thrownBy(() => profiler.report({ compareWith: 5 } as never))).toBeInstanceOf(
      InvalidArgumentError,
    )
    expect(thrownBy(() => profiler.report(null as never))).toBeInstanceOf(InvalidArgumentError)
  })
})

describe('Profiler, disabled', () => {
  it('is never told about stages and reports nothing', () => {
    const { profiler, stages, clock } = setup({ enabled: false })
    const result = stages.trackStage('r', 'i', 's', () => {
      clock.advance(5)
      return 42
    })
    expect(result).toBe(42)
    expect(profiler.isRunning).toBe(false)
    profiler.start()
    expect(profiler.isRunning).toBe(false)
    const report = profiler.report()
    expect(report.stages).toEqual([])
    expect(report.summary.durationMs).toBe(0)
  })
})

describe('Profiler, basic', () => {
  it('times stages with their share of the run, the rate and peak memory', () => {
    const { profiler, stages, clock } = setup({ unitName: 'segments' })
    profiler.start()
    clock.advance(100)
    stages.trackStage('r', 'a', 'parse', (ctx) => {
      clock.advance(50)
      ctx.addItems(400)
    })
    stages.trackStage('r', 'a', 'match', (ctx) => {
      clock.advance(150)
      ctx.recordApiCall('lexicon', { durationMs: 120 })
    })
    clock.advance(100)
    const report = profiler.report()
    expect(report.detail).toBe('basic')
    expect(report.summary).toMatchObject({
      durationMs: 400,
      stageTimeMs: 200,
      items: 1,
      unitName: 'segments',
      unitsProcessed: 400,
      unitsPerSecond: 1000,
    })
    expect(report.summary.peakRssBytes).toBeGreaterThan(MB)
    expect(report.summary.peakHeapBytes).toBeGreaterThan(MB)
    // a reading at the start, at each boundary and at the report
    expect(report.summary.memorySamples).toBeGreaterThanOrEqual(6)
    expect(report.stages.map((s) => [s.stage, s.totalMs, s.shareOfTotal, s.memory])).toEqual([
      ['parse', 50, 0.25, null], // of the 200 ms of stages, not of the 400 ms profiled
      ['match', 150, 0.75, null],
    ])
    expect(report.services).toEqual([
      { service: 'lexicon', calls: 1, averageMs: 120, p95Ms: 120, totalMs: 120 },
    ])
    expect(report.gc).toBeNull()
    expect(report.eventLoop).toBeNull()
    expect(report.http).toBeNull()
    expect(report.leak).toBeNull()
    expect(report.cpu).toBeNull()
    expect(renderReport(report)).toContain('Processing Rate: 1,000 segments/s')
  })

  it('starts on the first stage, and a report after stop() keeps the stopped duration', () => {
    const { profiler, stages, clock } = setup()
    clock.advance(1000)
    expect(profiler.isRunning).toBe(false)
    stages.trackStage('r', 'a', 's', () => clock.advance(30))
    expect(profiler.isRunning).toBe(true)
    clock.advance(20)
    profiler.stop()
    expect(profiler.isRunning).toBe(false)
    expect(profiler.isEnabled).toBe(false)
    clock.advance(500)
    stages.trackStage('r', 'b', 's', () => clock.advance(30)) // not profiled after stop
    const report = profiler.report()
    expect(report.summary.durationMs).toBe(50)
    expect(report.stages[0]?.count).toBe(1)
    profiler.stop() // twice is fine
    profiler.start() // a new profile
    expect(profiler.report().stages).toEqual([])
  })

  it('keeps the tracker budgets for the analysis', () => {
    const { clock, profiler, stages } = setup({}, { thresholds: { match: 20 } })
    for (const id of ['a', 'b']) stages.trackStage('r', id, 'match', () => clock.advance(41))
    const report = profiler.report()
    expect(report.recommendations[0]?.message).toContain('p95 41ms against a 20ms budget')
  })

  it('profiles every StageTracker through the default profiler, and reads default tracker operations', () => {
    const clock = manualClock()
    // The default tracker, installed as getPerformanceTracker() would, and removed after: other
    // test files sharing this process (mutation runs) create their own.
    const trackerKey = Symbol.for('perfwatch.tracker')
    const global = globalThis as Record<symbol, unknown>
    const saved = global[trackerKey]
    global[trackerKey] = new PerformanceTracker({
      storagePath: null,
      clock,
      logger: logSink().logger,
    })
    try {
      profileThroughDefaults(clock)
    } finally {
      if (saved === undefined) delete global[trackerKey]
      else global[trackerKey] = saved
    }
  })

  function profileThroughDefaults(clock: ReturnType<typeof manualClock>) {
    const profiler = getProfiler({ enabled: true, clock })
    expect(getProfiler()).toBe(profiler)
    // on globalThis under a registered symbol: another copy of perfwatch finds it there
    expect((globalThis as { [PROFILER_KEY]?: Profiler })[PROFILER_KEY]).toBe(profiler)
    expect((thrownBy(() => getProfiler({})) as Error).message).toContain(
      'the default profiler already exists',
    )
    const stages = new StageTracker({ persist: false, clock })
    stages.trackStage('r', 'a', 'from-default', () => clock.advance(10))
    const silent = new StageTracker({ persist: false, tracker: false, clock, profile: false })
    silent.trackStage('r', 'a', 'not-profiled', () => clock.advance(10))
    const report = profiler.report()
    expect(report.stages.map((s) => s.stage)).toEqual(['from-default'])
    // the stage was recorded into the default tracker as an operation
    expect(report.operations).toContainEqual({
      operation: 'stage:from-default',
      count: 1,
      meanMs: 10,
      p95Ms: 10,
    })
  }

  it('keeps a run profiled from outside: getProfiler(options) then returns that profiler', () => {
    const runKey = Symbol.for('perfwatch.profileAtExit') // where profileFromArgv keeps it
    const global = globalThis as { [PROFILER_KEY]?: Profiler; [runKey]?: Profiler }
    const profiler = getProfiler({ enabled: true, clock: manualClock() })
    global[runKey] = profiler
    try {
      // the options are logged (PERFWATCH_PROFILE_RUN, test/profile/at-exit.test.ts) and ignored
      expect(getProfiler({ enabled: false, detail: 'full' })).toBe(profiler)
      expect(profiler.detail).toBe('basic')
    } finally {
      delete global[runKey]
    }
  })

  it('logs its own failures and never changes the stage', () => {
    const { profiler, stages, clock, lines } = setup()
    const failing = Object.assign(() => {
      throw new Error('clock broke')
    })
    const broken = new Profiler({ enabled: true, clock: failing, logger: logSink().logger })
    const withBroken = new StageTracker({ persist: false, tracker: false, clock, profile: broken })
    expect(withBroken.trackStage('r', 'a', 's', () => 7)).toBe(7)
    expect(broken.report().stages).toHaveLength(1)
    // a report folder that cannot be written
    const file = join(tempDir(), 'file')
    writeFileSync(file, '')
    const unwritable = new Profiler({
      enabled: true,
      clock,
      logger: logSink().logger,
      outputDir: file,
    })
    const sink = logSink()
    const logged = new Profiler({ enabled: true, clock, logger: sink.logger, outputDir: file })
    logged.start()
    expect(logged.report().stages).toEqual([])
    expect(sink.lines.filter((l) => l.level === ERROR).map((l) => l.code)).toEqual([
      WARNING_CODES.internalError,
    ])
    expect(unwritable.isEnabled).toBe(true)
    expect(stages.trackStage('r', 'a', 's', () => 'same')).toBe('same')
    expect(profiler.report().stages).toHaveLength(1)
    expect(lines.filter((l) => l.level >= ERROR)).toEqual([])
  })
})

describe('profileStage', () => {
  it('times code without a StageTracker and passes results and errors through', async () => {
    const { profiler, clock } = setup()
    const value = { kept: true }
    expect(
      profiler.profileStage('sync', () => {
        clock.advance(5)
        return value
      }),
    ).toBe(value)
    const failure = new TypeError('bad')
    expect(
      thrownBy(() =>
        profiler.profileStage('sync', () => {
          clock.advance(7)
          throw failure
        }),
      ),
    ).toBe(failure)
    await expect(
      profiler.profileStage('async', async () => {
        clock.advance(11)
        return 3
      }),
    ).resolves.toBe(3)
    await expect(
      profiler.profileStage('async', async () => {
        clock.advance(13)
        throw 'plain'
      }),
    ).rejects.toBe('plain')
    const hostile = {
      toString: () => {
        throw new Error('no')
      },
    }
    expect(
      thrownBy(() =>
        profiler.profileStage('sync', () => {
          throw hostile
        }),
      ),
    ).toBe(hostile)
    const report = profiler.report()
    expect(report.stages.map((s) => [s.stage, s.count, s.totalMs, s.errorCount])).toEqual([
      ['sync', 3, 12, 2],
      ['async', 2, 24, 1],
    ])
    expect(report.summary.items).toBe(5)
  })

  it('calls straight through when disabled, and checks its arguments when enabled', () => {
    const { profiler } = setup({ enabled: false })
    expect(profiler.profileStage('', () => 1)).toBe(1)
    expect(profiler.report().stages).toEqual([])
    const enabled = setup().profiler
    expect(thrownBy(() => enabled.profileStage('', () => 1))).toBeInstanceOf(InvalidArgumentError)
    expect((thrownBy(() => enabled.profileStage('s', 5 as never)) as Error).message).toBe(
      'fn must be a function, got 5',
    )
  })
})

describe('Profiler, detailed', () => {
  it('measures memory per stage, GC, event-loop delay, and the leak verdict input', async () => {
    const { profiler, stages, clock } = setup({ detail: 'detailed', sampleIntervalMs: 5 })
    const kept: number[][] = []
    stages.trackStage('r', 'a', 'small', () => clock.advance(1))
    await stages.trackStage('r', 'a', 'grow', async () => {
      kept.push(new Array(4 * 1024 * 1024).fill(1.5)) // 32 MiB of doubles, kept
      await new Promise((resolve) => setTimeout(resolve, 30))
      clock.advance(1)
    })
    const report = profiler.report()
    expect(kept).toHaveLength(1)
    const grow = report.stages.find((s) => s.stage === 'grow')?.memory
    // the kept array is in the heap at the end; the delta is not checked: a GC during the stage
    // frees whatever garbage came before it (in a shared test process, tens of MB)
    expect(grow?.heapEndBytes).toBeGreaterThan(32 * MB)
    expect(grow?.heapStartBytes).toBeGreaterThan(0)
    expect(grow?.heapDeltaBytes).toBe(
      (grow?.heapEndBytes as number) - (grow?.heapStartBytes as number),
    )
    expect(grow?.heapPeakBytes).toBeGreaterThanOrEqual(grow?.heapEndBytes as number)
    expect(grow?.rssPeakBytes).toBeGreaterThanOrEqual(grow?.rssEndBytes as number)
    const small = report.stages.find((s) => s.stage === 'small')?.memory
    expect(Math.abs(small?.heapDeltaBytes as number)).toBeLessThan(8 * MB)
    expect(report.gc).toMatchObject({ count: expect.any(Number), shareOfRun: expect.any(Number) })
    expect(report.eventLoop).toMatchObject({ p50Ms: expect.any(Number), maxMs: expect.any(Number) })
    expect(report.leak).toMatchObject({ isLeak: false })
    expect(report.http).toEqual([])
  })

  it('sums the memory of a stage over its items', () => {
    const { profiler, stages } = setup({ detail: 'detailed' })
    const kept: number[][] = []
    for (const id of ['a', 'b']) {
      stages.trackStage('r', id, 'grow', () => kept.push(new Array(1024 * 1024).fill(0.5)))
    }
    const memory = profiler.report().stages[0]?.memory
    // the first start and the last end; the deltas of the two runs, summed
    expect(memory?.heapEndBytes).toBeGreaterThan(16 * MB) // 2 × 8 MiB kept
    expect(memory?.rssEndBytes).toBeGreaterThan(0)
    expect(memory?.heapPeakBytes).toBeGreaterThanOrEqual(memory?.heapEndBytes as number)
  })

  it('times outgoing HTTP requests per host and stage through diagnostics_channel', async () => {
    const server = await listen((_request, response) => {
      setTimeout(() => response.end('ok'), 20)
    })
    try {
      const { port } = server.address() as { port: number }
      const profiler = new Profiler({ enabled: true, detail: 'detailed' })
      const stages = new StageTracker({ persist: false, tracker: false, profile: profiler })
      await stages.trackStage('r', 'a', 'download', async () => {
        await (await fetch(`http://127.0.0.1:${port}/fetch`)).text()
        await new Promise<void>((resolve) => {
          get(`http://127.0.0.1:${port}/get`, (response) => {
            response.resume()
            response.on('end', resolve)
          })
        })
      })
      const report = profiler.report()
      const host = report.http?.find((h) => h.host === `127.0.0.1:${port}`)
      expect(host?.requests).toBe(2)
      expect(host?.averageMs).toBeGreaterThanOrEqual(15)
      expect(report.recommendations).toContainEqual(
        expect.objectContaining({ kind: 'io', stage: 'download' }),
      )
      profiler.stop()
      await (await fetch(`http://127.0.0.1:${port}/after`)).text()
      expect(profiler.report().http?.[0]?.requests).toBe(2)
    } finally {
      server.close()
    }
  })

  it('counts failed requests', async () => {
    const server = await listen((request) => request.socket.destroy())
    try {
      const { port } = server.address() as { port: number }
      const { profiler } = setup({ detail: 'detailed' })
      profiler.start()
      await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined)
      await new Promise<void>((resolve) => {
        get(`http://127.0.0.1:${port}/`).on('error', () => resolve())
      })
      const host = profiler.report().http?.find((h) => h.host === `127.0.0.1:${port}`)
      expect(host?.errors).toBe(2)
      expect(host?.requests).toBe(0)
    } finally {
      server.close()
    }
  })
})

describe('Profiler, full', () => {
  it('writes a CPU profile and reports the top functions by self time', () => {
    const outputDir = tempDir()
    const { profiler, stages } = setup({ detail: 'full', outputDir })
    stages.trackStage('r', 'a', 'spin', function spinForAWhile() {
      const end = performance.now() + 60
      let x = 0
      while (performance.now() < end) x += Math.sqrt(x + 1)
      return x
    })
    const report = profiler.report()
    expect(report.cpu?.file).toMatch(/profile-.*\.cpuprofile$/)
    const written = JSON.parse(readFileSync(report.cpu?.file as string, 'utf8'))
    expect(written.nodes.length).toBeGreaterThan(0)
    expect(report.cpu?.topFunctions.length).toBeGreaterThan(0)
    expect(report.cpu?.topFunctions.length).toBeLessThanOrEqual(10)
    const [top] = report.cpu?.topFunctions ?? []
    expect(top?.selfMs).toBeGreaterThan(0)
    expect(top?.share).toBeGreaterThan(0)
    expect(renderReport(report)).toContain('Top Functions (self time):')
  })
})

describe('Profiler history', () => {
  it('keeps the last keepRuns reports and compares each with the previous one', () => {
    const outputDir = tempDir()
    const { profiler, stages, clock } = setup({ outputDir, keepRuns: 2 })
    const runOnce = (ms: number) => {
      profiler.start()
      for (let i = 0; i < 10; i++) stages.trackStage('r', `i${i}`, 's', () => clock.advance(ms + i))
      profiler.stop()
      return profiler.report()
    }
    const first = runOnce(10)
    expect(first.comparison).toBeNull()
    const second = runOnce(30)
    expect(second.comparison?.stages[0]).toMatchObject({
      previousMedianMs: 14.5,
      medianMs: 34.5,
      isSignificant: true,
    })
    const third = runOnce(30)
    expect(third.comparison?.stages[0]).toMatchObject({ change: 0, isSignificant: false })
    const files = readdirSync(join(outputDir, 'profiles'))
    expect(files).toHaveLength(2)
    const named = profiler.report({ compareWith: files[0] as string })
    expect(named.comparison?.previousGeneratedAt).toBe(second.generatedAt)
    expect(renderReport(second)).toContain('(+138% vs previous run, significant)')
  })

  it('logs a previous report it cannot read and reports without comparison', () => {
    const outputDir = tempDir()
    const sink = logSink()
    const profiler = new Profiler({ enabled: true, outputDir, logger: sink.logger })
    writeFileSync(join(tempDir(), 'x'), '')
    const report = profiler.report({ compareWith: join(outputDir, 'missing.json') })
    expect(report.comparison).toBeNull()
    expect(sink.lines.map((l) => l.code)).toEqual([WARNING_CODES.internalError])
    const other = join(outputDir, 'other.json')
    writeFileSync(other, '{"format":"something-else"}')
    expect(profiler.report({ compareWith: other }).comparison).toBeNull()
  })
})

describe('shouldUseColor', () => {
  it('colours a terminal without NO_COLOR only', () => {
    expect(shouldUseColor({ isTTY: true }, {})).toBe(true)
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false)
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true)
    expect(shouldUseColor({ isTTY: false }, {})).toBe(false)
    expect(shouldUseColor({}, {})).toBe(false)
  })
})
