/**
 * `StageTracker`: pipeline runs made of items going through stages. Each stage of each item is
 * timed, counted (external API calls, tokens, units processed), written to its own file, fed to a
 * `PerformanceTracker` as an operation, and checked against budgets; statistics, analysis and CSV
 * are computed from the files, so they work from another process and after a restart.
 */
import { createHash } from 'node:crypto'
import { readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { isPromise } from 'node:util/types'
import { type Clock, defaultClock } from '../core/clock.js'
import {
  ERROR_CODES,
  InvalidArgumentError,
  InvalidOptionError,
  StageFileError,
  UnknownRunError,
  UnknownStageError,
  WARNING_CODES,
} from '../core/errors.js'
import { formatLatencies } from '../core/format.js'
import type { Logger } from '../core/logger.js'
import { defaultStageHooks, type StageHooks } from '../core/profile-hooks.js'
import { RateLimiter } from '../core/rate-limiter.js'
import type { StageMetric } from '../core/stage-metric.js'
import { thresholdsProblem } from '../core/thresholds.js'
import { checkName, isCount, isDuration, isObject } from '../core/validate.js'
import { getPerformanceTracker } from '../default-tracker.js'
import { createDefaultLogger, SafeLogger } from '../log.js'
import { isLogger, unknownOption } from '../options.js'
import {
  analyzeRun,
  budgetOf,
  type RunAnalysis,
  type StageThresholds,
  TOTAL_KEY,
} from '../report/run-analysis.js'
import {
  type RunSummary,
  runSummary,
  type StageStatistics,
  stageStatistics,
} from '../report/stage-statistics.js'
import {
  readRegularFileSync,
  replaceFileSync,
  writeFileAtomically,
} from '../storage/atomic-file.js'
import type { PerformanceTracker } from '../tracker.js'
import { csvColumns, metricsToCsv } from './csv.js'
import { runInStage, StageContext, type StageOwner } from './stage-context.js'
import {
  decodeName,
  encodeName,
  fitsFileSystem,
  metricFileName,
  parseStageMetric,
  serializeStageMetric,
} from './stage-file.js'

/** Options of `new StageTracker(options)`. */
export interface StageTrackerOptions {
  /** Where runs are kept: `{outputDir}/metrics/{runId}/{itemId}_{stage}.json`. @default 'perfwatch-runs' */
  outputDir?: string
  /**
   * False keeps metrics in memory only (the 20 most recent runs of this process): no files, and
   * the statistics see only this process's stages. @default true
   */
  persist?: boolean
  /**
   * True fsyncs each metric file and its folder before the stage returns, so a metric also
   * survives a power loss (about 1 ms more per stage on this machine's disk, docs/stages.md).
   * False still writes atomically (temporary file and rename): a crash of the process never
   * leaves part of a file, and a power loss may leave an empty one, which the readers skip.
   * @default false
   */
  durable?: boolean
  /**
   * The tracker each stage's duration is recorded into, as the operation
   * `${operationPrefix}${stage}`, so stages get baselines and degradation detection across runs;
   * `false` records nothing there. @default getPerformanceTracker(), looked up at the first stage end
   */
  tracker?: PerformanceTracker | false
  /** Prefix of the tracker operation of each stage. @default 'stage:' */
  operationPrefix?: string
  /**
   * Budgets in ms per stage, and for a whole item (the sum of its stages) under `total`. A number
   * is a warning budget; `{ warnMs, criticalMs }` sets both.
   * @example { extraction: 2000, output: { warnMs: 50, criticalMs: 200 }, total: 5000 }
   */
  thresholds?: StageThresholds
  /** Times stages, ms, monotonic. @default performance.now */
  clock?: Clock
  /** Where warnings go (budgets exceeded, unreadable files). @default a pino logger named perfwatch */
  logger?: Logger
  /** At most one budget warning per this many ms; the rest are counted in the next line. @default 10000 */
  warningIntervalMs?: number
  /**
   * The profiler told about every stage (a `Profiler`), or `false` for none. A disabled profiler
   * costs one boolean check per stage. @default getProfiler()'s, when one was created
   */
  profile?: StageHooks | false
}

/** Emitted when a stage, or an item as a whole (`stage: 'total'`), goes over its budget. */
export interface StageThresholdEvent {
  runId: string
  itemId: string
  /** The stage, or `total` for the item's summed stage time. */
  stage: string
  /** `critical` above `criticalMs`, else `warning` (above `warnMs`). */
  severity: 'warning' | 'critical'
  durationMs: number
  /** The budget it went over: `warnMs`, or `criticalMs` for `critical`. */
  thresholdMs: number
  at: string
}

/** What `exportMetricsCsv` wrote. */
export interface CsvExport {
  /** The absolute path of the file. */
  path: string
  /** Data rows (one per stage metric), not counting the header. */
  rowCount: number
  columns: string[]
}

const OPTION_NAMES = [
  'outputDir',
  'persist',
  'durable',
  'tracker',
  'operationPrefix',
  'thresholds',
  'clock',
  'logger',
  'warningIntervalMs',
  'profile',
] as const

/** Runs kept in memory with `persist: false`; older ones are dropped. */
export const MAX_RUNS_IN_MEMORY = 20
/** Items whose running total is kept for the `total` budget; older ones are forgotten. */
const MAX_ITEM_TOTALS = 10_000
/** A metric file larger than this is not one perfwatch wrote: it is reported and skipped. */
const MAX_METRIC_FILE_BYTES = 1024 * 1024
/** Unreadable files are reported once each; beyond this many, once per tracker. */
const MAX_REPORTED_FILES = 1000

const LEVEL_RANK = { none: 0, warning: 1, critical: 2 } as const
type Level = keyof typeof LEVEL_RANK

/**
 * Times the stages of pipeline items and keeps one metric file per stage and item.
 *
 * @example
 * const stages = new StageTracker({ outputDir: 'data/e2e_test', thresholds: { extraction: 2000 } })
 * const fields = await stages.trackStage(runId, 'msg_001', 'extraction', async (ctx) => {
 *   const r = await gemini.extract(emailBody)
 *   ctx.recordApiCall('gemini', { tokens: { input: r.inputTokens, output: r.outputTokens } })
 *   return r.fields
 * })
 * stages.getStageStatistics(runId, 'extraction').p95Ms
 */
export class StageTracker {
  readonly outputDir: string
  readonly persist: boolean
  private readonly durable: boolean
  private trackerOption: PerformanceTracker | false | undefined
  private readonly profileOption: StageHooks | false | undefined
  private readonly operationPrefix: string
  private readonly thresholds: StageThresholds
  private readonly clock: Clock
  private readonly logger: SafeLogger
  /** Epoch ms minus the clock's reading at construction: turns clock readings into wall times. */
  private readonly wallOffsetMs: number
  /** Budget lines per severity, so warnings never hide a critical line. */
  private readonly warnings: { warning: RateLimiter; critical: RateLimiter }
  private readonly lateWarnings: RateLimiter
  private readonly fileWarnings = new RateLimiter(60_000)
  private readonly reportedFiles = new Set<string>()
  /** `persist: false`: per run (the most recent last), metrics by item and stage. */
  private readonly memory = new Map<string, Map<string, StageMetric>>()
  private readonly itemTotals = new Map<string, { totalMs: number; level: Level }>()
  private readonly violations: Record<string, { warning: number; critical: number }> = {}
  private readonly listeners: Array<(event: StageThresholdEvent) => void> = []
  private readonly owner: StageOwner = {
    finish: (context, success, error) => {
      const metric = this.complete(context, success, error)
      this.writeSync(metric)
      return metric
    },
    reportLate: (context, method) => this.reportLate(context, method),
  }

  /** @throws InvalidOptionError (a RangeError naming the option) for an invalid or unknown option. */
  constructor(options: StageTrackerOptions = {}) {
    if (!isObject(options)) throw new InvalidOptionError('options', 'an object', options)
    for (const key of Object.keys(options)) {
      if (!(OPTION_NAMES as readonly string[]).includes(key)) throw unknownOption(key, OPTION_NAMES)
    }
    const {
      outputDir = 'perfwatch-runs',
      persist = true,
      // Stryker disable next-line BooleanLiteral: durable only adds fsyncs, which nothing in the process can see
      durable = false,
      tracker,
      operationPrefix = 'stage:',
      thresholds = {},
      clock = defaultClock,
      logger,
      warningIntervalMs = 10_000,
      profile,
    } = options
    if (typeof outputDir !== 'string' || outputDir === '') {
      throw new InvalidOptionError('outputDir', 'a non-empty string', outputDir)
    }
    if (typeof persist !== 'boolean') throw new InvalidOptionError('persist', 'a boolean', persist)
    if (typeof durable !== 'boolean') throw new InvalidOptionError('durable', 'a boolean', durable)
    if (tracker !== undefined && tracker !== false && typeof tracker?.record !== 'function') {
      throw new InvalidOptionError('tracker', 'a PerformanceTracker or false', tracker)
    }
    if (typeof operationPrefix !== 'string') {
      throw new InvalidOptionError('operationPrefix', 'a string', operationPrefix)
    }
    if (typeof clock !== 'function') throw new InvalidOptionError('clock', 'a function', clock)
    if (logger !== undefined && !isLogger(logger)) {
      throw new InvalidOptionError('logger', 'a logger with info, warn and error methods', logger)
    }
    if (!isCount(warningIntervalMs, 0)) {
      throw new InvalidOptionError('warningIntervalMs', 'an integer >= 0', warningIntervalMs)
    }
    if (
      profile !== undefined &&
      profile !== false &&
      (typeof profile?.stageStarted !== 'function' || typeof profile.stageEnded !== 'function')
    ) {
      throw new InvalidOptionError('profile', 'a Profiler or false', profile)
    }
    checkThresholds(thresholds)
    this.profileOption = profile
    this.outputDir = outputDir
    this.persist = persist
    this.durable = durable
    this.trackerOption = tracker
    this.operationPrefix = operationPrefix
    this.thresholds = { ...thresholds }
    this.clock = clock
    this.logger = new SafeLogger(logger ?? createDefaultLogger())
    this.wallOffsetMs = Date.now() - clock()
    this.warnings = {
      warning: new RateLimiter(warningIntervalMs),
      critical: new RateLimiter(warningIntervalMs),
    }
    this.lateWarnings = new RateLimiter(warningIntervalMs)
  }

  /**
   * Times `fn(ctx)` as stage `stage` of item `itemId` in run `runId`, and returns what it returns
   * or throws what it throws, unchanged; a promise it returns is awaited. The stage's metric is
   * recorded, also when `fn` throws or rejects (status `error`, the error's name and message), and
   * its file is written before the call returns or the returned promise settles.
   * @throws InvalidArgumentError for an empty or too long id or a `fn` that is not a function,
   * before `fn` runs.
   */
  trackStage<T>(runId: string, itemId: string, stage: string, fn: (ctx: StageContext) => T): T {
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a function', fn)
    const context = this.startStage(runId, itemId, stage)
    let result: T
    try {
      result = runInStage(context, fn)
    } catch (error) {
      this.endSync(context, false, error)
      throw error
    }
    if (!isPromise(result)) {
      this.endSync(context, true, undefined)
      return result
    }
    return result.then(
      async (value) => {
        await this.endAsync(context, true, undefined)
        return value
      },
      async (error: unknown) => {
        await this.endAsync(context, false, error)
        throw error
      },
    ) as T
  }

  /**
   * Starts stage `stage` of item `itemId` in run `runId` for code that cannot be wrapped in a
   * callback; `ctx.end()` ends it. `currentStage()` does not see it (it has no callback to scope).
   * @throws InvalidArgumentError for an empty or too long id.
   */
  startStage(runId: string, itemId: string, stage: string): StageContext {
    checkName(runId, 'runId')
    checkName(itemId, 'itemId')
    checkName(stage, 'stage')
    if (this.persist && !fitsFileSystem(runId, itemId, stage)) {
      throw new InvalidArgumentError(
        `runId, itemId and stage are too long for a file name (${metricFileName(itemId, stage)}): ` +
          'the run folder may have 255 bytes (UTF-8, encoded) and the metric file name 185; use shorter ids',
      )
    }
    const profiler = this.profileOption === undefined ? defaultStageHooks() : this.profileOption
    // With profiling off this is the one check per stage (docs/profiling.md measures it).
    const profiling =
      // Stryker disable next-line ConditionalExpression: false.isEnabled is undefined; `!== false` narrows the type
      profiler !== undefined && profiler !== false && profiler.isEnabled
        ? this.startProfiling(profiler, stage)
        : undefined
    const startMs = this.now()
    const context = new StageContext(
      { runId, itemId, stage },
      this.wallTime(startMs),
      startMs,
      this.owner,
    )
    context.profiling = profiling
    return context
  }

  /**
   * Statistics of `stage` across run `runId`, from its metric files (or memory).
   * @throws UnknownRunError when the run has no metrics; UnknownStageError when the run has none
   * of `stage` (the message lists the stages it has).
   */
  getStageStatistics(runId: string, stage: string): StageStatistics {
    checkName(stage, 'stage')
    const metrics = this.getRunMetrics(runId)
    const ofStage = metrics.filter((m) => m.stage === stage)
    if (ofStage.length === 0) {
      throw new UnknownStageError(runId, stage, [...new Set(metrics.map((m) => m.stage))])
    }
    return stageStatistics(stage, ofStage)
  }

  /**
   * Every stage's statistics and the run's totals: items, wall time, API calls, tokens, rate.
   * @throws UnknownRunError when the run has no metrics.
   */
  getRunSummary(runId: string): RunSummary {
    return runSummary(runId, this.getRunMetrics(runId))
  }

  /**
   * Bottlenecks and recommendations of run `runId` against this tracker's `thresholds`
   * (docs/stages.md gives the rules).
   * @throws UnknownRunError when the run has no metrics.
   */
  analyzeRun(runId: string): RunAnalysis {
    return analyzeRun(runId, this.getRunMetrics(runId), this.thresholds)
  }

  /**
   * The run's stage metrics, ordered by start time, then item and stage. Files that cannot be read
   * are reported (once each, with their path) and skipped, never deleted.
   * @throws UnknownRunError when the run has no metrics; StageFileError when its folder cannot be
   * read.
   */
  getRunMetrics(runId: string): StageMetric[] {
    checkName(runId, 'runId')
    const metrics = this.persist
      ? this.readRun(runId)
      : [...(this.memory.get(runId)?.values() ?? [])]
    if (metrics.length === 0) throw new UnknownRunError(runId, this.listRuns())
    return metrics.sort(byStartThenIds)
  }

  /** Ids of the runs with metrics, the most recently written first. */
  listRuns(): string[] {
    if (!this.persist) return [...this.memory.keys()].reverse()
    const folder = join(this.outputDir, 'metrics')
    let entries: string[]
    try {
      entries = readdirSync(folder)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new StageFileError(folder, 'cannot be listed', { cause: error })
    }
    const runs: Array<{ runId: string; modifiedMs: number }> = []
    for (const name of entries) {
      try {
        const stats = statSync(join(folder, name))
        if (stats.isDirectory()) runs.push({ runId: decodeName(name), modifiedMs: stats.mtimeMs })
      } catch {
        // removed meanwhile
      }
    }
    runs.sort((a, b) => b.modifiedMs - a.modifiedMs || compare(b.runId, a.runId))
    return runs.map((run) => run.runId)
  }

  /**
   * Writes the run's metrics as CSV (RFC 4180) to `outputPath`, atomically, one row per stage
   * metric: `run_id, item_id, stage, duration_seconds`, then `<service>_calls`,
   * `<service>_input_tokens`, `<service>_output_tokens` per service (sorted), `status`, `error`,
   * `started_at`.
   * @throws UnknownRunError when the run has no metrics; StageFileError when the file cannot be
   * written.
   */
  exportMetricsCsv(runId: string, outputPath: string): CsvExport {
    checkName(outputPath, 'outputPath')
    const metrics = this.getRunMetrics(runId)
    try {
      replaceFileSync(outputPath, metricsToCsv(metrics))
    } catch (error) {
      throw new StageFileError(outputPath, 'cannot be written', { cause: error })
    }
    return { path: resolve(outputPath), rowCount: metrics.length, columns: csvColumns(metrics) }
  }

  /** Budget violations counted by this tracker since it started, per stage (`total`: whole items). */
  getThresholdViolations(): Record<string, { warning: number; critical: number }> {
    return structuredClone(this.violations)
  }

  /** Calls `listener` with every budget violation (after it is logged). */
  on(name: 'threshold', listener: (event: StageThresholdEvent) => void): void {
    checkEventName(name)
    if (typeof listener !== 'function')
      throw new InvalidArgumentError('listener', 'a function', listener)
    this.listeners.push(listener)
  }

  off(name: 'threshold', listener: (event: StageThresholdEvent) => void): void {
    checkEventName(name)
    const index = this.listeners.lastIndexOf(listener)
    if (index >= 0) this.listeners.splice(index, 1)
  }

  /**
   * Logs how many budget violations were held back since the last line, if any (their counts
   * are also in `getThresholdViolations()`). Call it when the pipeline is done; stages can still
   * be tracked after it.
   */
  close(): void {
    for (const severity of ['warning', 'critical'] as const) {
      const held = this.warnings[severity].drain()
      if (held === 0) continue
      this.logger[severity === 'critical' ? 'error' : 'warn'](
        { code: WARNING_CODES.threshold, event: 'threshold', severity, suppressed: held },
        `perfwatch: ${held} more stage ${severity}s since the last line`,
      )
    }
  }

  // ---- ending a stage -------------------------------------------------------------------------

  private endSync(context: StageContext, success: boolean, error: unknown): void {
    if (context.isEnded) return
    this.writeSync(this.complete(context, success, error))
  }

  private async endAsync(context: StageContext, success: boolean, error: unknown): Promise<void> {
    if (context.isEnded) return
    const metric = this.complete(context, success, error)
    if (!this.persist) {
      this.keepInMemory(metric)
      return
    }
    try {
      await writeFileAtomically(this.pathFor(metric), serializeStageMetric(metric), this.durable)
    } catch (failure) {
      this.reportUnwritable(metric, failure)
    }
  }

  /** The stage's metric: recorded into the tracker and checked against its budgets. */
  private complete(context: StageContext, success: boolean, error: unknown): StageMetric {
    let durationMs = this.now() - context.startMs
    if (!isDuration(durationMs)) {
      this.logger.reportInternalError(
        new Error(`the clock gave a stage duration of ${durationMs} ms`),
      )
      durationMs = 0
    }
    const metric: StageMetric = {
      runId: context.runId,
      itemId: context.itemId,
      stage: context.stage,
      status: success ? 'success' : 'error',
      error: error === undefined ? null : describeError(error),
      startedAt: context.startedAt,
      durationMs,
      apiCalls: context.apiCalls,
      itemsProcessed: context.itemsProcessed,
      attributes: context.attributes,
    }
    context.markEnded(metric)
    try {
      this.recordIntoTracker(metric)
      this.checkBudgets(metric)
    } catch (failure) {
      this.logger.reportInternalError(failure)
    }
    const profiling = context.profiling
    if (profiling !== undefined) {
      try {
        profiling.profiler.stageEnded(profiling.token, metric, this.thresholds)
      } catch (failure) {
        this.logger.reportInternalError(failure) // a profiler of the user's own making
      }
    }
    return metric
  }

  /** The profiler's token for the stage; undefined when it failed (the stage goes on). */
  private startProfiling(
    profiler: StageHooks,
    stage: string,
  ): { profiler: StageHooks; token: unknown } | undefined {
    try {
      return { profiler, token: profiler.stageStarted(stage) }
    } catch (failure) {
      this.logger.reportInternalError(failure) // a profiler of the user's own making
      return undefined
    }
  }

  private recordIntoTracker(metric: StageMetric): void {
    if (this.trackerOption === false) return
    this.trackerOption ??= getPerformanceTracker()
    this.trackerOption.record(`${this.operationPrefix}${metric.stage}`, metric.durationMs, {
      success: metric.status === 'success',
    })
  }

  // ---- budgets --------------------------------------------------------------------------------

  private checkBudgets(metric: StageMetric): void {
    const { runId, itemId, stage, durationMs } = metric
    // Stryker disable next-line StringLiteral: a stage's own level is not kept, and '' ranks below warning like 'none'
    if (stage !== TOTAL_KEY) this.checkBudget(runId, itemId, stage, durationMs, 'none')
    const total = this.thresholds[TOTAL_KEY]
    // Stryker disable next-line ConditionalExpression: without a total budget no sum goes over it; skipping only saves the sums' memory
    if (total === undefined) return
    const key = JSON.stringify([runId, itemId])
    const item = this.itemTotals.get(key) ?? { totalMs: 0, level: 'none' as Level }
    this.itemTotals.delete(key) // re-inserted last: the oldest item is the first key
    item.totalMs += durationMs
    item.level = this.checkBudget(runId, itemId, TOTAL_KEY, item.totalMs, item.level)
    this.itemTotals.set(key, item)
    if (this.itemTotals.size > MAX_ITEM_TOTALS) {
      this.itemTotals.delete(this.itemTotals.keys().next().value as string)
    }
  }

  /** Reports a violation of `stage`'s budget above `reported`; returns the level reached. */
  private checkBudget(
    runId: string,
    itemId: string,
    stage: string,
    durationMs: number,
    reported: Level,
  ): Level {
    const { warnMs, criticalMs } = budgetOf(this.thresholds[stage])
    let level: 'warning' | 'critical'
    let thresholdMs: number
    if (criticalMs !== null && durationMs > criticalMs) {
      level = 'critical'
      thresholdMs = criticalMs
    } else if (warnMs !== null && durationMs > warnMs) {
      level = 'warning'
      thresholdMs = warnMs
    } else {
      return reported
    }
    if (LEVEL_RANK[level] <= LEVEL_RANK[reported]) return reported
    const counts = this.violations[stage] ?? { warning: 0, critical: 0 }
    this.violations[stage] = counts
    counts[level]++
    const event = {
      runId,
      itemId,
      stage,
      severity: level,
      durationMs,
      thresholdMs,
      at: new Date().toISOString(),
    }
    this.logViolation(event)
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (error) {
        this.logger.reportInternalError(error)
      }
    }
    return level
  }

  /** A `warning` line at `warn`, a `critical` one at `error`; each at most once an interval. */
  private logViolation(event: StageThresholdEvent): void {
    const held = this.warnings[event.severity].take(this.now())
    const level = event.severity === 'critical' ? 'error' : 'warn'
    if (held < 0 || !this.logger.isLevelEnabled(level)) return
    const what = event.stage === TOTAL_KEY ? 'its stages together' : `stage ${event.stage}`
    const [duration, threshold] = formatLatencies(event.durationMs, event.thresholdMs)
    this.logger[level](
      { code: WARNING_CODES.threshold, event: 'threshold', ...event, suppressed: held },
      `perfwatch: item ${event.itemId} of run ${event.runId}: ${what} took ${duration}, ` +
        `above the ${threshold} ${event.severity} budget` +
        (held > 0 ? ` (${held} more ${event.severity}s since the last line)` : ''),
    )
  }

  // ---- files ----------------------------------------------------------------------------------

  private runFolder(runId: string): string {
    return join(this.outputDir, 'metrics', encodeName(runId))
  }

  /**
   * `{itemId}_{stage}.json` in the run's folder, unless that name holds another key's metric
   * (`a_b` + `c` and `a` + `b_c` encode alike) or a file that cannot be read: then a name with
   * the key's hash, so nothing is overwritten. What is there is read as the readers read it
   * (regular files only, at most 1 MiB): a FIFO at that name must not block the stage.
   */
  private pathFor(metric: StageMetric): string {
    const folder = this.runFolder(metric.runId)
    const path = join(folder, metricFileName(metric.itemId, metric.stage))
    try {
      const read = readRegularFileSync(path, MAX_METRIC_FILE_BYTES)
      if (read === undefined) return path
      const held = parseStageMetric(read.text)
      if (
        held.runId === metric.runId &&
        held.itemId === metric.itemId &&
        held.stage === metric.stage
      ) {
        return path // the same item and stage again (a retry): the last one is kept
      }
    } catch {
      // unreadable: kept as it is
    }
    const key = JSON.stringify([metric.runId, metric.itemId, metric.stage])
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 8)
    return join(folder, metricFileName(metric.itemId, metric.stage, `.${hash}`))
  }

  private writeSync(metric: StageMetric): void {
    if (!this.persist) {
      this.keepInMemory(metric)
      return
    }
    try {
      replaceFileSync(this.pathFor(metric), serializeStageMetric(metric), this.durable)
    } catch (failure) {
      this.reportUnwritable(metric, failure)
    }
  }

  private keepInMemory(metric: StageMetric): void {
    const run = this.memory.get(metric.runId) ?? new Map<string, StageMetric>()
    this.memory.delete(metric.runId) // re-inserted last: the most recent run is the last key
    this.memory.set(metric.runId, run)
    run.set(JSON.stringify([metric.itemId, metric.stage]), metric) // a retry replaces
    if (this.memory.size > MAX_RUNS_IN_MEMORY) {
      this.memory.delete(this.memory.keys().next().value as string)
    }
  }

  private readRun(runId: string): StageMetric[] {
    const folder = this.runFolder(runId)
    let names: string[]
    try {
      names = readdirSync(folder)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw new StageFileError(folder, 'cannot be listed', { cause: error })
    }
    const metrics: StageMetric[] = []
    for (const name of names) {
      if (!name.endsWith('.json')) continue // temporary files of writes under way
      const path = join(folder, name)
      try {
        const read = readRegularFileSync(path, MAX_METRIC_FILE_BYTES)
        if (read === undefined) continue // removed meanwhile
        const metric = parseStageMetric(read.text)
        if (metric.runId !== runId)
          throw new Error(`it belongs to run ${JSON.stringify(metric.runId)}`)
        metrics.push(metric)
      } catch (error) {
        this.reportUnreadable(path, error)
      }
    }
    return metrics
  }

  private reportUnreadable(path: string, error: unknown): void {
    if (this.reportedFiles.has(path) || this.reportedFiles.size >= MAX_REPORTED_FILES) return
    this.reportedFiles.add(path)
    const reason = error instanceof Error ? error.message : String(error)
    this.logger.warn(
      {
        code: ERROR_CODES.stageFile,
        path,
        err: new StageFileError(path, reason, { cause: error }),
      },
      `perfwatch: skipped the stage metric file ${path}: ${reason}. It was left as it is.`,
    )
  }

  private reportUnwritable(metric: StageMetric, error: unknown): void {
    const held = this.fileWarnings.take(Date.now())
    if (held < 0) return
    const folder = this.runFolder(metric.runId)
    this.logger.warn(
      { code: ERROR_CODES.stageFile, path: folder, err: error, suppressed: held },
      `perfwatch: could not write the metric of stage ${metric.stage} of item ${metric.itemId} ` +
        `to ${folder}; the stage itself was not affected`,
    )
  }

  private reportLate(context: StageContext, method: string): void {
    const held = this.lateWarnings.take(this.now())
    if (held < 0) return
    this.logger.warn(
      {
        code: WARNING_CODES.stageEnded,
        runId: context.runId,
        itemId: context.itemId,
        stage: context.stage,
        method,
        suppressed: held,
      },
      `perfwatch: ${method} on stage ${context.stage} of item ${context.itemId} after it ended was ignored`,
    )
  }

  /** The wall time of a clock reading, ISO-8601; now by `Date` when the clock failed. */
  private wallTime(clockMs: number): string {
    const date = new Date(this.wallOffsetMs + clockMs)
    return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString()
  }

  private now(): number {
    try {
      return this.clock()
    } catch (error) {
      this.logger.reportInternalError(error)
      return Number.NaN
    }
  }
}

function byStartThenIds(a: StageMetric, b: StageMetric): number {
  return (
    compare(a.startedAt, b.startedAt) || compare(a.itemId, b.itemId) || compare(a.stage, b.stage)
  )
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
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

function checkThresholds(thresholds: unknown): asserts thresholds is StageThresholds {
  if (!isObject(thresholds)) throw new InvalidOptionError('thresholds', 'an object', thresholds)
  for (const [stage, budget] of Object.entries(thresholds)) {
    const option = `thresholds.${stage}`
    if (typeof budget === 'number') {
      if (!isDuration(budget))
        throw new InvalidOptionError(option, 'a number of ms in [0, 1e12)', budget)
      continue
    }
    // The tracker's budget check; a stage's error rate is judged by analyzeRun instead.
    const problem =
      isObject(budget) && 'maxErrorRate' in budget
        ? `${option} takes warnMs and criticalMs: stage error rates are in analyzeRun`
        : thresholdsProblem(budget, option)
    if (problem !== undefined) throw new InvalidOptionError(option, problem)
  }
}

function checkEventName(name: string): void {
  if (name !== 'threshold') throw new InvalidArgumentError('event name', '"threshold"', name)
}
