import type { Clock } from './core/clock.js'
import {
  InvalidArgumentError,
  InvalidDurationError,
  NotEnoughSamplesError,
  UnknownOperationError,
  UnknownTimerError,
  WARNING_CODES,
} from './core/errors.js'
import { Operation, type OperationConfig, type OperationListener } from './core/operation.js'
import { RateLimiter } from './core/rate-limiter.js'
import type {
  BaselineChange,
  OperationState,
  OperationStats,
  SystemSummary,
  TrackerEventName,
  TrackerListener,
} from './core/snapshot.js'
import {
  normalizeThresholds,
  type OperationThresholds,
  type RecommendedThresholds,
  recommendFrom,
  thresholdsProblem,
} from './core/thresholds.js'
import { checkName, checkObject, isDuration, MAX_DURATION_MS } from './core/validate.js'
import { isFailure } from './core/window.js'
import { createMethodDecorator, type TimeOperationDecorator } from './decorators.js'
import { runSoon } from './defer.js'
import { Emitter, EVENT_NAMES } from './emitter.js'
import { SafeLogger } from './log.js'
import { type ResolvedOptions, resolveOptions, type TrackerOptions } from './options.js'
import {
  getEventLoopLag,
  getEventLoopUtilization,
  SATURATED_UTILIZATION,
  type StallInfo,
  watchProcess,
} from './process-monitor.js'
import { Reporter } from './reporter.js'
import { SlowCallLog } from './slow-calls.js'
import type { FileEntry } from './storage/baseline-file.js'
import { BaselineStore } from './storage/baseline-store.js'
import { ThresholdLog } from './threshold-log.js'
import { TimerTable } from './timers.js'
import { createTimedFunction, type TimedTarget } from './timing.js'

/** Options of `endOperation` and `record`. */
export interface RecordOptions {
  /** Whether the call succeeded; failures count for the error rate only. @default true */
  success?: boolean
  /**
   * Anything to attach to this sample's slow-call line, if it is slow; passed by reference (kept
   * until the next slow-call line at most), never copied or saved.
   */
  metadata?: Record<string, unknown>
}

/** One operation's samples recorded since the previous `samplesSince` with the same cursor. */
export interface SampleBatch {
  operation: string
  /** Samples recorded since the previous read: exact, even when the window could not hold them all. */
  count: number
  /**
   * The newest of them, oldest first: all `count` when the window holds them, else the window's
   * worth (the newest `windowSize`). Durations in ms.
   */
  durationsMs: Float64Array
  /** How many of `durationsMs` failed. */
  failures: number
}

/**
 * Maturings refused in a row (the operation kept getting slower while learning) after which a
 * `baseline-unstable` event is reported; again after twice as many, and so on.
 */
export const UNSTABLE_AFTER_REFUSALS = 3

/** Fewest operations degraded together that make a process-wide slowdown. */
export const PROCESS_SLOWDOWN_MIN_OPERATIONS = 3

/** The event loop must run at least this much behind its usual lag to explain a slowdown, ms. */
const MIN_EXPLAINING_LAG_MS = 1
/** Fewest newest samples whose median is compared with the baseline's to explain a raise. */
const MIN_EXPLAIN_SAMPLES = 20

/** How long, ms, a slowdown's evidence must span before it raises in a saturated process. */
export const SATURATED_EVIDENCE_SPAN_MS = 2000

/** Name under which samples of operations beyond `maxOperations` are recorded. */
export const OVERFLOW_OPERATION = 'perfwatch.overflow'

/** What `startOperation` returns on a disabled tracker; no enabled tracker issues it. */
const DISABLED_TIMER_ID = '0'

/**
 * Records durations per operation, learns baselines and warns when calls get slower.
 *
 * @example
 * const tracker = new PerformanceTracker({ storagePath: 'baselines/api.json' })
 * const timer = tracker.startOperation('db.query')
 * await db.query(sql)
 * tracker.endOperation(timer)
 * tracker.getOperationStats('db.query')?.recentP95
 */
export class PerformanceTracker {
  /** False when created with `enabled: false`: nothing is recorded. */
  readonly enabled: boolean
  private readonly options: ResolvedOptions
  /** The user's logger behind the adapter every part of the tracker uses; it never throws. */
  private readonly logger: SafeLogger
  private readonly clock: Clock
  private readonly operations = new Map<string, Operation>()
  private readonly store: BaselineStore | undefined
  private readonly listener: OperationListener
  private readonly operationConfig: OperationConfig
  private readonly emitter = new Emitter()
  private readonly reporter: Reporter
  private readonly timers: TimerTable<Operation>
  /** Counts and logs (rate-limited) a failure of perfwatch itself; never throws. */
  private readonly reportInternalError: (error: unknown) => void
  private hasWarnedTimerEviction = false
  private hasWarnedOverflow = false
  private inProcessSlowdown = false
  /** Slowdowns explained by the event loop are reported at most once a minute. */
  private readonly lagReports = new RateLimiter(60_000)
  /** Baseline changes since this tracker started (`getSystemSummary().baselineChanges`). */
  private baselineChanges = 0
  /** The per-sample rule's log lines: at most one per `warningIntervalMs` for the tracker. */
  private readonly slowCalls: SlowCallLog
  /** Fixed budgets by operation name, normalised; also for names not seen yet. */
  private readonly thresholds = new Map<string, OperationThresholds>()
  /** Stops watching the process for stalls (`watchProcess`); a no-op when not watching. */
  private readonly unwatchProcess: () => void

  /**
   * @throws InvalidOptionError (a RangeError naming the option) for an invalid option.
   */
  constructor(options: TrackerOptions = {}) {
    this.options = resolveOptions(options)
    this.timers = new TimerTable(this.options.maxOpenTimers)
    this.enabled = this.options.enabled
    this.logger = new SafeLogger(this.options.logger)
    this.reportInternalError = this.logger.reportInternalError
    this.clock = this.options.clock
    this.operationConfig = {
      windowSize: this.options.windowSize,
      baselineSamples: this.options.baselineSamples,
      detectionSamples: this.options.detectionSamples,
      refreshSamples: this.options.baselinePolicy === 'rolling' ? this.options.refreshSamples : 0,
      detectionToleranceMs: this.options.detectionToleranceMs,
      recoveryHoldMs: this.options.recoveryHoldMs,
      minLearningMs: this.options.minLearningMs,
      idleAfterMs: this.options.idleAfterMs,
      baselineOptions: { stdDevThreshold: this.options.stdDevThreshold },
    }
    const safeClock = () => this.now()
    this.slowCalls = new SlowCallLog(
      this.logger,
      safeClock,
      this.options.warningIntervalMs,
      this.options.detectionToleranceMs,
      this.reportInternalError,
    )
    const thresholdLog = new ThresholdLog(
      this.logger,
      safeClock,
      this.emitter,
      this.options.warningIntervalMs,
      this.reportInternalError,
    )
    for (const [name, thresholds] of Object.entries(this.options.thresholds)) {
      this.thresholds.set(name, thresholds)
    }
    const reporter = new Reporter(this.logger, safeClock, this.emitter, this.reportInternalError)
    this.reporter = reporter
    this.listener = {
      onSlowSample: (operation, durationMs, endMs, callMetadata, endMetadata) =>
        this.slowCalls.add(operation, durationMs, endMs, callMetadata, endMetadata),
      onThresholdExceeded: (operation, severity, durationMs, thresholdMs, endMs) =>
        thresholdLog.duration(operation, severity, durationMs, thresholdMs, endMs),
      onErrorRateExceeded: (operation, errorRate, maxErrorRate, sampleCount, endMs) =>
        thresholdLog.errorRate(operation, errorRate, maxErrorRate, sampleCount, endMs),
      onTransition: (operation, transition, incident) => {
        reporter.transition(operation, transition, incident, this.loopUtilization())
        this.checkProcessSlowdown()
      },
      isExplainedByProcess: (operation) => this.isExplainedByProcess(operation),
      minEvidenceSpanMs: () =>
        (this.loopUtilization() ?? 0) >= SATURATED_UTILIZATION ? SATURATED_EVIDENCE_SPAN_MS : 0,
      onBaseline: (operation, change) => this.baselineChanged(operation, change),
      onRefreshDue: (operation) => this.scheduleRefresh(operation),
      onMaturingRejected: (operation, share, limit, refusals, recent) =>
        reporter.maturingRejected(
          operation,
          share,
          limit,
          refusals,
          recent,
          UNSTABLE_AFTER_REFUSALS,
        ),
    }
    this.unwatchProcess =
      this.enabled && this.options.watchProcess
        ? watchStalls(this, this.reportInternalError)
        : () => {}
    const path = this.options.storagePath
    if (path !== null) {
      this.store = new BaselineStore(
        path,
        this.logger,
        {
          saveDelayMs: this.options.saveDelayMs,
          maxFileBytes: this.options.maxFileBytes,
          baselineOptions: this.operationConfig.baselineOptions,
        },
        {
          entries: () => this.fileEntries(),
          resetAtOf: (name) => this.operations.get(name)?.resetAt,
          adopt: (entry) => this.operations.get(entry.name)?.adopt(entry.baseline, entry.resetAt),
        },
      )
      // At most maxOperations: the entries not restored stay in the file.
      let restored = 0
      for (const entry of this.store.load()) {
        if (entry.baseline === undefined) continue
        if (this.operations.size >= this.options.maxOperations) break
        this.createOperation(entry.name)
        restored++
      }
      if (restored > 0) {
        this.logger.info(
          { path, count: restored },
          `perfwatch restored ${restored} baseline(s) from ${path}`,
        )
      }
    }
  }

  /**
   * Reports a process stall once, with the operations whose slow calls it explains.
   * @internal
   */
  reportStallNow(stall: StallInfo): void {
    // The monitor times the stall by performance.now(); the operations' sample times are the
    // tracker's clock: the same with the default clock, shifted by the difference otherwise.
    const offsetMs = this.now() - performance.now()
    const fromMs = stall.startedAtMs + offsetMs
    const operations: string[] = []
    for (const operation of this.operations.values()) {
      if (operation.lastSlowMs >= fromMs) operations.push(operation.name)
    }
    this.reporter.stall({
      at: new Date().toISOString(),
      durationMs: stall.durationMs,
      eventLoopDelayP99Ms: stall.eventLoopDelayP99Ms,
      eventLoopDelayMaxMs: stall.eventLoopDelayMaxMs,
      gcPauseMs: stall.gcPauseMs,
      operations,
    })
  }

  /**
   * Starts timing one call of `name`; returns the timer id to pass to `endOperation`. On a
   * disabled tracker it checks its arguments and returns a constant id, recording nothing.
   * @throws InvalidArgumentError when `name` is not a non-empty string of at most 1,024
   * characters, or `metadata` is not an object.
   */
  startOperation(name: string, metadata?: Record<string, unknown>): string {
    if (metadata !== undefined) checkObject('metadata', metadata)
    if (!this.enabled) {
      checkName(name)
      return DISABLED_TIMER_ID
    }
    const operation = this.operation(name)
    if (this.timers.size >= this.timers.maxOpen) this.evictOldestTimer()
    return this.timers.open(operation, this.now(), metadata)
  }

  /**
   * Ends a timer and records its duration; returns the duration in ms, NaN when the clock failed
   * (nothing is recorded then), 0 on a disabled tracker.
   * @throws UnknownTimerError when `timerId` is not open (never started, already ended, evicted);
   * InvalidArgumentError for options that are not an object of `success` and `metadata`. The
   * timer stays open then.
   */
  endOperation(timerId: string, options?: RecordOptions): number {
    if (!this.enabled) {
      if (options !== undefined) successOf(options)
      return 0
    }
    const endMs = this.now()
    const slot = this.timers.find(timerId)
    if (slot < 0) throw new UnknownTimerError(String(timerId))
    const success = options === undefined ? true : successOf(options)
    const operation = this.timers.targetOf(slot)
    const startMetadata = this.timers.metadataOf(slot)
    const durationMs = endMs - this.timers.startOf(slot)
    this.timers.close(slot)
    if (!isMeasured(durationMs, this.reportInternalError)) return Number.NaN
    operation.record(durationMs, success, endMs, startMetadata, options?.metadata)
    return durationMs
  }

  /**
   * Records a duration measured elsewhere, in ms.
   * @throws InvalidArgumentError for an invalid name or options; InvalidDurationError (a
   * RangeError) for a NaN, infinite or negative duration. Nothing is recorded then.
   */
  record(name: string, durationMs: number, options?: RecordOptions): void {
    // The common call, an existing operation and a plain duration, checks as little as it can.
    const operation = this.operations.get(name)
    if (
      operation !== undefined &&
      options === undefined &&
      isDuration(durationMs) &&
      this.enabled
    ) {
      operation.record(durationMs, true, this.now())
      return
    }
    this.recordChecked(name, durationMs, options)
  }

  private recordChecked(name: string, durationMs: number, options: RecordOptions | undefined) {
    checkName(name)
    if (!isDuration(durationMs)) {
      throw new InvalidDurationError(name, durationMs)
    }
    const success = options === undefined ? true : successOf(options)
    if (this.enabled)
      this.operation(name).record(durationMs, success, this.now(), options?.metadata)
  }

  /**
   * Returns a function that times every call of `fn` under `name`: sync calls until they return,
   * a returned native promise until it settles, another thenable until the first settlement after
   * the caller calls its `then`. Throws and rejections count as failures. The caller gets exactly
   * what `fn` gives (see docs/api.md); `new` works as on `fn`. With `enabled: false` it returns
   * `fn` itself.
   * @throws InvalidArgumentError when `name` is empty or `fn` is not a function.
   */
  // biome-ignore lint/suspicious/noExplicitAny: wraps functions of any signature
  wrap<F extends ((this: any, ...args: any[]) => any) | (abstract new (...args: any[]) => any)>(
    name: string,
    fn: F,
  ): F {
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a function', fn)
    const target = this.timedTarget(name)
    return target === null ? fn : (createTimedFunction(fn as never, () => target) as F)
  }

  /** A method decorator bound to this tracker (both TypeScript decorator modes). */
  timeOperation(name?: string): TimeOperationDecorator {
    return createMethodDecorator(name, () => this)
  }

  /**
   * The timing target of `name`, or `null` when this tracker is disabled. Used by `wrap` and the
   * decorators, which resolve it once per function, never per call.
   * @internal
   */
  timedTarget(name: string): TimedTarget | null {
    checkName(name)
    if (!this.enabled) return null
    return new OperationTarget(this.clock, this.operation(name), this.reportInternalError)
  }

  /**
   * Calls `listener` with a plain event object: `degradation` when an operation enters a
   * sustained degradation, `recovery` when it is back to its baseline, `baseline` when a baseline
   * is established, matured, refreshed, accepted or reset, `threshold` for each violation of a
   * fixed budget (see `setThresholds`). A listener that throws is logged and does not disturb
   * recording.
   * @throws InvalidArgumentError for an unknown event name or a listener that is not a function.
   */
  on<K extends TrackerEventName>(name: K, listener: TrackerListener<K>): this {
    checkListener(name, listener)
    this.emitter.on(name, listener)
    return this
  }

  /** Removes a listener added with `on`. */
  off<K extends TrackerEventName>(name: K, listener: TrackerListener<K>): this {
    checkListener(name, listener)
    this.emitter.off(name, listener)
    return this
  }

  /**
   * Forgets the baseline of `name` (in memory and, with the next write, on disk); it learns a
   * new one from its next samples. For after a deliberate change in what the operation does.
   * @throws UnknownOperationError when the tracker has never seen `name`.
   */
  resetBaseline(name: string): void {
    this.knownOperation(name).reset(Date.now())
  }

  /**
   * Makes the successful samples now in the window of `name` its baseline, and persists it: for
   * after a deliberate change that made it slower (or faster) for good. Record enough calls
   * after the change first, so the window holds only the new behaviour.
   * @throws UnknownOperationError for an unknown `name`; NotEnoughSamplesError when the window
   * has fewer than `baselineSamples` successful samples.
   */
  acceptCurrentAsBaseline(name: string): void {
    const operation = this.knownOperation(name)
    if (!operation.acceptWindow(Date.now())) {
      const stats = operation.snapshot(this.now())
      const successes = Math.round((stats.successRate ?? 0) * stats.sampleCount)
      throw new NotEnoughSamplesError(name, successes, this.options.baselineSamples)
    }
  }

  /**
   * Sets the fixed budgets of `name` (`warnMs`, `criticalMs`, `maxErrorRate`, each optional), or
   * removes them with `null`; for an operation not seen yet too, like the `thresholds` option.
   * From the next sample on, a successful call above `criticalMs` is a `critical` violation,
   * above `warnMs` (exactly `warnMs` is within it) a `warning`; a failure that leaves the
   * window's error rate above `maxErrorRate` (with at least 20 samples in the window) an
   * error-rate violation. Violations are counted in `getOperationStats(name).thresholdViolations`
   * (counts are kept when budgets change), logged at most once per `warningIntervalMs` per
   * operation and kind, and emitted as `threshold` events. A `basedOn` field (from
   * `recommendThresholds()`) is ignored. Nothing recorded is changed.
   * @throws InvalidArgumentError, changing nothing, for an invalid name, thresholds that are not
   * an object (or null), an unknown key, a budget that is not a number of ms in [0, 1e12), a
   * `criticalMs` below `warnMs`, or a `maxErrorRate` outside [0, 1].
   * @example
   * tracker.setThresholds('db.query', { warnMs: 200, criticalMs: 1000, maxErrorRate: 0.05 })
   */
  setThresholds(name: string, thresholds: OperationThresholds | null): void {
    checkName(name)
    let normalized: OperationThresholds | null = null
    if (thresholds !== null) {
      const problem = thresholdsProblem(thresholds, 'thresholds')
      if (problem !== undefined) throw new InvalidArgumentError(problem)
      normalized = normalizeThresholds(thresholds)
    }
    if (normalized === null) this.thresholds.delete(name)
    else this.thresholds.set(name, normalized)
    this.operations.get(name)?.setThresholds(normalized)
  }

  /**
   * The fixed budgets of `name` (a copy, with only the budgets that are set), or `undefined`
   * when it has none.
   * @throws InvalidArgumentError for an invalid name.
   */
  getThresholds(name: string): OperationThresholds | undefined {
    checkName(name)
    const thresholds = this.thresholds.get(name)
    return thresholds === undefined ? undefined : { ...thresholds }
  }

  /**
   * Budgets proposed from each operation's baseline, by name, for operations that have one (those
   * learning their first baseline, and `perfwatch.overflow`, are left out): `warnMs` = the
   * baseline's p95 x 1.5, `criticalMs` = its p99 x 2 (at least `warnMs`), each rounded up to 2
   * significant digits (`123.4` → 130, `0.873` → 0.88), with `basedOn: { p95, p99, sampleCount }`
   * (the numbers they came from; `sampleCount` 100 for a first baseline, 1,000 once mature). The
   * result can be passed as it is as the `thresholds` option or to `setThresholds` (which ignore
   * `basedOn`); this method sets nothing.
   * @example
   * writeFileSync('budgets.json', JSON.stringify(tracker.recommendThresholds(), null, 2))
   * // after a review: new PerformanceTracker({ thresholds: JSON.parse(readFileSync('budgets.json', 'utf8')) })
   */
  recommendThresholds(): Record<string, RecommendedThresholds> {
    const entries: Array<[string, RecommendedThresholds]> = []
    for (const operation of this.operations.values()) {
      const baseline = operation.baseline
      if (baseline === undefined || operation.name === OVERFLOW_OPERATION) continue
      const { p95, p99, sampleCount } = baseline
      const recommended = recommendFrom({ p95, p99, sampleCount })
      if (recommended !== undefined) entries.push([operation.name, recommended])
    }
    // fromEntries defines properties: an operation named "__proto__" is listed as such.
    return Object.fromEntries(entries)
  }

  /**
   * The state of one operation (`learning`, `ok` or `degraded`), or `undefined` when nothing is
   * known about it: O(1), for health checks and loops that cannot wait for events.
   */
  getOperationState(name: string): OperationState | undefined {
    return this.operations.get(name)?.stateAt(this.now())
  }

  /** Statistics of one operation, or `undefined` when nothing is known about it. */
  getOperationStats(name: string): OperationStats | undefined {
    if (typeof name !== 'string') throw new InvalidArgumentError('name', 'a string', name)
    return this.operations.get(name)?.snapshot(this.now())
  }

  /**
   * Each operation's samples recorded since the previous call with the same `cursor` (a map of
   * operation name to the samples already read, updated here): for exporters that keep their
   * own history, such as `perfwatch/history`. Reads the rolling window off the hot path, so
   * samples beyond `windowSize` between two reads are counted but not returned.
   */
  samplesSince(cursor: Map<string, number>): SampleBatch[] {
    if (!(cursor instanceof Map)) throw new InvalidArgumentError('cursor', 'a Map', cursor)
    const batches: SampleBatch[] = []
    for (const [name, operation] of this.operations) {
      const total = operation.recordedCount
      const count = total - (cursor.get(name) ?? 0)
      cursor.set(name, total)
      if (count <= 0) continue
      const durationsMs = operation.newestStored(count)
      let failures = 0
      for (let i = 0; i < durationsMs.length; i++) {
        const stored = durationsMs[i] as number
        if (isFailure(stored)) {
          failures++
          durationsMs[i] = -stored
        }
      }
      batches.push({ operation: name, count, durationsMs, failures })
    }
    return batches
  }

  /** Totals, the statistics of every operation and the count of internal errors. */
  getSystemSummary(): SystemSummary {
    const entries: Array<[string, OperationStats]> = []
    let totalSamples = 0
    let slowSamples = 0
    let checkedSamples = 0
    let withBaseline = 0
    const nowMs = this.operations.size > 0 ? this.now() : Number.NaN
    for (const [name, operation] of this.operations) {
      const stats = operation.snapshot(nowMs)
      entries.push([name, stats])
      totalSamples += stats.totalCount
      slowSamples += stats.degradedCount
      checkedSamples += operation.checkedSampleCount
      if (stats.baseline !== undefined) withBaseline++
    }
    return {
      totalSamples,
      slowSamples,
      systemDegradationRate: checkedSamples > 0 ? slowSamples / checkedSamples : 0,
      baselineCoverage: entries.length > 0 ? withBaseline / entries.length : 0,
      baselineChanges: this.baselineChanges,
      totalOperations: totalSamples,
      degradedOperations: slowSamples,
      trackedOperations: [...this.operations.keys()],
      currentlyDegraded: entries
        .filter(([, stats]) => stats.state === 'degraded')
        .map(([name]) => name),
      // fromEntries defines properties: an operation named "__proto__" is listed, not made the
      // object's prototype as `operations[name] = stats` would.
      operations: Object.fromEntries(entries),
      internalErrors: this.logger.internalErrors,
    }
  }

  /** Resolves once every baseline established so far is saved (no-op without `storagePath`). */
  async flush(): Promise<void> {
    await this.store?.flush()
  }

  /** Logs the slow calls held back, flushes, then drops open timers; later baselines are not saved. */
  async close(): Promise<void> {
    this.unwatchProcess()
    this.slowCalls.flush()
    await this.store?.close()
    this.timers.clear()
  }

  /** The tracker clock's reading, NaN (reported) when it fails. */
  private now(): number {
    return readClock(this.clock, this.reportInternalError)
  }

  private operation(name: string): Operation {
    const existing = this.operations.get(name)
    if (existing !== undefined) return existing
    checkName(name)
    if (this.operations.size < this.options.maxOperations) return this.createOperation(name)
    if (!this.hasWarnedOverflow) {
      this.hasWarnedOverflow = true
      this.logger.warn(
        {
          code: WARNING_CODES.tooManyOperations,
          maxOperations: this.options.maxOperations,
          operation: name,
        },
        `perfwatch tracks at most ${this.options.maxOperations} operations (maxOperations); ` +
          `samples of further names such as ${name} go to ${OVERFLOW_OPERATION}. ` +
          'Name operations by route or method, never by raw URL or id. (logged once)',
      )
    }
    return this.operations.get(OVERFLOW_OPERATION) ?? this.createOperation(OVERFLOW_OPERATION)
  }

  /** A new operation, with its baseline or last reset from the file when it has one. */
  private createOperation(name: string): Operation {
    const operation = new Operation(name, this.operationConfig, this.listener)
    const thresholds = this.thresholds.get(name)
    if (thresholds !== undefined) operation.setThresholds(thresholds)
    const stored = this.store?.entryOf(name)
    if (stored !== undefined) operation.restore(stored.baseline, stored.resetAt)
    this.operations.set(name, operation)
    return operation
  }

  /** What the file should hold for this tracker: its baselines, and its resets not relearned. */
  private *fileEntries(): Iterable<FileEntry> {
    for (const operation of this.operations.values()) {
      const { baseline, resetAt } = operation
      if (baseline !== undefined || resetAt > 0) yield { name: operation.name, baseline, resetAt }
    }
  }

  private evictOldestTimer(): void {
    this.timers.evictOldest()
    if (this.hasWarnedTimerEviction) return
    this.hasWarnedTimerEviction = true
    this.logger.warn(
      { code: WARNING_CODES.timersEvicted, maxOpenTimers: this.options.maxOpenTimers },
      `perfwatch has ${this.options.maxOpenTimers} open timers (maxOpenTimers) and evicts the ` +
        'oldest: every startOperation needs an endOperation. (logged once)',
    )
  }

  private knownOperation(name: string): Operation {
    checkName(name)
    const operation = this.operations.get(name)
    if (operation === undefined) throw new UnknownOperationError(name)
    return operation
  }

  private baselineChanged(operation: Operation, change: BaselineChange): void {
    this.baselineChanges++
    const baseline = operation.baseline
    // The log line, the event and filling the digest (0.1-0.5 ms for 1,000 samples) run after
    // the call that changed the baseline returns; that call only sorts and summarises.
    runSoon(() => {
      this.reporter.baseline(operation, change, baseline)
      baseline?.fillDigest()
    }, this.reportInternalError)
    this.store?.scheduleSave()
  }

  /**
   * After a raise or a clear: when at least 3 operations and at least half of the active ones
   * (with a detector, not idle) are degraded, that is one process-wide incident, reported once
   * when it starts and once when it ends. O(operations), only on transitions.
   */
  private checkProcessSlowdown(): void {
    const nowMs = this.now()
    const degraded: string[] = []
    let active = 0
    for (const operation of this.operations.values()) {
      const state = operation.stateAt(nowMs)
      if (state === 'ok' || state === 'degraded') active++
      if (state === 'degraded') degraded.push(operation.name)
    }
    const isSlowdown =
      degraded.length >= PROCESS_SLOWDOWN_MIN_OPERATIONS && 2 * degraded.length >= active
    if (isSlowdown === this.inProcessSlowdown) return
    this.inProcessSlowdown = isSlowdown
    const lag = this.eventLoopLag()
    const event = {
      at: new Date().toISOString(),
      cause: 'operations' as const,
      operations: degraded,
      activeOperations: active,
      ...lag,
      ended: !isSlowdown,
    }
    runSoon(() => this.reporter.processSlowdown(event), this.reportInternalError)
  }

  /**
   * True when the event loop runs behind its usual lag by at least half the operation's rise in
   * median since the onset: then the process (CPU starvation, a saturated loop) explains the
   * slowdown, not the operation. Asked only when a chart raises; reported at most once a minute.
   */
  private isExplainedByProcess(operation: Operation): boolean {
    if (!this.options.watchProcess) return false
    const lag = this.eventLoopLag()
    const baseline = operation.baseline
    const extraLagMs = (lag.eventLoopLagMs ?? 0) - (lag.typicalEventLoopLagMs ?? 0)
    if (!(extraLagMs >= MIN_EXPLAINING_LAG_MS) || baseline === undefined) return false
    // The samples since the chart left 0: the evidence, not the healthy calls before it.
    const since = operation.detector?.samplesSinceOnset() ?? 0
    const recentP50 = operation.recent(Math.max(MIN_EXPLAIN_SAMPLES, since)).summary?.p50 ?? 0
    if (extraLagMs < 0.5 * (recentP50 - baseline.p50)) return false
    const nowMs = this.now()
    if (this.lagReports.take(nowMs) >= 0) {
      const event = {
        at: new Date().toISOString(),
        cause: 'event-loop' as const,
        operations: [operation.name],
        activeOperations: this.operations.size,
        ...lag,
        ended: false,
      }
      runSoon(() => this.reporter.processSlowdown(event), this.reportInternalError)
    }
    return true
  }

  /** The event loop's utilization over the monitor's last check, 0-1, or null when not watched. */
  private loopUtilization(): number | null {
    const utilization = this.options.watchProcess ? getEventLoopUtilization() : Number.NaN
    return utilization >= 0 ? utilization : null
  }

  /** The event-loop lag now and as usual, ms, or nulls when it is not watched. */
  private eventLoopLag(): { eventLoopLagMs: number | null; typicalEventLoopLagMs: number | null } {
    const lag = this.options.watchProcess ? getEventLoopLag() : undefined
    const orNull = (ms: number | undefined) => (ms !== undefined && ms >= 0 ? ms : null)
    return { eventLoopLagMs: orNull(lag?.nowMs), typicalEventLoopLagMs: orNull(lag?.typicalMs) }
  }

  private scheduleRefresh(operation: Operation): void {
    runSoon(() => operation.refresh(this.options.maxBaselineChange), this.reportInternalError)
  }
}

/** Records the calls of one wrapped function or decorated method into one operation. */
class OperationTarget implements TimedTarget {
  private readonly clock: Clock
  private readonly operation: Operation
  private readonly reportError: (error: unknown) => void

  constructor(clock: Clock, operation: Operation, reportError: (error: unknown) => void) {
    this.clock = clock
    this.operation = operation
    this.reportError = reportError
  }

  start(): number {
    return readClock(this.clock, this.reportError)
  }

  record(durationMs: number, success: boolean): void {
    try {
      this.operation.record(durationMs, success, readClock(this.clock, this.reportError))
    } catch (error) {
      this.reportError(error)
    }
  }

  finish(startMs: number, success: boolean): void {
    let endMs: number
    try {
      endMs = this.clock()
    } catch (error) {
      this.reportError(error)
      return
    }
    const durationMs = endMs - startMs
    // One range check on the common path; what went wrong is worked out only when it fails.
    if (isDuration(durationMs)) {
      try {
        this.operation.record(durationMs, success, endMs)
      } catch (error) {
        this.reportError(error)
      }
    } else if (!Number.isFinite(endMs)) this.reportError(notFinite(endMs))
    else if (!Number.isNaN(durationMs)) this.reportError(notADuration(durationMs))
    // else NaN: the start reading failed and was reported then
  }
}

/**
 * Subscribes `tracker` to the process monitor through a weak reference: a tracker dropped
 * without `close()` can still be collected, and its subscription ends at the next stall.
 */
function watchStalls(tracker: PerformanceTracker, onError: (error: unknown) => void): () => void {
  const ref = new WeakRef(tracker)
  const unwatch = watchProcess(
    (stall) => {
      const live = ref.deref()
      if (live === undefined) unwatch()
      else live.reportStallNow(stall)
    },
    { onError },
  )
  return unwatch
}

/** One reading of the user's clock; NaN, reported, when it throws or gives no finite number. */
function readClock(clock: Clock, report: (error: unknown) => void): number {
  try {
    const nowMs = clock()
    if (Number.isFinite(nowMs)) return nowMs
    report(notFinite(nowMs))
  } catch (error) {
    report(error)
  }
  return Number.NaN
}

/**
 * True for a duration to record. NaN means a reading failed and was reported already; a negative
 * duration (a clock that went backwards) or one too long to store is reported here.
 */
function isMeasured(durationMs: number, report: (error: unknown) => void): boolean {
  if (isDuration(durationMs)) return true
  if (!Number.isNaN(durationMs)) report(notADuration(durationMs))
  return false
}

function notFinite(reading: unknown): RangeError {
  return new RangeError(`the clock returned ${String(reading)}, not a finite number of ms`)
}

function notADuration(durationMs: number): RangeError {
  return new RangeError(
    durationMs < 0
      ? `the clock went backwards by ${-durationMs} ms`
      : `the clock gave a duration of ${durationMs} ms, more than perfwatch stores (${MAX_DURATION_MS})`,
  )
}

/** Checks record options before anything changes; returns `success`. */
function successOf(options: RecordOptions): boolean {
  checkObject('options', options)
  const success = options.success ?? true
  if (typeof success !== 'boolean') {
    throw new InvalidArgumentError('options.success', 'a boolean', success)
  }
  if (options.metadata !== undefined) checkObject('options.metadata', options.metadata)
  return success
}

function checkListener(name: unknown, listener: unknown): void {
  if (!EVENT_NAMES.includes(name as TrackerEventName)) {
    throw new InvalidArgumentError('event name', `one of ${EVENT_NAMES.join(', ')}`, name)
  }
  if (typeof listener !== 'function') {
    throw new InvalidArgumentError('listener', 'a function', listener)
  }
}
