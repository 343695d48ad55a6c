import type { Clock } from './clock.js'
import { createMethodDecorator, type MethodDecorator } from './decorators.js'
import { InvalidArgumentError, InvalidDurationError, UnknownTimerError } from './errors.js'
import { formatMs } from './format.js'
import { type Logger, RateLimiter } from './log.js'
import { Operation, type OperationListener, type OperationStats } from './operation.js'
import { type ResolvedOptions, resolveOptions, type TrackerOptions } from './options.js'
import { BaselineStore } from './store.js'
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
  /** Open timers: id → slot in the parallel arrays below, oldest first (Map order). */
  private readonly timers = new Map<string, number>()
  private readonly timerOperations: Array<Operation | undefined> = []
  private readonly timerStarts: number[] = []
  private readonly timerMetadata: unknown[] = []
  private readonly freeTimerSlots: number[] = []
  private timerSequence = 0
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
    this.enabled = this.options.enabled
    this.logger = this.options.logger
    this.clock = this.options.clock
    this.listener = {
      onDegradedSample: (operation, durationMs, metadata, moreMetadata) =>
        this.warnDegradedSample(operation, durationMs, metadata, moreMetadata),
      onBaseline: (operation) => this.baselineEstablished(operation),
    }
    const path = this.options.storagePath
    if (path !== null) {
      this.store = new BaselineStore(path, this.logger, this.options.saveDelayMs, () =>
        this.baselines(),
      )
      const restored = this.store.load({ stdDevThreshold: this.options.stdDevThreshold })
      for (const baseline of restored) {
        this.createOperation(baseline.operation).setBaseline(baseline)
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
    if (this.timers.size >= this.options.maxOpenTimers) this.evictOldestTimer()
    const slot = this.freeTimerSlots.pop() ?? this.timerStarts.length
    const id = String(++this.timerSequence)
    this.timerOperations[slot] = operation
    this.timerMetadata[slot] = metadata
    this.timerStarts[slot] = this.clock()
    this.timers.set(id, slot)
    return id
  }

  /**
   * Ends a timer and records its duration; returns the duration in ms.
   * @throws UnknownTimerError when `timerId` is not open (never started, already ended, evicted).
   */
  endOperation(timerId: string, options?: RecordOptions): number {
    const endMs = this.clock()
    const slot = this.timers.get(timerId)
    if (slot === undefined) throw new UnknownTimerError(String(timerId))
    const success = successOf(options)
    this.timers.delete(timerId)
    const operation = this.timerOperations[slot] as Operation
    const startMetadata = this.timerMetadata[slot]
    const durationMs = endMs - (this.timerStarts[slot] as number)
    this.timerOperations[slot] = undefined
    this.timerMetadata[slot] = undefined
    this.freeTimerSlots.push(slot)
    if (this.enabled) {
      if (durationMs >= 0) {
        operation.record(durationMs, success, startMetadata, options?.metadata)
      } else {
        this.reportInternalError(new RangeError(`the clock went backwards by ${-durationMs} ms`))
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
    checkName(name)
    if (typeof durationMs !== 'number' || !(durationMs >= 0 && durationMs < Infinity)) {
      throw new InvalidDurationError(name, durationMs)
    }
    const success = successOf(options)
    if (this.enabled) this.operation(name).record(durationMs, success, options?.metadata)
  }

  /**
   * Returns a function that times every call of `fn` under `name`: sync calls until they return,
   * returned promises (any thenable) until they settle; throws and rejections count as failures
   * and reach the caller unchanged. With `enabled: false` it returns `fn` itself.
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
      operations,
    }
  }

  /** Resolves once every baseline established so far is saved (no-op without `storagePath`). */
  async flush(): Promise<void> {
    await this.store?.flush()
  }

  /** Flushes, then drops open timers; later baselines are no longer saved. */
  async close(): Promise<void> {
    await this.flush()
    this.isClosed = true
    this.timers.clear()
    this.timerOperations.length = 0
    this.timerStarts.length = 0
    this.timerMetadata.length = 0
    this.freeTimerSlots.length = 0
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
    const operation = new Operation(
      name,
      this.options.windowSize,
      this.options.baselineSamples,
      { stdDevThreshold: this.options.stdDevThreshold },
      this.listener,
    )
    this.operations.set(name, operation)
    return operation
  }

  private *baselines() {
    for (const operation of this.operations.values()) {
      if (operation.baseline !== undefined) yield operation.baseline
    }
  }

  private evictOldestTimer(): void {
    const [oldest] = this.timers
    if (oldest === undefined) return
    const [id, slot] = oldest
    this.timers.delete(id)
    this.timerOperations[slot] = undefined
    this.timerMetadata[slot] = undefined
    this.freeTimerSlots.push(slot)
    if (this.hasWarnedTimerEviction) return
    this.hasWarnedTimerEviction = true
    this.logger.warn(
      { maxOpenTimers: this.options.maxOpenTimers },
      `perfwatch has ${this.options.maxOpenTimers} open timers (maxOpenTimers) and evicts the ` +
        'oldest: every startOperation needs an endOperation. (logged once)',
    )
  }

  private warnDegradedSample(
    operation: Operation,
    durationMs: number,
    metadata: unknown,
    moreMetadata: unknown,
  ): void {
    const baseline = operation.baseline
    if (baseline === undefined || !this.logger.isLevelEnabled('warn')) return
    this.logger.warn(
      {
        operation: operation.name,
        durationMs,
        baselineP95: baseline.p95,
        baselineMean: baseline.mean,
        baselineStdDev: baseline.stdDev,
        rule: baseline.degradationRule(durationMs),
        ...(metadata === undefined && moreMetadata === undefined
          ? {}
          : { metadata: { ...(metadata as object), ...(moreMetadata as object) } }),
      },
      `Performance degradation detected for ${operation.name}: ${formatMs(durationMs)} ` +
        `(baseline p95: ${formatMs(baseline.p95)})`,
    )
  }

  private baselineEstablished(operation: Operation): void {
    const baseline = operation.baseline
    if (baseline === undefined) return
    this.logger.info(
      {
        operation: operation.name,
        p50: baseline.p50,
        p95: baseline.p95,
        p99: baseline.p99,
        sampleCount: baseline.sampleCount,
      },
      `Baseline established for ${operation.name}: p50 ${formatMs(baseline.p50)}, ` +
        `p95 ${formatMs(baseline.p95)} over ${baseline.sampleCount} samples`,
    )
    // Filling the digest (1-4 ms for 1000 values) is the slow part: after this call returns.
    setImmediate(() => {
      try {
        baseline.fillDigest()
      } catch (error) {
        this.reportInternalError(error)
      }
    }).unref()
    if (!this.isClosed) this.store?.scheduleSave()
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
      const durationMs = this.clock() - startMs
      if (durationMs >= 0) this.operation.record(durationMs, success)
      else if (!Number.isNaN(startMs)) {
        this.reportError(new RangeError(`the clock went backwards by ${-durationMs} ms`))
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

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name === '') {
    throw new InvalidArgumentError('operation name', 'a non-empty string', name)
  }
}
