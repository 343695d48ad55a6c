import { Baseline, type BaselineOptions, type BaselineSummary } from './baseline.js'
import { type Summary, summarize } from './stats.js'

/** A snapshot of one operation, as `getOperationStats(name)` returns it. Durations are in ms. */
export interface OperationStats {
  operation: string
  /** Samples in the rolling window (successes and failures). */
  sampleCount: number
  /** Samples ever recorded for this operation by this tracker. */
  totalCount: number
  /** Share of the window's samples that succeeded; `null` while the window is empty. */
  successRate: number | null
  /** Share of the window's samples that failed; `null` while the window is empty. */
  errorRate: number | null
  /** Exact statistics of the window's samples; `null` while the window is empty. */
  recentMean: number | null
  recentStdDev: number | null
  recentMin: number | null
  recentMax: number | null
  recentP50: number | null
  recentP75: number | null
  recentP95: number | null
  recentP99: number | null
  /** Successful samples flagged by `Baseline.isDegraded` since the tracker started. */
  degradedCount: number
  /** `degradedCount` over the successful samples checked against a baseline (0 before any). */
  degradationRate: number
  /** The baseline, once established or restored. */
  baseline?: BaselineSummary
}

/** What an operation tells its owner; the tracker implements it (logging, events, files). */
export interface OperationListener {
  onDegradedSample(
    operation: Operation,
    durationMs: number,
    metadata: unknown,
    moreMetadata: unknown,
  ): void
  onBaseline(operation: Operation): void
}

/**
 * The state of one operation and the hot path. Recording a sample is O(1) and allocates
 * nothing: a write into a ring of typed arrays, counters, and one comparison against a
 * threshold precomputed when the baseline changed.
 *
 * Ring layout, for capacity 4 after 6 samples s1..s6:
 *   durations = [s5, s6, s3, s4], head = 2 (the next write, also the oldest sample), count = 4.
 * While count < capacity the samples are durations[0 .. count) and head === count. The order of
 * samples inside the window does not matter to any statistic, so snapshots copy it as it is.
 */
export class Operation {
  readonly name: string
  baseline: Baseline | undefined
  private readonly durations: Float64Array
  /** 1 for success, 0 for failure, parallel to `durations`. */
  private readonly outcomes: Uint8Array
  private head = 0
  private count = 0
  private totalCount = 0
  private degradedCount = 0
  private checkedCount = 0
  /** `baseline.degradedAboveMs`, or Infinity without a baseline: one compare per sample. */
  private degradedAboveMs = Number.POSITIVE_INFINITY
  /** Successful samples collected for the first baseline; `null` once there is one. */
  private baselineSamples: Float64Array | null
  private collected = 0
  private readonly baselineOptions: BaselineOptions
  private readonly listener: OperationListener

  constructor(
    name: string,
    windowSize: number,
    baselineSampleCount: number,
    baselineOptions: BaselineOptions,
    listener: OperationListener,
  ) {
    this.name = name
    this.baselineOptions = baselineOptions
    this.listener = listener
    this.durations = new Float64Array(windowSize)
    this.outcomes = new Uint8Array(windowSize)
    this.baselineSamples = new Float64Array(baselineSampleCount)
  }

  /** Installs a baseline (restored from disk or built here); later samples are checked on it. */
  setBaseline(baseline: Baseline): void {
    this.baseline = baseline
    this.degradedAboveMs = baseline.degradedAboveMs
    this.baselineSamples = null
  }

  /**
   * Records one sample. The caller has validated `durationMs` (finite, >= 0).
   * @param metadata caller metadata (a timer's start and end metadata), passed to the listener
   * when the sample is degraded and never stored.
   */
  record(durationMs: number, success: boolean, metadata?: unknown, moreMetadata?: unknown): void {
    const i = this.head
    this.durations[i] = durationMs
    this.outcomes[i] = success ? 1 : 0
    this.head = i + 1 === this.durations.length ? 0 : i + 1
    if (this.count < this.durations.length) this.count++
    this.totalCount++
    if (!success) return // failures never enter a baseline and are never "degraded"
    if (this.baselineSamples === null) {
      this.checkedCount++
      if (durationMs > this.degradedAboveMs) {
        this.degradedCount++
        this.listener.onDegradedSample(this, durationMs, metadata, moreMetadata)
      }
      return
    }
    this.baselineSamples[this.collected++] = durationMs
    if (this.collected === this.baselineSamples.length) this.establishBaseline()
  }

  /** Statistics of the window and counters, computed now (O(window log window)). */
  snapshot(): OperationStats {
    const n = this.count
    const window = this.durations.slice(0, n)
    let successes = 0
    for (let i = 0; i < n; i++) successes += this.outcomes[i] as number
    const s: Summary | null = n > 0 ? summarize(window) : null
    const stats: OperationStats = {
      operation: this.name,
      sampleCount: n,
      totalCount: this.totalCount,
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
      degradedCount: this.degradedCount,
      degradationRate: this.checkedCount > 0 ? this.degradedCount / this.checkedCount : 0,
    }
    if (this.baseline !== undefined) stats.baseline = this.baseline.toSummary()
    return stats
  }

  get recordedCount(): number {
    return this.totalCount
  }

  get degradedSampleCount(): number {
    return this.degradedCount
  }

  private establishBaseline(): void {
    // Sorting and summarising up to windowSize values happens here, synchronously, so the very
    // next sample is checked against the baseline; filling the digest is deferred by the listener.
    const samples = this.baselineSamples as Float64Array
    this.setBaseline(Baseline.fromSamples(this.name, samples, this.baselineOptions))
    this.listener.onBaseline(this)
  }
}
