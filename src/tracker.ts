import type { Clock } from './clock.js'
import { createMethodDecorator, type MethodDecorator } from './decorators.js'
import { runSoon } from './defer.js'
import {
  InvalidArgumentError,
  InvalidDurationError,
  NotEnoughSamplesError,
  UnknownOperationError,
  UnknownTimerError,
} from './errors.js'
import { Emitter, EVENT_NAMES, type TrackerEventName, type TrackerListener } from './events.js'
import { type Logger, RateLimiter } from './log.js'
import {
  type BaselineChange,
  Operation,
  type OperationConfig,
  type OperationListener,
  type OperationState,
  type OperationStats,
} from './operation.js'
import { type ResolvedOptions, resolveOptions, type TrackerOptions } from './options.js'
import { Reporter } from './reporter.js'
import { BaselineStore } from './store.js'
import { TimerTable } from './timers.js'
import { createTimedFunction, type TimedTarget } from './timing.js'

/** Options of `endOperation` and `record`. */
export interface RecordOptions {
  /** Whether the call succeeded; failures count for the error rate only. @default true */
  success?: boolean
  /** Anything to attach to this sample's degradation warning; passed through, never stored. */
  metadata?: Record<string, unknown>
}

/** What `getSystemSummary()` returns. */
export interface SystemSummary {
  /** Samples recorded across all operations. */
  totalOperations: number
  /** Degraded samples across all operations. */
  degradedOperations: number
  /** Names of every operation with samples or a baseline. */
  trackedOperations: string[]
  /** Names of the operations in a sustained degradation now (`state: 'degraded'`). */
  currentlyDegraded: string[]
  operations: Record<string, OperationStats>
}

/** Name under which samples of operations beyond `maxOperations` are recorded. */
export const OVERFLOW_OPERATION = 'perfwatch.overflow'

// Internal failures are logged at most once a minute, with a count of the ones held back.
const INTERNAL_ERROR_INTERVAL_MS = 60_000

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
  private readonly logger: Logger
  private readonly clock: Clock
  private readonly operations = new Map<string, Operation>()
  private readonly store: BaselineStore | undefined
  private readonly listener: OperationListener
  private readonly operationConfig: OperationConfig
  private readonly emitter = new Emitter()
  private readonly reporter: Reporter
  private readonly timers: TimerTable<Operation>
  private readonly internalErrors = new RateLimiter(INTERNAL_ERROR_INTERVAL_MS)
  private hasWarnedTimerEviction = false
  private hasWarnedOverflow = false
  private isClosed = false
  /** Reports a failure of perfwatch itself without throwing; shared by every timed target. */
  private readonly reportInternalError = (error: unknown): void => {
    try {
      const held = this.internalErrors.take(Date.now())
      if (held < 0) return
      this.logger.error(
        { err: error, suppressed: held },
        'perfwatch failed internally while recording; the monitored call was not affected',
      )
    } catch {
      // The logger itself failed: nothing left to report to.
    }
  }

  /**
   * @throws InvalidOptionError (a RangeError naming the option) for an invalid option.
   */
  constructor(options: TrackerOptions = {}) {
    this.options = resolveOptions(options)
    this.timers = new TimerTable(this.options.maxOpenTimers)
    this.enabled = this.options.enabled
    this.logger = this.options.logger
    this.clock = this.options.clock
    this.operationConfig = {
      windowSize: this.options.windowSize,
      baselineSamples: this.options.baselineSamples,
      detectionSamples: this.options.detectionSamples,
      refreshSamples: this.options.baselinePolicy === 'rolling' ? this.options.refreshSamples : 0,
      detectionToleranceMs: this.options.detectionToleranceMs,
      baselineOptions: { stdDevThreshold: this.options.stdDevThreshold },
    }
    const reporter = new Reporter(
      this.logger,
      this.clock,
      this.options.warningIntervalMs,
      this.emitter,
      this.reportInternalError,
    )
    this.reporter = reporter
    this.listener = {
      onDegradedSample: (operation, durationMs, endMs, metadata, more) =>
        reporter.slowSample(operation, durationMs, endMs, metadata, more),
      onTransition: (operation, transition) => reporter.transition(operation, transition),
      onBaseline: (operation, change) => this.baselineChanged(operation, change),
      onRefreshDue: (operation) => this.scheduleRefresh(operation),
      onMaturingRejected: (operation, share, limit) =>
        reporter.maturingRejected(operation, share, limit),
    }
    const path = this.options.storagePath
    if (path !== null) {
      this.store = new BaselineStore(path, this.logger, this.options.saveDelayMs, () =>
        this.baselines(),
      )
      const restored = this.store.load(this.operationConfig.baselineOptions)
      for (const baseline of restored) {
        this.createOperation(baseline.operation).restore(baseline)
      }
      if (restored.length > 0) {
        this.logger.info(
          { path, count: restored.length },
          `perfwatch restored ${restored.length} baseline(s) from ${path}`,
        )
      }
    }
  }

  /**
   * Starts timing one call of `name`; returns the timer id to pass to `endOperation`.
   * @throws InvalidArgumentError when `name` is not a non-empty string.
   */
  startOperation(name: string, metadata?: Record<string, unknown>): string {
    const operation = this.operation(name)
    if (this.timers.size >= this.timers.maxOpen) this.evictOldestTimer()
    return this.timers.open(operation, this.clock(), metadata)
  }

  /**
   * Ends a timer and records its duration; returns the duration in ms.
   * @throws UnknownTimerError when `timerId` is not open (never started, already ended, evicted).
   */
  endOperation(timerId: string, options?: RecordOptions): number {
    const endMs = this.clock()
    const slot = this.timers.find(timerId)
    if (slot < 0) throw new UnknownTimerError(String(timerId))
    const success = options === undefined ? true : successOf(options)
    const operation = this.timers.targetOf(slot)
    const startMetadata = this.timers.metadataOf(slot)
    const durationMs = endMs - this.timers.startOf(slot)
    this.timers.close(slot)
    if (this.enabled) {
      if (durationMs >= 0) {
        operation.record(durationMs, success, endMs, startMetadata, options?.metadata)
      } else {
        this.reportInternalError(clockWentBackwards(durationMs))
      }
    }
    return durationMs
  }

  /**
   * Records a duration measured elsewhere, in ms.
   * @throws InvalidArgumentError for an empty name; InvalidDurationError (a RangeError) for a
   * NaN, infinite or negative duration. Nothing is recorded then.
   */
  record(name: string, durationMs: number, options?: RecordOptions): void {
    // The common call, an existing operation and a plain duration, checks as little as it can.
    const operation = this.operations.get(name)
    if (
      operation !== undefined &&
      options === undefined &&
      typeof durationMs === 'number' &&
      durationMs >= 0 &&
      durationMs < Number.POSITIVE_INFINITY &&
      this.enabled
    ) {
      operation.record(durationMs, true, Number.NaN)
      return
    }
    this.recordChecked(name, durationMs, options)
  }

  private recordChecked(name: string, durationMs: number, options: RecordOptions | undefined) {
    checkName(name)
    if (typeof durationMs !== 'number' || !(durationMs >= 0 && durationMs < Infinity)) {
      throw new InvalidDurationError(name, durationMs)
    }
    const success = options === undefined ? true : successOf(options)
    if (this.enabled)
      this.operation(name).record(durationMs, success, Number.NaN, options?.metadata)
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
  wrap<F extends (this: any, ...args: any[]) => any>(name: string, fn: F): F {
    if (typeof fn !== 'function') throw new InvalidArgumentError('fn', 'a function', fn)
    const target = this.timedTarget(name)
    return target === null ? fn : createTimedFunction(fn, () => target)
  }

  /** A method decorator bound to this tracker (both TypeScript decorator modes). */
  timeOperation(name?: string): MethodDecorator {
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
   * is established, matured, refreshed, accepted or reset. A listener that throws is logged and
   * does not disturb recording.
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
    this.knownOperation(name).reset()
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
    if (!operation.acceptWindow()) {
      const stats = operation.snapshot()
      const successes = Math.round((stats.successRate ?? 0) * stats.sampleCount)
      throw new NotEnoughSamplesError(name, successes, this.options.baselineSamples)
    }
  }

  /**
   * The state of one operation (`learning`, `ok` or `degraded`), or `undefined` when nothing is
   * known about it: O(1), for health checks and loops that cannot wait for events.
   */
  getOperationState(name: string): OperationState | undefined {
    return this.operations.get(name)?.state
  }

  /** Statistics of one operation, or `undefined` when nothing is known about it. */
  getOperationStats(name: string): OperationStats | undefined {
    if (typeof name !== 'string') throw new InvalidArgumentError('name', 'a string', name)
    return this.operations.get(name)?.snapshot()
  }

  /** Totals and the statistics of every operation. */
  getSystemSummary(): SystemSummary {
    const operations: Record<string, OperationStats> = {}
    let totalOperations = 0
    let degradedOperations = 0
    for (const [name, operation] of this.operations) {
      const stats = operation.snapshot()
      operations[name] = stats
      totalOperations += stats.totalCount
      degradedOperations += stats.degradedCount
    }
    return {
      totalOperations,
      degradedOperations,
      trackedOperations: [...this.operations.keys()],
      currentlyDegraded: Object.values(operations)
        .filter((stats) => stats.state === 'degraded')
        .map((stats) => stats.operation),
      operations,
    }
  }

  /** Resolves once every baseline established so far is saved (no-op without `storagePath`). */
  async flush(): Promise<void> {
    await this.store?.flush()
  }

  /** Logs held-back warning counts, flushes, then drops open timers; later baselines are not saved. */
  async close(): Promise<void> {
    this.reporter.flushHeld()
    await this.flush()
    this.isClosed = true
    this.timers.clear()
  }

  private operation(name: string): Operation {
    const existing = this.operations.get(name)
    if (existing !== undefined) return existing
    checkName(name)
    if (this.operations.size < this.options.maxOperations) return this.createOperation(name)
    if (!this.hasWarnedOverflow) {
      this.hasWarnedOverflow = true
      this.logger.warn(
        { maxOperations: this.options.maxOperations, operation: name },
        `perfwatch tracks at most ${this.options.maxOperations} operations (maxOperations); ` +
          `samples of further names such as ${name} go to ${OVERFLOW_OPERATION}. ` +
          'Name operations by route or method, never by raw URL or id. (logged once)',
      )
    }
    return this.operations.get(OVERFLOW_OPERATION) ?? this.createOperation(OVERFLOW_OPERATION)
  }

  private createOperation(name: string): Operation {
    const operation = new Operation(name, this.operationConfig, this.listener)
    this.operations.set(name, operation)
    return operation
  }

  private *baselines() {
    for (const operation of this.operations.values()) {
      if (operation.baseline !== undefined) yield operation.baseline
    }
  }

  private evictOldestTimer(): void {
    this.timers.evictOldest()
    if (this.hasWarnedTimerEviction) return
    this.hasWarnedTimerEviction = true
    this.logger.warn(
      { maxOpenTimers: this.options.maxOpenTimers },
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
    const baseline = operation.baseline
    // The log line, the event and filling the digest (0.1-0.5 ms for 1,000 samples) run after
    // the call that changed the baseline returns; that call only sorts and summarises.
    runSoon(() => {
      this.reporter.baseline(operation, change, baseline)
      baseline?.fillDigest()
    }, this.reportInternalError)
    if (!this.isClosed) this.store?.scheduleSave()
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
    try {
      return this.clock()
    } catch (error) {
      this.reportError(error)
      return Number.NaN
    }
  }

  finish(startMs: number, success: boolean): void {
    try {
      const endMs = this.clock()
      const durationMs = endMs - startMs
      if (durationMs >= 0) this.operation.record(durationMs, success, endMs)
      else if (!Number.isNaN(startMs)) {
        this.reportError(clockWentBackwards(durationMs))
      }
    } catch (error) {
      this.reportError(error)
    }
  }
}

function successOf(options: RecordOptions | undefined): boolean {
  const success = options?.success ?? true
  if (typeof success !== 'boolean') {
    throw new InvalidArgumentError('options.success', 'a boolean', success)
  }
  return success
}

/** A negative duration: the injected clock is not monotonic. Reported, never thrown. */
function clockWentBackwards(durationMs: number): RangeError {
  return new RangeError(`the clock went backwards by ${-durationMs} ms`)
}

function checkListener(name: unknown, listener: unknown): void {
  if (!EVENT_NAMES.includes(name as TrackerEventName)) {
    throw new InvalidArgumentError('event name', `one of ${EVENT_NAMES.join(', ')}`, name)
  }
  if (typeof listener !== 'function') {
    throw new InvalidArgumentError('listener', 'a function', listener)
  }
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new InvalidArgumentError('operation name', 'a non-empty string', name)
  }
}
