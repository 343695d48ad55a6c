import { Baseline, type BaselineOptions } from './baseline.js'
import {
  CLEARED,
  chartLimits,
  DegradationDetector,
  learnedSlower,
  NO_CHANGE,
  RAISED,
  RESUMED,
  type Transition,
} from './detection.js'
import { Incident } from './incident.js'
import type { BaselineChange, OperationState, OperationStats } from './snapshot.js'
import { type Summary, summarize } from './stats.js'
import { MIN_ERROR_RATE_SAMPLES, type OperationThresholds } from './thresholds.js'
import { allDurations, isFailure, newestSuccesses, successfulDurations } from './window.js'

/** Calls per second are measured over windows of at least this long. */
const RATE_WINDOW_MS = 1000

/** What an operation tells its owner; the tracker's reporter implements it. */
export interface OperationListener {
  /**
   * A sample above the per-sample threshold. `endMs` is the tracker clock's reading at the end of
   * the call, NaN when unknown; the metadata as `record` received it.
   */
  onSlowSample(
    operation: Operation,
    durationMs: number,
    endMs: number,
    callMetadata: unknown,
    endMetadata: unknown,
  ): void
  /**
   * A successful call above a fixed budget: `criticalMs` (`critical`) or `warnMs` (`warning`);
   * `thresholdMs` is the budget exceeded. Counted in `thresholdViolations` before the call.
   */
  onThresholdExceeded(
    operation: Operation,
    severity: 'warning' | 'critical',
    durationMs: number,
    thresholdMs: number,
    endMs: number,
  ): void
  /**
   * A failure left the window's error rate (`errorRate` of its `sampleCount` samples) above
   * `maxErrorRate`. Counted in `thresholdViolations` before the call.
   */
  onErrorRateExceeded(
    operation: Operation,
    errorRate: number,
    maxErrorRate: number,
    sampleCount: number,
    endMs: number,
  ): void
  onBaseline(operation: Operation, change: BaselineChange): void
  /**
   * A raise or resumption (with the open incident) or a recovery (with the incident it closed;
   * null when there was none to close).
   */
  onTransition(operation: Operation, transition: Transition, incident: Incident | null): void
  /**
   * Asked when a chart raises (rarely): true when the whole process fell behind enough to
   * explain the slowdown, and the raise is dismissed.
   */
  isExplainedByProcess(operation: Operation): boolean
  /**
   * Asked when a latency chart raises or resumes: how long, ms, its evidence must span before
   * that stands (0: at once). A shorter span is deferred and asked again at the next sample with
   * the chart still at its limit.
   */
  minEvidenceSpanMs(): number
  /** A rolling baseline has seen `refreshSamples` more samples: refresh it off the hot path. */
  onRefreshDue(operation: Operation): void
  /**
   * Samples collected to mature a baseline were slower than it; they were discarded.
   * `refusals` counts the refusals in a row; `recent` summarises the discarded samples.
   */
  onMaturingRejected(
    operation: Operation,
    shareAboveP50: number,
    limit: number,
    refusals: number,
    recent: Summary & { count: number },
  ): void
}

/** How an operation learns and keeps its baseline. */
export interface OperationConfig {
  windowSize: number
  /** Successes before the first baseline (the per-sample rule starts then). */
  baselineSamples: number
  /** Successes the detector's baseline is built from (it matures to this many). */
  detectionSamples: number
  /** Successes between rolling refreshes; 0 keeps the baseline frozen. */
  refreshSamples: number
  /** Shifts smaller than this are not reported by the detector, in ms. */
  detectionToleranceMs: number
  /** A degradation clears only after its charts stayed quiet this long, ms. */
  recoveryHoldMs: number
  /** With no sample for this long an operation is `idle`, ms. */
  idleAfterMs: number
  /** A baseline matures only after learning this long (and `detectionSamples` samples), ms. */
  minLearningMs: number
  baselineOptions: BaselineOptions
}

/**
 * The state of one operation and the hot path. Recording a sample is O(1) and allocates
 * nothing: a write into a Float64Array ring, counters, one comparison against a threshold
 * precomputed when the baseline or the fixed budgets changed (the lower of the per-sample rule's
 * and the budgets'; which rule fired is sorted out only above it), and the detector's
 * constant-time update. The error-rate budget is checked on failures only.
 *
 * The ring's layout and its read side are in window.ts; the write stays here, inline.
 *
 * Learning: successes are copied into `learning` (the window may lose them to failures). At
 * `baselineSamples` the first baseline is built from them; at `detectionSamples` it matures: the
 * baseline is rebuilt from all of them, the detector starts and the buffer is freed. Maturing is
 * refused when the later samples are clearly slower than the first baseline (a slowdown during
 * learning), and starts over.
 */
export class Operation {
  readonly name: string
  baseline: Baseline | undefined
  detector: DegradationDetector | null = null
  /** The open sustained degradation, opened and closed by this operation; null while none. */
  incident: Incident | null = null
  /**
   * When the latest reset or accept of this operation happened (wall clock, ms since the epoch;
   * 0 for never), by this tracker or one sharing its file: baselines learned since descend from
   * it, and in a shared file an entry after a later reset or accept wins.
   */
  resetAt = 0
  private readonly config: OperationConfig
  private readonly listener: OperationListener
  private readonly durations: Float64Array
  private head = 0
  private count = 0
  private totalCount = 0
  private slowCount = 0
  private failureCount = 0
  /** The sum of every recorded duration, successes and failures: a summary's `_sum`. */
  private totalDurationMs = 0
  /** Successes recorded while there was no baseline: they were not checked. */
  private uncheckedCount = 0
  private readonly capacity: number
  private readonly refreshSamples: number
  /** `baseline.slowAboveMs`, or Infinity without a baseline: the per-sample rule. */
  private slowAboveMs = Number.POSITIVE_INFINITY
  /**
   * `min(slowAboveMs, budgets.aboveMs)`: the one comparison per successful sample. Without budgets
   * it is `slowAboveMs`, so such an operation costs what it did before budgets existed.
   */
  private checkAboveMs = Number.POSITIVE_INFINITY
  /**
   * The fixed budgets' state, created when budgets are first set and kept (with its counts) when
   * they are removed; null for an operation that never had any. One field rather than a dozen:
   * with 1,000 operations recorded round-robin, a dozen more fields on every operation cost ~8 %
   * (test/bench hotpath, record1000), budgets or not.
   */
  private budgets: BudgetState | null = null
  private learning: Float64Array | null
  private learned = 0
  /** Failures while learning, in stored samples' worth (each counts 1 / learningStride). */
  private learningFailures = 0
  /** While learning a busy operation: every learningStride-th success is stored. */
  private learningStride = 1
  private learningSkipped = 0
  /** Learning samples before this index built the current baseline; the guard skips them. */
  private guardFrom = 0
  private sinceRefresh = 0
  /** A degradation was raised since the last rolling refresh: the next one is skipped. */
  private hadIncident = false
  /** End of the newest sample, tracker clock; NaN before any. */
  private lastEndMs = Number.NaN
  /** The call-rate window: its start, the calls in it, and the rate of the last full one. */
  private rateStartMs = Number.NaN
  private rateCount = 0
  private lastRate = Number.NaN
  /** When the first learning sample ended and the calls counted before it. */
  private learningStartMs = Number.NaN
  private learningStartCount = 0
  /** Maturings refused in a row (a slowdown during learning). */
  private refusals = 0
  /** When the newest slow sample (above the per-sample threshold) ended; -Infinity before any. */
  lastSlowMs = Number.NEGATIVE_INFINITY

  constructor(name: string, config: OperationConfig, listener: OperationListener) {
    this.name = name
    this.config = config
    this.listener = listener
    this.capacity = config.windowSize
    this.refreshSamples = config.refreshSamples
    this.durations = new Float64Array(config.windowSize)
    this.learning = new Float64Array(this.learningSize())
  }

  /**
   * Records one sample. The caller has validated `durationMs` (finite, >= 0; -0 is a success).
   * @param endMs the clock reading at the end of the call when the caller has it (it saves the
   * slow-sample path a clock read), else NaN.
   * @param callMetadata the caller's metadata (`record`'s, or `startOperation`'s) and
   * @param endMetadata `endOperation`'s: passed to the listener when the sample is slow, never
   * stored. Two arguments, not one merged object, so the hot path allocates nothing; they are
   * merged only for a log line.
   */
  record(
    durationMs: number,
    success: boolean,
    endMs: number,
    callMetadata?: unknown,
    endMetadata?: unknown,
  ): void {
    const i = this.head
    this.head = i + 1 === this.capacity ? 0 : i + 1
    if (this.count < this.capacity) this.count++
    this.totalCount++
    this.totalDurationMs += durationMs
    this.countCall(endMs)
    if (!success) {
      this.durations[i] = -durationMs
      this.recordFailure(endMs)
      return
    }
    this.durations[i] = durationMs + 0 // a -0 success would read as a 0 ms failure
    const detector = this.detector
    if (detector === null) {
      // Stryker disable next-line ConditionalExpression,EqualityOperator: the one comparison only saves work: aboveCheck compares with each rule's own threshold, all at or above checkAboveMs
      if (durationMs > this.checkAboveMs)
        this.aboveCheck(durationMs, endMs, callMetadata, endMetadata)
      this.learn(durationMs, endMs) // without a detector there is always a learning buffer
      return
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: only saves work, as above
    if (durationMs > this.checkAboveMs)
      this.aboveCheck(durationMs, endMs, callMetadata, endMetadata)
    const transition = detector.score(detector.bandOf(durationMs), endMs)
    if (transition !== NO_CHANGE) this.transition(transition, endMs)
    if (this.refreshSamples !== 0 && ++this.sinceRefresh >= this.refreshSamples) {
      this.refreshDue(detector)
    }
  }

  /**
   * Sets the fixed budgets (valid and normalised by the caller: only the keys that are set), or
   * removes them (null). Violations counted so far are kept.
   */
  setThresholds(thresholds: OperationThresholds | null): void {
    // Stryker disable next-line ConditionalExpression: only saves an operation that never had budgets a state without any, which checks nothing and counts zeros
    if (thresholds === null && this.budgets === null) return
    const budgets = this.budgets ?? new BudgetState()
    this.budgets = budgets
    budgets.thresholds = thresholds
    budgets.warnAboveMs = thresholds?.warnMs ?? Number.POSITIVE_INFINITY
    budgets.criticalAboveMs = thresholds?.criticalMs ?? Number.POSITIVE_INFINITY
    budgets.aboveMs = Math.min(budgets.warnAboveMs, budgets.criticalAboveMs)
    this.setSlowAbove(this.slowAboveMs)
    const maxErrorRate = thresholds?.maxErrorRate
    // Stryker disable next-line ConditionalExpression: only saves work: failures numbered against an undefined maxErrorRate are never above it
    if (maxErrorRate === undefined) {
      budgets.maxErrorRate = Number.POSITIVE_INFINITY
      budgets.failureNumbers = null
    } else {
      budgets.maxErrorRate = maxErrorRate
      this.numberFailures(budgets) // afresh from the window: O(windowSize), at a change only
    }
  }

  /** The fixed budgets (a copy), or null without. */
  get thresholds(): OperationThresholds | null {
    const thresholds = this.budgets?.thresholds ?? null
    return thresholds === null ? null : { ...thresholds }
  }

  /**
   * Installs a baseline restored from disk (or, with no baseline, only the time of its last
   * reset); an immature one keeps learning to mature.
   */
  restore(baseline: Baseline | undefined, resetAt: number): void {
    this.resetAt = resetAt
    if (baseline !== undefined) this.install(baseline)
  }

  /** Forgets the baseline and learns a new one from the next samples. */
  reset(resetAt: number, change: 'reset' | 'adopted' = 'reset'): void {
    this.resetAt = resetAt
    this.refusals = 0
    this.baseline = undefined
    this.setSlowAbove(Number.POSITIVE_INFINITY)
    this.detector = null
    this.incident = null
    this.startLearning()
    this.listener.onBaseline(this, change)
  }

  /**
   * Makes the window's successful samples the baseline (after a deliberate change).
   * @returns false, changing nothing, when the window has fewer than `baselineSamples` successes.
   */
  acceptWindow(resetAt: number): boolean {
    const samples = successfulDurations(this.durations, this.count)
    if (samples.length < this.config.baselineSamples) return false
    const baseline = this.buildBaseline(
      samples,
      this.count - samples.length,
      this.callRate(this.lastEndMs),
    )
    this.replaceBaseline(baseline, resetAt)
    this.listener.onBaseline(this, 'accepted')
    return true
  }

  /** Takes the reset or baseline another tracker sharing the file wrote after an operator action. */
  adopt(baseline: Baseline | undefined, resetAt: number): void {
    if (baseline === undefined) {
      this.reset(resetAt, 'adopted')
      return
    }
    this.replaceBaseline(baseline, resetAt)
    this.listener.onBaseline(this, 'adopted')
  }

  /** An operator's baseline replaces the current one and closes any incident. */
  private replaceBaseline(baseline: Baseline, resetAt: number): void {
    this.resetAt = resetAt
    this.incident = null
    this.detector = null
    this.learning = null // a baseline too small for the detector matures from fresh samples
    this.install(baseline)
  }

  /**
   * Rolling policy: blends the window's successful samples into the baseline. Only called for
   * an interval without an incident, so every one of them was recorded while `ok`.
   * @returns false, changing nothing, when an incident started since or there were too few.
   */
  refresh(maxChange: number): boolean {
    const detector = this.detector
    if (detector === null || detector.isDegraded || this.hadIncident) return false
    const current = this.baseline as Baseline // a detector is only built on a baseline
    const samples = successfulDurations(this.durations, this.count)
    if (samples.length < this.config.baselineSamples) return false
    const refreshed = Baseline.refreshed(current, samples, {
      ...this.config.baselineOptions,
      maxChange,
    })
    this.baseline = refreshed
    this.setSlowAbove(refreshed.slowAboveMs)
    detector.setBands(refreshed)
    this.listener.onBaseline(this, 'refreshed')
    return true
  }

  /** Statistics of the window and counters at `nowMs` (O(window log window)). */
  snapshot(nowMs: number): OperationStats {
    const n = this.count
    const { values, successes } = allDurations(this.durations, n)
    const s: Summary | null = n > 0 ? summarize(values) : null
    const checked = this.checkedSampleCount
    const stats: OperationStats = {
      operation: this.name,
      state: this.stateAt(nowMs),
      degradedSince: this.incident?.since ?? null,
      sampleCount: n,
      totalCount: this.totalCount,
      failureCount: this.failureCount,
      totalDurationMs: this.totalDurationMs,
      callsPerSecond: this.callRate(nowMs),
      successRate: n > 0 ? successes / n : null,
      errorRate: n > 0 ? (n - successes) / n : null,
      recentMean: s?.mean ?? null,
      recentStdDev: s?.stdDev ?? null,
      recentMin: s?.min ?? null,
      recentMax: s?.max ?? null,
      recentP50: s?.p50 ?? null,
      recentP75: s?.p75 ?? null,
      recentP95: s?.p95 ?? null,
      recentP99: s?.p99 ?? null,
      degradedCount: this.slowCount,
      degradationRate: checked > 0 ? this.slowCount / checked : 0,
      detector: this.detector?.stats() ?? null,
      thresholds: this.thresholds,
      thresholdViolations: {
        warning: this.budgets?.warningCount ?? 0,
        critical: this.budgets?.criticalCount ?? 0,
        errorRate: this.budgets?.errorRateCount ?? 0,
      },
    }
    if (this.baseline !== undefined) stats.baseline = this.baseline.toSummary()
    return stats
  }

  /**
   * Summary of the successful samples among the newest `last` ones, and their error rate: what
   * a degradation report compares with the baseline.
   */
  recent(last: number): { summary: Summary | null; errorRate: number } {
    const { values, sampleCount } = newestSuccesses(this.durations, this.head, this.count, last)
    return {
      summary: values.length > 0 ? summarize(values) : null,
      errorRate: sampleCount > 0 ? (sampleCount - values.length) / sampleCount : 0,
    }
  }

  /**
   * The newest `n` stored samples (at most the window's), oldest first, as stored: a failure
   * negated (-0 for a 0 ms failure). For readers that export samples, off the hot path.
   */
  newestStored(n: number): Float64Array {
    const kept = Math.min(n, this.count)
    const values = new Float64Array(kept)
    let index = this.head
    for (let k = kept - 1; k >= 0; k--) {
      index = index === 0 ? this.capacity - 1 : index - 1
      values[k] = this.durations[index] as number
    }
    return values
  }

  /** The state at `nowMs` (tracker clock): `idle` after `idleAfterMs` without a sample. */
  stateAt(nowMs: number): OperationState {
    if (this.detector === null) return 'learning'
    if (nowMs - this.lastEndMs >= this.config.idleAfterMs) return 'idle'
    return this.detector.isDegraded ? 'degraded' : 'ok'
  }

  get recordedCount(): number {
    return this.totalCount
  }

  get slowSampleCount(): number {
    return this.slowCount
  }

  /** Successful samples checked against a baseline by the per-sample rule. */
  get checkedSampleCount(): number {
    return this.totalCount - this.failureCount - this.uncheckedCount
  }

  private recordFailure(endMs: number): void {
    this.failureCount++
    // Failures never enter a baseline; they feed the error chart only. Counted while learning
    // (and harmlessly after: startLearning zeroes the count before a baseline reads it).
    this.learningFailures += 1 / this.learningStride
    const transition = this.detector?.failure(endMs) ?? NO_CHANGE
    if (transition !== NO_CHANGE) this.transition(transition, endMs)
    const budgets = this.budgets
    if (budgets !== null && budgets.failureNumbers !== null) {
      this.checkErrorRate(budgets, budgets.failureNumbers, endMs)
    }
  }

  /**
   * After a failure (already in the window): counts the failures in the window (O(1) amortised,
   * see `BudgetState.failureNumbers`) and reports a violation when their share is above `maxErrorRate` with
   * at least `MIN_ERROR_RATE_SAMPLES` samples in the window (or a full window, if smaller).
   */
  private checkErrorRate(budgets: BudgetState, numbers: Float64Array, endMs: number): void {
    const length = numbers.length
    const leftBefore = this.totalCount - this.count // samples numbered up to this have left
    let tail = budgets.failureTail
    let inWindow = budgets.failuresInWindow
    while (inWindow > 0 && (numbers[tail] as number) <= leftBefore) {
      tail = tail + 1 === length ? 0 : tail + 1
      inWindow--
    }
    const slot = tail + inWindow
    numbers[slot >= length ? slot - length : slot] = this.totalCount
    budgets.failureTail = tail
    budgets.failuresInWindow = ++inWindow
    if (this.count < Math.min(MIN_ERROR_RATE_SAMPLES, this.capacity)) return
    const errorRate = inWindow / this.count
    if (errorRate > budgets.maxErrorRate) {
      budgets.errorRateCount++
      this.listener.onErrorRateExceeded(this, errorRate, budgets.maxErrorRate, this.count, endMs)
    }
  }

  /** Fills `failureNumbers` from the window as it is (when a `maxErrorRate` is set). */
  private numberFailures(budgets: BudgetState): void {
    const numbers = new Float64Array(this.capacity)
    let found = 0
    // The oldest sample is at head - count (wrapping), numbered totalCount - count + 1.
    for (let k = 0; k < this.count; k++) {
      const slot = (this.head - this.count + k + this.capacity) % this.capacity
      if (isFailure(this.durations[slot] as number)) {
        numbers[found++] = this.totalCount - this.count + 1 + k
      }
    }
    budgets.failureNumbers = numbers
    budgets.failureTail = 0
    budgets.failuresInWindow = found
  }

  private transition(transition: Transition, endMs: number): void {
    const detector = this.detector as DegradationDetector
    if ((transition === RAISED || transition === RESUMED) && detector.rule !== 'errors') {
      // Evidence gathered over too short a time waits (the charts keep it) for more.
      if (endMs - detector.onsetMs() < this.listener.minEvidenceSpanMs()) {
        detector.defer(transition)
        return
      }
      if (transition === RAISED && this.listener.isExplainedByProcess(this)) {
        detector.dismiss()
        return
      }
    }
    const incident = this.incident
    if (transition === RAISED) {
      this.hadIncident = true
      this.incident = new Incident(new Date().toISOString(), endMs, this.totalCount, this.slowCount)
    } else if (transition === CLEARED) {
      this.incident = null
    }
    this.listener.onTransition(this, transition, this.incident ?? incident)
  }

  /**
   * Every `refreshSamples` successes: a refresh only if the interval had no incident (so the
   * window holds samples of healthy periods only); an incident still open marks the next one.
   */
  private refreshDue(detector: DegradationDetector): void {
    this.sinceRefresh = 0
    const isClean = !this.hadIncident && !detector.isDegraded
    this.hadIncident = detector.isDegraded
    if (isClean) this.listener.onRefreshDue(this)
  }

  /** Above `checkAboveMs`: which rules fired, the per-sample rule, a budget, or both. */
  private aboveCheck(
    durationMs: number,
    endMs: number,
    callMetadata: unknown,
    endMetadata: unknown,
  ): void {
    if (durationMs > this.slowAboveMs) this.slowSample(durationMs, endMs, callMetadata, endMetadata)
    const budgets = this.budgets
    if (budgets !== null && durationMs > budgets.aboveMs)
      this.overBudget(budgets, durationMs, endMs)
  }

  private overBudget(budgets: BudgetState, durationMs: number, endMs: number): void {
    if (durationMs > budgets.criticalAboveMs) {
      budgets.criticalCount++
      this.listener.onThresholdExceeded(
        this,
        'critical',
        durationMs,
        budgets.criticalAboveMs,
        endMs,
      )
    } else {
      budgets.warningCount++
      this.listener.onThresholdExceeded(this, 'warning', durationMs, budgets.warnAboveMs, endMs)
    }
  }

  /** The per-sample rule's threshold changed: the one comparison's number follows. */
  private setSlowAbove(slowAboveMs: number): void {
    this.slowAboveMs = slowAboveMs
    this.checkAboveMs = Math.min(slowAboveMs, this.budgets?.aboveMs ?? Number.POSITIVE_INFINITY)
  }

  private slowSample(
    durationMs: number,
    endMs: number,
    callMetadata: unknown,
    endMetadata: unknown,
  ): void {
    this.slowCount++
    this.lastSlowMs = endMs
    this.listener.onSlowSample(this, durationMs, endMs, callMetadata, endMetadata)
  }

  private learn(durationMs: number, endMs: number): void {
    if (this.baseline === undefined) this.uncheckedCount++
    const learning = this.learning as Float64Array
    if (this.learned === 0) {
      this.learningStartMs = endMs
      this.learningStartCount = this.totalCount - 1
    }
    if (++this.learningSkipped < this.learningStride) return // never at stride 1
    this.learningSkipped = 0
    learning[this.learned++] = durationMs
    if (this.learned === learning.length) {
      if (endMs - this.learningStartMs < this.config.minLearningMs) this.thinLearning(learning)
      else this.finishLearning(learning, endMs)
    } else if (this.learned === this.config.baselineSamples && this.baseline === undefined) {
      // The first baseline, for the per-sample rule; learning goes on to maturity.
      const samples = learning.slice(0, this.learned)
      this.install(this.buildBaseline(samples, this.learningFailures, this.learningRate(endMs)))
      this.guardFrom = this.learned
      this.listener.onBaseline(this, 'established')
    }
  }

  /**
   * The buffer is full before `minLearningMs` have passed (a busy operation): every other sample
   * is dropped and from now on only every other call is kept, so the baseline that matures
   * spans all of `minLearningMs` evenly, not its last fraction of a second (at 5,000 calls/s,
   * 1,000 calls are 0.2 s: one state of the process's queues, not its usual spread). It matures
   * after between `minLearningMs` and twice that. The newest `baselineSamples` before the
   * thinning become the baseline the per-sample rule and the maturing guard compare with; the
   * guard then checks the samples stored after it, so a slowdown during learning is still
   * refused.
   */
  private thinLearning(learning: Float64Array): void {
    const size = Math.min(this.config.baselineSamples, learning.length)
    const interim = this.buildBaseline(
      learning.slice(learning.length - size),
      Math.round((this.learningFailures * size) / learning.length),
      null,
    )
    // Fewer than MIN_DETECTION_SAMPLES samples: even if saved, it is never taken as mature.
    this.baseline = interim
    this.setSlowAbove(interim.slowAboveMs)
    const half = learning.length >> 1
    // Stryker disable next-line EqualityOperator: i <= half also writes learning[half], the slot the next stored sample overwrites before anything reads it
    for (let i = 0; i < half; i++) learning[i] = learning[2 * i + 1] as number
    this.learningFailures /= 2
    this.learningStride *= 2
    this.learned = half
    this.guardFrom = half
  }

  private finishLearning(samples: Float64Array, endMs: number): void {
    const first = this.baseline
    const later = samples.subarray(this.guardFrom)
    const guard = first === undefined ? undefined : learnedSlower(later, first)
    if (guard !== undefined) {
      this.startLearning()
      const recent = { ...summarize(later), count: later.length } // sorts them: learning restarts
      this.listener.onMaturingRejected(
        this,
        guard.shareAboveP50,
        guard.limit,
        ++this.refusals,
        recent,
      )
      return
    }
    this.refusals = 0
    this.learning = null
    this.install(
      this.buildBaseline(samples, Math.round(this.learningFailures), this.learningRate(endMs)),
    )
    this.listener.onBaseline(this, first === undefined ? 'established' : 'matured')
  }

  /** A baseline of this operation from successful samples (takes ownership of them). */
  private buildBaseline(
    samples: Float64Array,
    failureCount: number,
    callsPerSecond: number | null,
  ): Baseline {
    return Baseline.fromSamples(this.name, samples, {
      ...this.config.baselineOptions,
      failureCount,
      callsPerSecond,
    })
  }

  /**
   * Calls per second since learning started; NaN, infinite or negative when the clock cannot
   * tell (failed, stood still or went back), which the baseline records as unknown (null).
   */
  private learningRate(endMs: number): number {
    return ((this.totalCount - this.learningStartCount) * 1000) / (endMs - this.learningStartMs)
  }

  /** Counts a call for the call rate and idle state: a comparison and a count per sample. */
  private countCall(endMs: number): void {
    this.lastEndMs = endMs
    const elapsed = endMs - this.rateStartMs
    if (elapsed < RATE_WINDOW_MS && elapsed >= 0) {
      this.rateCount++
    } else {
      if (elapsed >= RATE_WINDOW_MS) this.lastRate = (this.rateCount * 1000) / elapsed
      this.rateStartMs = endMs
      this.rateCount = 1
    }
  }

  /**
   * Calls per second now: over the last full window of at least a second, or the current one
   * when there is none yet; null when the clock cannot tell.
   */
  callRate(nowMs: number): number | null {
    if (Number.isFinite(this.lastRate)) return this.lastRate
    const elapsed = nowMs - this.rateStartMs
    return elapsed > 0 ? (this.rateCount * 1000) / elapsed : null
  }

  /** Uses `baseline` from now on; starts the detector if it has enough samples, else matures. */
  private install(baseline: Baseline): void {
    this.baseline = baseline
    this.setSlowAbove(baseline.slowAboveMs)
    if (chartLimits(baseline.sampleCount) !== undefined) {
      this.detector = new DegradationDetector(
        baseline,
        this.config.detectionToleranceMs,
        this.config.recoveryHoldMs,
      )
      this.learning = null
      this.sinceRefresh = 0
    } else if (this.learning === null) {
      this.startLearning()
    }
  }

  private startLearning(): void {
    this.learning = new Float64Array(this.learningSize())
    this.learned = 0
    this.learningFailures = 0
    this.learningStride = 1
    this.learningSkipped = 0
    this.guardFrom = 0
    this.learningStartMs = Number.NaN
  }

  private learningSize(): number {
    return Math.max(this.config.baselineSamples, this.config.detectionSamples)
  }
}

/** An operation's fixed budgets, as numbers the hot path compares with, and their counts. */
class BudgetState {
  /** The budgets as set (normalised by the tracker); null once removed. */
  thresholds: OperationThresholds | null = null
  /** `warnMs`, `criticalMs` (Infinity when not set) and the lower of the two. */
  warnAboveMs = Number.POSITIVE_INFINITY
  criticalAboveMs = Number.POSITIVE_INFINITY
  aboveMs = Number.POSITIVE_INFINITY
  maxErrorRate = Number.POSITIVE_INFINITY
  /**
   * With a `maxErrorRate` only: the `totalCount` number of each failure in the window, oldest
   * first, in a ring as long as the window (`failureTail` the oldest, `failuresInWindow` of
   * them). Kept on failures alone: a success never touches it, and the failures that have left
   * the window are dropped at the next failure. Example, window 4, samples #1-#6, #2 and #5
   * failed: after #5 the ring holds [2, 5] (#2 is still among #2-#5); at a failure #7 the window
   * is #4-#7, so 2 is dropped and 7 added: [5, 7], 2 failures of 4 samples.
   */
  failureNumbers: Float64Array | null = null
  failureTail = 0
  failuresInWindow = 0
  /** Violations since the tracker started (`thresholdViolations`), kept when budgets change. */
  warningCount = 0
  criticalCount = 0
  errorRateCount = 0
}
