/**
 * `Profiler`: what a run cost, by stage: durations and shares, processing rate, memory, garbage
 * collection, event-loop delay, outgoing HTTP, CPU, and a leak verdict, assembled into a versioned
 * report (`report()`) that `renderReport` prints. Disabled (the default), it is never called:
 * `StageTracker` checks one boolean per stage.
 */
import { readdirSync, unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { isPromise } from 'node:util/types'
import { type Clock, defaultClock } from '../core/clock.js'
import { InvalidArgumentError, InvalidOptionError, WARNING_CODES } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { DEFAULT_PROFILER_KEY, RUN_PROFILER_KEY, type StageHooks } from '../core/profile-hooks.js'
import type { SystemSummary } from '../core/snapshot.js'
import type { StageMetric } from '../core/stage-metric.js'
import { checkName, isCount, isObject } from '../core/validate.js'
import { existingPerformanceTracker } from '../default-tracker.js'
import { createDefaultLogger, SafeLogger } from '../log.js'
import { isLogger, unknownOption } from '../options.js'
import {
  buildProfileReport,
  type OperationFigures,
  PROFILE_DETAILS,
  PROFILE_REPORT_FORMAT,
  type ProfileDetail,
  type ProfileReport,
  type StageMemory,
} from '../report/profile-report.js'
import type { StageThresholds } from '../report/run-analysis.js'
import { readRegularFileSync, replaceFileSync } from '../storage/atomic-file.js'
import { CpuProfiler, topFunctions } from './cpu.js'
import { EventLoopDelay } from './event-loop.js'
import { GcObserver } from './gc.js'
import { HttpTiming } from './http-io.js'
import { type MemoryReading, MemorySampler, readMemory } from './memory.js'

/** Options of `new Profiler(options)` and `getProfiler(options)`. */
export interface ProfilerOptions {
  /** False makes the profiler do nothing: stages skip it with one boolean check. @default false */
  enabled?: boolean
  /**
   * What it measures (docs/profiling.md): `basic` durations, shares, rate, peak memory, services;
   * `detailed` adds memory per stage, GC, event-loop delay, HTTP per host and the leak verdict;
   * `full` adds a CPU profile. @default 'basic'
   */
  detail?: ProfileDetail
  /** How often memory is sampled, ms (an unref'd timer), besides every stage boundary. @default 100 */
  sampleIntervalMs?: number
  /**
   * Where reports (`profiles/*.json`, the last `keepRuns`) and CPU profiles are written; without
   * it nothing is written and there is no comparison with a previous run.
   */
  outputDir?: string
  /** Reports kept in `outputDir`. @default 20 */
  keepRuns?: number
  /** What `addItems` counts, for the processing rate. @default 'items' */
  unitName?: string
  /** ms, monotonic. @default performance.now */
  clock?: Clock
  /** Where perfwatch's own failures while profiling go. @default a pino logger named perfwatch */
  logger?: Logger
}

/** Options of `report()`. */
export interface ReportOptions {
  /**
   * The previous report to compare with: a file name in `{outputDir}/profiles/` (or a path). By
   * default the newest report there.
   */
  compareWith?: string
}

const OPTION_NAMES = [
  'enabled',
  'detail',
  'sampleIntervalMs',
  'outputDir',
  'keepRuns',
  'unitName',
  'clock',
  'logger',
] as const
/** Stage metrics kept for the report; later ones are counted only. */
export const MAX_PROFILED_METRICS = 100_000
/** A report file larger than this is not read. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024

/** What the profiler holds for one running stage. */
interface OpenStage {
  stage: string
  start: MemoryReading
  peakRssBytes: number
  peakHeapBytes: number
}

/**
 * Profiles stages (of every `StageTracker` given it as `profile`, or of all of them when it is the
 * default `getProfiler()`), the process around them, and reports.
 *
 * @example
 * const profiler = getProfiler({ enabled: true, detail: 'detailed' })
 * await runPipeline() // StageTracker stages are profiled without more code
 * console.log(renderReport(profiler.report(), { color: shouldUseColor() }))
 */
export class Profiler implements StageHooks {
  readonly enabled: boolean
  readonly detail: ProfileDetail
  readonly sampleIntervalMs: number
  readonly outputDir: string | undefined
  private readonly keepRuns: number
  private readonly unitName: string
  private readonly clock: Clock
  private readonly logger: SafeLogger
  private startMs = 0
  private stopMs: number | undefined
  private startedAt = ''
  private metrics: StageMetric[] = []
  private droppedMetrics = 0
  private thresholds: StageThresholds = {}
  private peakRssBytes = 0
  private peakHeapBytes = 0
  private memorySamples = 0
  private readonly open = new Set<OpenStage>()
  private current: OpenStage | undefined
  /** The stage that started last: the one a GC after it ended is charged to. */
  private lastStage: string | null = null
  private stageMemory = new Map<string, StageMemory>()
  private sampler: MemorySampler | undefined
  private gc: GcObserver | undefined
  private eventLoop: EventLoopDelay | undefined
  private http: HttpTiming | undefined
  private cpu: CpuProfiler | undefined
  private cpuSummary: ProfileReport['cpu'] = null

  /** @throws InvalidOptionError (a RangeError naming the option) for an invalid or unknown option. */
  constructor(options: ProfilerOptions = {}) {
    if (!isObject(options)) throw new InvalidOptionError('options', 'an object', options)
    for (const key of Object.keys(options)) {
      if (!(OPTION_NAMES as readonly string[]).includes(key)) throw unknownOption(key, OPTION_NAMES)
    }
    const {
      enabled = false,
      detail = 'basic',
      sampleIntervalMs = 100,
      outputDir,
      keepRuns = 20,
      unitName = 'items',
      clock = defaultClock,
      logger,
    } = options
    if (typeof enabled !== 'boolean') throw new InvalidOptionError('enabled', 'a boolean', enabled)
    if (!PROFILE_DETAILS.includes(detail)) {
      throw new InvalidOptionError('detail', "'basic', 'detailed' or 'full'", detail)
    }
    if (!isCount(sampleIntervalMs, 1) || sampleIntervalMs > 3_600_000) {
      throw new InvalidOptionError(
        'sampleIntervalMs',
        'an integer in [1, 3600000]',
        sampleIntervalMs,
      )
    }
    if (outputDir !== undefined && (typeof outputDir !== 'string' || outputDir === '')) {
      throw new InvalidOptionError('outputDir', 'a non-empty string', outputDir)
    }
    if (!isCount(keepRuns, 1)) throw new InvalidOptionError('keepRuns', 'an integer >= 1', keepRuns)
    if (typeof unitName !== 'string' || unitName === '') {
      throw new InvalidOptionError('unitName', 'a non-empty string', unitName)
    }
    if (typeof clock !== 'function') throw new InvalidOptionError('clock', 'a function', clock)
    if (logger !== undefined && !isLogger(logger)) {
      throw new InvalidOptionError('logger', 'a logger with info, warn and error methods', logger)
    }
    this.enabled = enabled
    this.detail = detail
    this.sampleIntervalMs = sampleIntervalMs
    this.outputDir = outputDir
    this.keepRuns = keepRuns
    this.unitName = unitName
    this.clock = clock
    this.logger = new SafeLogger(logger ?? createDefaultLogger())
  }

  /** True while stages should be reported to it: enabled and not stopped. */
  get isEnabled(): boolean {
    return this.enabled && this.stopMs === undefined
  }

  /** True between the start (explicit, or the first stage) and `stop()`. */
  get isRunning(): boolean {
    return this.isRunningNow
  }

  /**
   * Starts profiling now: the probes of its level are created. The first stage does it too.
   * After `stop()`, starts a new profile (the data of the previous one is dropped). Does nothing
   * when disabled or already running.
   */
  start(): void {
    if (!this.enabled || this.isRunningNow) return
    this.reset()
    this.isRunningNow = true
    this.startMs = this.now()
    this.startedAt = new Date().toISOString()
    this.guard(() => this.observe(readMemory()))
    const reportError = this.logger.reportInternalError
    const now = () => this.now()
    const currentStage = () => this.current?.stage ?? this.lastStage
    this.sampler = new MemorySampler(
      this.sampleIntervalMs,
      (reading) => this.observe(reading),
      reportError,
    )
    this.guard(() => this.sampler?.start())
    if (this.detail === 'basic') return
    this.gc = new GcObserver(now, currentStage, reportError)
    this.guard(() => this.gc?.start())
    this.eventLoop = new EventLoopDelay()
    this.guard(() => this.eventLoop?.start())
    this.http = new HttpTiming(now, currentStage, reportError)
    this.guard(() => this.http?.start())
    if (this.detail !== 'full') return
    this.cpu = new CpuProfiler()
    this.guard(() => this.cpu?.start())
  }

  /** Stops profiling: every probe is removed; `report()` still reports what was collected. */
  stop(): void {
    if (!this.isRunningNow) return
    this.stopMs = this.now()
    this.isRunningNow = false
    this.stopProbes()
  }

  /**
   * The report of what was profiled so far (docs/file-format.md), compared with the previous
   * run's when `outputDir` holds one; with `outputDir` it is also written there, keeping the last
   * `keepRuns`. A full-level profile's CPU profile ends here (the other probes keep running).
   */
  report(options: ReportOptions = {}): ProfileReport {
    if (!isObject(options)) throw new InvalidArgumentError('options', 'an object', options)
    for (const key of Object.keys(options)) {
      if (key !== 'compareWith') {
        throw new InvalidArgumentError(
          `Unknown field ${JSON.stringify(key)} in options: expected compareWith`,
        )
      }
    }
    if (options.compareWith !== undefined && typeof options.compareWith !== 'string') {
      throw new InvalidArgumentError('compareWith', 'a string', options.compareWith)
    }
    this.guard(() => this.observe(readMemory()))
    this.finishCpuProfile()
    const endMs = this.stopMs ?? this.now()
    const isDetailed = this.detail !== 'basic' && this.startedAt !== ''
    const report = buildProfileReport({
      detail: this.detail,
      startedAt: this.startedAt === '' ? new Date().toISOString() : this.startedAt,
      durationMs: this.startedAt === '' ? 0 : Math.max(0, endMs - this.startMs),
      metrics: this.metrics,
      droppedMetrics: this.droppedMetrics,
      thresholds: this.thresholds,
      unitName: this.unitName,
      peakRssBytes: this.peakRssBytes,
      peakHeapBytes: this.peakHeapBytes,
      memorySamples: this.memorySamples,
      stageMemory: isDetailed ? Object.fromEntries(this.stageMemory) : null,
      gc: isDetailed && this.gc !== undefined ? { ...this.gc.figures } : null,
      heapAfterGc: isDetailed && this.gc !== undefined ? [...this.gc.readings] : null,
      eventLoop: isDetailed && this.eventLoop !== undefined ? this.eventLoop.figures() : null,
      http: isDetailed && this.http !== undefined ? structuredClone(this.http.hosts) : null,
      operations: this.defaultTrackerOperations(),
      cpu: this.cpuSummary,
      previous: this.previousReport(options.compareWith),
    })
    this.save(report)
    return report
  }

  /**
   * Times `fn()` as a stage named `stage` of this profiler, for code that does not use a
   * `StageTracker`, and returns what it returns (a promise settles as it would; its result or
   * error unchanged). Disabled, it calls `fn()` after one boolean check.
   * @throws InvalidArgumentError for an invalid stage name or a `fn` that is not a function.
   */
  profileStage<T>(stage: string, fn: () => T): T {
    if (!this.isEnabled) return fn()
    checkName(stage, 'stage')
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a function', fn)
    const token = this.stageStarted(stage)
    const startMs = this.now()
    const startedAt = new Date().toISOString()
    const itemId = String(++this.profiledStages)
    const finish = (error: unknown, hasFailed: boolean) => {
      this.stageEnded(
        token,
        {
          runId: 'profile',
          itemId,
          stage,
          status: hasFailed ? 'error' : 'success',
          error: hasFailed ? describeError(error) : null,
          startedAt,
          durationMs: Math.max(0, this.now() - startMs),
          apiCalls: {},
          itemsProcessed: 0,
          attributes: {},
        },
        this.thresholds,
      )
    }
    let result: T
    try {
      result = fn()
    } catch (error) {
      finish(error, true)
      throw error
    }
    if (!isPromise(result)) {
      finish(undefined, false)
      return result
    }
    return result.then(
      (value) => {
        finish(undefined, false)
        return value
      },
      (error: unknown) => {
        finish(error, true)
        throw error
      },
    ) as T
  }

  /** Called by `StageTracker` when a stage starts; returns the stage's token. */
  stageStarted(stage: string): unknown {
    try {
      if (!this.isRunningNow) this.start()
      const start = readMemory()
      this.observe(start)
      const open: OpenStage = {
        stage,
        start,
        peakRssBytes: start.rssBytes,
        peakHeapBytes: start.heapBytes,
      }
      this.open.add(open)
      this.current = open
      this.lastStage = stage
      return open
    } catch (error) {
      this.logger.reportInternalError(error)
      return undefined
    }
  }

  /** Called by `StageTracker` when a stage ends, with the token `stageStarted` returned. */
  stageEnded(token: unknown, metric: StageMetric, thresholds: object): void {
    try {
      if (this.metrics.length < MAX_PROFILED_METRICS) this.metrics.push(metric)
      else this.droppedMetrics++
      this.thresholds = thresholds as StageThresholds
      const open = token as OpenStage | undefined
      // The end reading counts in this stage's peak too: observed before the stage is closed.
      const end = readMemory()
      this.observe(end)
      if (open === undefined || !this.open.delete(open)) return
      if (this.current === open) {
        let last: OpenStage | undefined
        for (const o of this.open) last = o
        this.current = last
      }
      if (this.detail === 'basic') return
      const heapDelta = end.heapBytes - open.start.heapBytes
      const rssDelta = end.rssBytes - open.start.rssBytes
      const memory = this.stageMemory.get(open.stage)
      if (memory === undefined) {
        this.stageMemory.set(open.stage, {
          heapStartBytes: open.start.heapBytes,
          heapEndBytes: end.heapBytes,
          heapDeltaBytes: heapDelta,
          heapPeakBytes: open.peakHeapBytes,
          rssStartBytes: open.start.rssBytes,
          rssEndBytes: end.rssBytes,
          rssDeltaBytes: rssDelta,
          rssPeakBytes: open.peakRssBytes,
        })
        return
      }
      memory.heapEndBytes = end.heapBytes
      memory.heapDeltaBytes += heapDelta
      memory.heapPeakBytes = Math.max(memory.heapPeakBytes, open.peakHeapBytes)
      memory.rssEndBytes = end.rssBytes
      memory.rssDeltaBytes += rssDelta
      memory.rssPeakBytes = Math.max(memory.rssPeakBytes, open.peakRssBytes)
    } catch (error) {
      this.logger.reportInternalError(error)
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private isRunningNow = false
  /** Stages timed by `profileStage`, numbering their items. */
  private profiledStages = 0

  /** A memory reading: the peaks, and the peaks of every open stage. */
  private observe(reading: MemoryReading): void {
    this.memorySamples++
    this.peakRssBytes = Math.max(this.peakRssBytes, reading.rssBytes)
    this.peakHeapBytes = Math.max(this.peakHeapBytes, reading.heapBytes)
    for (const open of this.open) {
      open.peakRssBytes = Math.max(open.peakRssBytes, reading.rssBytes)
      open.peakHeapBytes = Math.max(open.peakHeapBytes, reading.heapBytes)
    }
  }

  private reset(): void {
    this.stopMs = undefined
    this.metrics = []
    this.droppedMetrics = 0
    this.thresholds = {}
    this.peakRssBytes = 0
    this.peakHeapBytes = 0
    this.memorySamples = 0
    this.open.clear()
    this.current = undefined
    this.lastStage = null
    this.stageMemory = new Map()
    this.cpuSummary = null
    this.gc = undefined
    this.eventLoop = undefined
    this.http = undefined
  }

  private stopProbes(): void {
    this.guard(() => this.sampler?.stop())
    this.guard(() => this.gc?.stop())
    this.guard(() => this.eventLoop?.stop())
    this.guard(() => this.http?.stop())
    this.finishCpuProfile()
  }

  private finishCpuProfile(): void {
    const cpu = this.cpu
    if (cpu === undefined) return
    this.cpu = undefined
    this.guard(() => {
      const profile = cpu.stop()
      if (profile === undefined) return
      let file: string | null = null
      if (this.outputDir !== undefined) {
        file = join(this.outputDir, `profile-${fileStamp(new Date())}.cpuprofile`)
        replaceFileSync(file, JSON.stringify(profile), false)
      }
      this.cpuSummary = { file, topFunctions: topFunctions(profile) }
    })
  }

  /** Operations of the default tracker, if one exists (read, never created). */
  private defaultTrackerOperations(): Record<string, OperationFigures> | null {
    // Another copy of perfwatch may have made it: its summary is checked before it is read.
    const tracker = existingPerformanceTracker() as
      | { getSystemSummary?: () => SystemSummary }
      | undefined
    if (typeof tracker?.getSystemSummary !== 'function') return null
    try {
      const operations: Record<string, OperationFigures> = {}
      for (const [name, stats] of Object.entries(tracker.getSystemSummary().operations)) {
        operations[name] = {
          count: stats.totalCount,
          meanMs: stats.recentMean,
          p95Ms: stats.recentP95,
        }
      }
      return operations
    } catch (error) {
      this.logger.reportInternalError(error)
      return null
    }
  }

  private profilesFolder(): string | undefined {
    return this.outputDir === undefined ? undefined : join(this.outputDir, 'profiles')
  }

  /** Report files in `profiles/`, oldest first (their names sort by time). */
  private reportFiles(): string[] {
    const folder = this.profilesFolder()
    if (folder === undefined) return []
    try {
      return readdirSync(folder)
        .filter((name) => name.startsWith('profile-') && name.endsWith('.json'))
        .sort()
    } catch {
      return []
    }
  }

  private previousReport(compareWith: string | undefined): ProfileReport | null {
    const folder = this.profilesFolder()
    if (folder === undefined && compareWith === undefined) return null
    const name = compareWith ?? this.reportFiles().at(-1)
    if (name === undefined) return null
    const path = folder === undefined || name.includes('/') ? name : join(folder, name)
    try {
      const read = readRegularFileSync(path, MAX_REPORT_BYTES)
      if (read === undefined) throw new Error('it does not exist')
      const report = JSON.parse(read.text) as ProfileReport
      if (report?.format !== PROFILE_REPORT_FORMAT || report.version !== 1) {
        throw new Error('it is not a perfwatch profile report of version 1')
      }
      return report
    } catch (error) {
      this.logger.reportInternalError(
        new Error(`the previous profile report ${path} could not be read: ${String(error)}`),
      )
      return null
    }
  }

  private save(report: ProfileReport): void {
    const folder = this.profilesFolder()
    if (folder === undefined) return
    this.guard(() => {
      let path = join(folder, `profile-${fileStamp(new Date(report.generatedAt))}.json`)
      const existing = new Set(this.reportFiles())
      for (let k = 1; existing.has(path.slice(folder.length + 1)); k++) {
        path = join(folder, `profile-${fileStamp(new Date(report.generatedAt))}-${k}.json`)
      }
      replaceFileSync(path, `${JSON.stringify(report, null, 2)}\n`, false)
      const files = this.reportFiles()
      for (const old of files.slice(0, Math.max(0, files.length - this.keepRuns))) {
        unlinkSync(join(folder, old))
      }
    })
  }

  private guard(action: () => void): void {
    try {
      action()
    } catch (error) {
      this.logger.reportInternalError(error)
    }
  }

  private now(): number {
    try {
      return this.clock()
    } catch (error) {
      this.logger.reportInternalError(error)
      return performance.now()
    }
  }
}

/** The name and message of what a stage threw, whatever it is. */
function describeError(error: unknown): { name: string; message: string } {
  try {
    if (error instanceof Error) return { name: error.name, message: error.message }
    return { name: typeof error, message: String(error) }
  } catch {
    return { name: 'Unknown', message: 'the thrown value could not be described' }
  }
}

/** `2026-12-07T13-45-12-345Z`: an ISO time usable in a file name, sorting as time does. */
function fileStamp(date: Date): string {
  return date.toISOString().replace(/[:.]/g, '-')
}

/**
 * The process-wide profiler: created by the first call (with `options`), the same instance later.
 * Every `StageTracker` without a `profile` option reports its stages to it, so a pipeline is
 * profiled by calling `getProfiler({ enabled: true })` once at start-up.
 * @throws InvalidArgumentError when `options` are given after it was created (they would be
 * ignored), unless the run is profiled from the command line or `PERFWATCH_PROFILE`
 * (`profileFromArgv`): then that profiler is returned and the ignored options are logged
 * (`PERFWATCH_PROFILE_RUN`); InvalidOptionError for invalid options.
 */
export function getProfiler(options?: ProfilerOptions): Profiler {
  const global = globalThis as { [DEFAULT_PROFILER_KEY]?: Profiler; [RUN_PROFILER_KEY]?: Profiler }
  const existing = global[DEFAULT_PROFILER_KEY]
  if (existing !== undefined) {
    if (options !== undefined && existing === global[RUN_PROFILER_KEY]) {
      // The run is profiled from outside (--profile, PERFWATCH_PROFILE, perfwatch profile): that
      // choice stands, and the program goes on. That profiler logs with the default logger too.
      new SafeLogger(createDefaultLogger()).warn(
        { code: WARNING_CODES.profileRun, options: Object.keys(options) },
        'perfwatch: getProfiler(options) ignored its options: this run is profiled from the command line or PERFWATCH_PROFILE',
      )
      return existing
    }
    if (options !== undefined) {
      throw new InvalidArgumentError(
        'getProfiler(options): the default profiler already exists; pass options only on the first call',
      )
    }
    return existing
  }
  const profiler = new Profiler(options)
  global[DEFAULT_PROFILER_KEY] = profiler
  return profiler
}

/**
 * Whether text for `stream` should be coloured: a terminal, and no `NO_COLOR` (any non-empty
 * value, no-color.org).
 */
export function shouldUseColor(
  stream: { isTTY?: boolean } = process.stdout,
  env: Record<string, string | undefined> = process.env,
): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === ''
}
