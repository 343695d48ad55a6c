import { DEFAULTS } from './defaults.js'
import {
  type Centroid,
  centroidsOf,
  type Digest,
  digestOfSamples,
  mergedDigest,
  newDigest,
  quantilesOf,
} from './digest.js'
import { InvalidArgumentError } from './errors.js'
import type { Quantiles } from './stats.js'
import { type Samples, summarize } from './stats.js'
import { checkName, isCount, isDuration, MAX_DURATION_MS } from './validate.js'

/** The numbers of a baseline, as `getOperationStats(name).baseline` reports them. */
export interface BaselineSummary extends Quantiles {
  operation: string
  // p50 … p99: exact R-7 quantiles (core/stats.ts) of the samples it was built from, in ms; a
  // merged or refreshed baseline's come from the merged digest, a loaded one's as stored.
  /** Exact mean and sample standard deviation of those samples, in ms. */
  mean: number
  stdDev: number
  /** How many successful samples the baseline was built from. */
  sampleCount: number
  /**
   * Calls per second while those samples were recorded (tracker clock), so a degradation can be
   * read against the load of its baseline; `null` when unknown (files written before 0.2).
   */
  callsPerSecond: number | null
  /** When the baseline was established, ISO-8601. */
  establishedAt: string
}

/** A baseline as persisted (docs/file-format.md): the summary plus the t-digest centroids. */
export interface BaselineJSON extends BaselineSummary {
  /** Failed calls seen while the samples were collected: the error chart's reference. */
  failureCount: number
  /** t-digest centroids `[mean, count]` in ascending mean, from `TDigest.toArray()`. */
  digest: { centroids: Array<[number, number]> }
}

/** The numbers of a baseline in ms, each checked as a duration when a baseline is restored. */
const MEASURES = ['p50', 'p75', 'p95', 'p99', 'mean', 'stdDev'] as const

/** The fields of `BaselineSummary`, in the order the file and `toSummary()` give them. */
const SUMMARY_FIELDS = [
  'operation',
  ...MEASURES,
  'sampleCount',
  'callsPerSecond',
  'establishedAt',
] as const satisfies ReadonlyArray<keyof BaselineSummary>

/** Which per-sample rule flagged a duration. */
export type DegradationRule = 'p95' | 'stdDev'

/** Options a baseline needs from its tracker. */
export interface BaselineOptions {
  /** A sample is slow above `mean + stdDevThreshold * stdDev`. @default 2 */
  stdDevThreshold?: number
}

/** Options of `Baseline.refreshed`. */
export interface RefreshOptions extends BaselineOptions {
  /** Largest relative move of any quantile, the mean or the standard deviation. @default 0.1 */
  maxChange?: number
}

/**
 * The learned behaviour of one operation: an immutable value. Its quantiles, mean and standard
 * deviation are exact statistics of the samples it was built from; the t-digest built from the
 * same samples is kept as compact centroids, so baselines can be persisted and merged.
 *
 * Building the digest is the slow part (0.1-0.5 ms for 1000 values), so `fromSamples` only
 * sorts and summarises; the digest is filled on first need (`fillDigest`, `toJSON`,
 * `toDigest`), which the tracker schedules with `setImmediate` so the call that establishes a
 * baseline is not stalled.
 */
export class Baseline implements BaselineSummary {
  // Set by the constructor's Object.assign(this, summary).
  declare readonly operation: string
  declare readonly p50: number
  declare readonly p75: number
  declare readonly p95: number
  declare readonly p99: number
  declare readonly mean: number
  declare readonly stdDev: number
  declare readonly sampleCount: number
  declare readonly callsPerSecond: number | null
  declare readonly establishedAt: string
  /** Failed calls seen while the samples were collected (0 when unknown). */
  declare readonly failureCount: number
  readonly stdDevThreshold: number
  /**
   * The one number the hot path compares against: `min(p95, mean + stdDevThreshold * stdDev)`.
   * A duration above it is slow: above at least one of the two rules (`isDegraded`).
   * @internal
   */
  readonly slowAboveMs: number
  /** Sorted samples, kept only until the digest is filled. */
  private pendingSamples: Samples | null
  /**
   * Centroids interleaved as [mean0, count0, mean1, count1, ...], as float32: a digest is an
   * approximation (merged p99 0.041 % off, docs/results/accuracy.md), far coarser than float32's
   * 6e-8, and this halves its memory.
   */
  private centroids: Float32Array | null

  private constructor(
    summary: BaselineSummary & { failureCount: number },
    options: BaselineOptions,
    pendingSamples: Samples | null,
    centroids: Float32Array | null,
  ) {
    Object.assign(this, summary)
    this.stdDevThreshold = options.stdDevThreshold ?? DEFAULTS.stdDevThreshold
    this.slowAboveMs = Math.min(this.p95, this.mean + this.stdDevThreshold * this.stdDev)
    this.pendingSamples = pendingSamples
    this.centroids = centroids
  }

  /**
   * Builds a baseline from successful durations in ms. Takes ownership of `samples`: they are
   * sorted in place and kept until the digest is filled.
   * @throws InvalidArgumentError (a TypeError) when there are fewer than two samples or one is not a number in [0, MAX_DURATION_MS).
   */
  static fromSamples(
    operation: string,
    samples: Samples,
    options: BaselineOptions & { failureCount?: number; callsPerSecond?: number | null } = {},
    establishedAt: Date = new Date(),
  ): Baseline {
    if (samples.length < 2) {
      throw new InvalidArgumentError(`a baseline needs at least 2 samples, got ${samples.length}`)
    }
    for (let i = 0; i < samples.length; i++) {
      // The tdigest package validates nothing: a NaN would poison every centroid.
      if (!isDuration(samples[i])) {
        throw new InvalidArgumentError(
          `baseline sample ${i} of ${operation} is not a number in [0, ${MAX_DURATION_MS}) ms`,
        )
      }
    }
    const { min: _min, max: _max, ...quantilesAndMoments } = summarize(samples)
    return new Baseline(
      {
        operation,
        ...quantilesAndMoments,
        sampleCount: samples.length,
        callsPerSecond: rateOrNull(options.callsPerSecond),
        establishedAt: establishedAt.toISOString(),
        // The reference failure rate is capped at one failure per success (50 %): a stored
        // count above it is what a corrupted file looks like, and the loader refuses it.
        failureCount: Math.min(options.failureCount ?? 0, samples.length),
      },
      options,
      samples,
      null,
    )
  }

  /**
   * Merges baselines of the same operation (from several processes or trackers): the digests
   * are merged, quantiles come from the merged digest, mean and standard deviation are pooled
   * exactly, counts add up.
   * @throws InvalidArgumentError (a TypeError) for an empty list.
   */
  static merge(
    baselines: readonly Baseline[],
    options: BaselineOptions = {},
    establishedAt: Date = new Date(),
  ): Baseline {
    return Baseline.mergeWeighted(
      baselines.map((baseline) => ({ baseline, weight: baseline.sampleCount })),
      options,
      establishedAt,
    )
  }

  /**
   * A rolling refresh: `current` blended with newer successful samples. The digest of `current`,
   * its weight capped at the number of new samples, is merged with the new samples, so old and
   * new count equally. No quantile, nor the mean or standard deviation, moves by more than
   * `maxChange` (relative) in one refresh, so a slow drift is followed slowly, if at all.
   * @throws InvalidArgumentError (a TypeError) for fewer than two samples or an invalid one.
   */
  static refreshed(
    current: Baseline,
    samples: Samples,
    options: RefreshOptions = {},
    establishedAt: Date = new Date(),
  ): Baseline {
    const fresh = Baseline.fromSamples(current.operation, samples, options)
    const merged = Baseline.mergeWeighted(
      [
        { baseline: current, weight: Math.min(current.sampleCount, fresh.sampleCount) },
        { baseline: fresh, weight: fresh.sampleCount },
      ],
      options,
      establishedAt,
    )
    const maxChange = options.maxChange ?? DEFAULTS.maxBaselineChange
    const clamp = (value: number, previous: number) =>
      Math.min(previous * (1 + maxChange), Math.max(previous * (1 - maxChange), value))
    const p50 = clamp(merged.p50, current.p50)
    const p75 = Math.max(p50, clamp(merged.p75, current.p75))
    const p95 = Math.max(p75, clamp(merged.p95, current.p95))
    return new Baseline(
      {
        ...merged.toSummary(),
        p50,
        p75,
        p95,
        p99: Math.max(p95, clamp(merged.p99, current.p99)),
        mean: clamp(merged.mean, current.mean),
        stdDev: clamp(merged.stdDev, current.stdDev),
        callsPerSecond: current.callsPerSecond,
        failureCount: current.failureCount,
      },
      options,
      null,
      merged.centroids,
    )
  }

  private static mergeWeighted(
    parts: ReadonlyArray<{ baseline: Baseline; weight: number }>,
    options: BaselineOptions,
    establishedAt: Date,
  ): Baseline {
    const first = parts[0]?.baseline
    if (first === undefined) throw new InvalidArgumentError('merge needs at least one baseline')
    const digest = mergedDigest(
      parts.map(({ baseline, weight }) => ({
        centroids: baseline.centroidList(),
        scale: weight / baseline.sampleCount,
      })),
    )
    let total = 0
    let weightedSum = 0
    for (const { baseline, weight } of parts) {
      total += weight
      weightedSum += weight * baseline.mean
    }
    const pooledMean = weightedSum / total
    let squares = 0
    for (const { baseline, weight } of parts) {
      const gap = baseline.mean - pooledMean
      squares += (weight - 1) * baseline.stdDev ** 2 + weight * gap * gap
    }
    return new Baseline(
      {
        operation: first.operation,
        ...quantilesOf(digest),
        mean: pooledMean,
        // Every part has at least 2 samples and a weight of at least 2, so total - 1 >= 1.
        stdDev: Math.sqrt(Math.max(0, squares / (total - 1))),
        sampleCount: Math.round(total),
        callsPerSecond: mergedRate(parts),
        establishedAt: establishedAt.toISOString(),
        failureCount: parts.reduce((sum, part) => sum + part.baseline.failureCount, 0),
      },
      options,
      null,
      centroidsOf(digest),
    )
  }

  /**
   * Restores a persisted baseline (the `toJSON()` form), checking what it means, not only its
   * types: see `Baseline.fromStored`.
   * @throws InvalidArgumentError (a TypeError) naming the operation, the field and what is wrong with it.
   */
  static fromJSON(json: unknown, options: BaselineOptions = {}): Baseline {
    if (typeof json !== 'object' || json === null)
      throw new InvalidArgumentError('baseline is not an object')
    const record = json as Record<string, unknown>
    const operation = operationOf(record)
    return Baseline.fromStored(record, parseCentroids(operation, record.digest), options)
  }

  /**
   * Restores a baseline from its fields and its centroids (interleaved `[mean, count, ...]`), as
   * the baseline file stores them, after checking that they are consistent with each other:
   * numbers finite and within `[0, MAX_DURATION_MS)`; `p50 <= p75 <= p95 <= p99`; whole counts
   * with `2 <= sampleCount` and `failureCount <= sampleCount`; centroids ascending with counts
   * > 0 adding up to `sampleCount`; quantiles, mean and standard deviation within the digest's
   * range. A baseline that fails them would mislead the detector (a `p95` of 1e308 switches
   * slow-call warnings off), so it is refused.
   * @throws InvalidArgumentError (a TypeError) naming the operation, the field and what is wrong with it.
   * @internal
   */
  static fromStored(
    record: Record<string, unknown>,
    centroids: Float32Array,
    options: BaselineOptions = {},
  ): Baseline {
    const operation = operationOf(record)
    const fail = (message: string): never => {
      throw new InvalidArgumentError(`baseline ${operation}: ${message}`)
    }
    const measures = {} as Record<(typeof MEASURES)[number], number>
    for (const key of MEASURES) {
      const value = record[key]
      if (!isDuration(value)) fail(`${key} is not a number in [0, ${MAX_DURATION_MS})`)
      measures[key] = value as number
    }
    const { p50, p75, p95, p99, mean, stdDev } = measures
    if (!(p50 <= p75 && p75 <= p95 && p95 <= p99)) fail('quantiles are not in order')
    const sampleCount = record.sampleCount
    if (!isCount(sampleCount, 2)) {
      fail('sampleCount is not an integer >= 2')
    }
    const samples = sampleCount as number
    const failureCount = record.failureCount ?? 0
    if (!isCount(failureCount, 0, samples)) {
      fail(`failureCount is not an integer in [0, sampleCount = ${samples}]`)
    }
    const establishedAt = record.establishedAt
    if (typeof establishedAt !== 'string' || Number.isNaN(Date.parse(establishedAt))) {
      fail('establishedAt is not an ISO-8601 date')
    }
    const callsPerSecond = record.callsPerSecond ?? null
    if (callsPerSecond !== null && rateOrNull(callsPerSecond) === null) {
      fail('callsPerSecond is not a positive number or null')
    }
    const problem = digestProblem(centroids, samples, { p50, p99, mean, stdDev })
    if (problem !== undefined) fail(problem)
    return new Baseline(
      {
        operation,
        ...measures,
        sampleCount: samples,
        callsPerSecond: callsPerSecond as number | null,
        establishedAt: establishedAt as string,
        failureCount: failureCount as number,
      },
      options,
      null,
      centroids,
    )
  }

  /** True when `durationMs` is above `p95` or above `mean + stdDevThreshold * stdDev`. */
  isDegraded(durationMs: number): boolean {
    return durationMs > this.slowAboveMs
  }

  /** The rule a slow duration broke (`p95` first), or `undefined` when it is not slow. */
  degradationRule(durationMs: number): DegradationRule | undefined {
    if (durationMs > this.p95) return 'p95'
    if (durationMs > this.mean + this.stdDevThreshold * this.stdDev) return 'stdDev'
    return undefined
  }

  /** Builds the digest centroids now if they are not built yet, and frees the raw samples. */
  fillDigest(): void {
    if (this.centroids !== null) return
    const samples = this.pendingSamples as Samples
    this.centroids = centroidsOf(digestOfSamples(samples))
    this.pendingSamples = null
  }

  /** True once the digest centroids exist (they are filled off the hot path). */
  get hasDigest(): boolean {
    return this.centroids !== null
  }

  /**
   * The digest as interleaved `[mean0, count0, mean1, count1, ...]` (float32), filled if needed:
   * what the baseline file stores. Do not modify it.
   * @internal
   */
  centroidData(): Float32Array {
    this.fillDigest()
    return this.centroids as Float32Array
  }

  /** A new `TDigest` restored from this baseline's centroids with `push_centroid`, for merging. */
  toDigest(): Digest {
    const digest = newDigest()
    digest.push_centroid(this.centroidList())
    return digest
  }

  /** The numbers `getOperationStats` reports, without the digest. */
  toSummary(): BaselineSummary {
    const summary: Partial<Record<keyof BaselineSummary, unknown>> = {}
    for (const field of SUMMARY_FIELDS) summary[field] = this[field]
    return summary as BaselineSummary
  }

  /** The persisted form (docs/file-format.md), digest included. */
  toJSON(): BaselineJSON {
    return {
      ...this.toSummary(),
      failureCount: this.failureCount,
      digest: { centroids: this.centroidList().map((c): [number, number] => [c.mean, c.n]) },
    }
  }

  private centroidList(): Centroid[] {
    const centroids = this.centroidData()
    const list: Centroid[] = []
    for (let i = 0; i < centroids.length; i += 2) {
      list.push({ mean: centroids[i] as number, n: centroids[i + 1] as number })
    }
    return list
  }
}

function operationOf(record: Record<string, unknown>): string {
  const operation = record.operation
  checkName(operation, 'baseline.operation')
  return operation
}

/** Version 1 centroids, `[[mean, count], ...]`; a missing list is reported by `digestProblem`. */
function parseCentroids(operation: string, digest: unknown): Float32Array {
  const list = (digest as { centroids?: unknown } | null)?.centroids
  if (!Array.isArray(list)) return new Float32Array(0)
  const centroids = new Float32Array(list.length * 2)
  list.forEach((pair: unknown, i) => {
    if (!Array.isArray(pair) || typeof pair[0] !== 'number' || typeof pair[1] !== 'number') {
      throw new InvalidArgumentError(
        `baseline ${operation}: digest centroid ${i} is not [mean, count]`,
      )
    }
    centroids[2 * i] = pair[0]
    centroids[2 * i + 1] = pair[1]
  })
  return centroids
}

/**
 * What is wrong with a baseline's digest, or undefined. Quantiles, mean and standard deviation
 * are exact statistics of the samples the digest was built from, and a t-digest keeps the
 * extreme samples as single centroids, so they lie within its range (with float32 rounding).
 */
function digestProblem(
  centroids: Float32Array,
  sampleCount: number,
  summary: { p50: number; p99: number; mean: number; stdDev: number },
): string | undefined {
  if (centroids.length < 2) return 'digest has no centroids'
  let total = 0
  let previous = 0
  for (let i = 0; i < centroids.length; i += 2) {
    const centroidMean = centroids[i] as number
    const count = centroids[i + 1] as number
    // Stryker disable next-line EqualityOperator: centroids are float32, which cannot hold MAX_DURATION_MS (1e12) exactly, so `<` and `<=` accept the same values
    const belowMax = centroidMean < MAX_DURATION_MS
    if (!(centroidMean >= previous && belowMax)) {
      return `digest centroid ${i / 2} is not ascending within [0, ${MAX_DURATION_MS})`
    }
    if (!(count > 0 && count < Number.POSITIVE_INFINITY)) {
      return `digest centroid ${i / 2} has a count that is not > 0`
    }
    previous = centroidMean
    total += count
  }
  if (Math.abs(total - sampleCount) > 1 + 1e-4 * sampleCount) {
    return `digest counts add up to ${total}, not sampleCount ${sampleCount}`
  }
  const low = centroids[0] as number
  const high = previous
  const slack = 1e-6 * high
  const within = (value: number) => value >= low - slack && value <= high + slack
  if (!within(summary.p50) || !within(summary.p99) || !within(summary.mean)) {
    return `p50, p99 or mean outside the digest's range [${low}, ${high}]`
  }
  if (summary.stdDev > high - low + slack) {
    return `stdDev ${summary.stdDev} is wider than the digest's range [${low}, ${high}]`
  }
  return undefined
}

/** A call rate to keep: a finite number > 0, else null (unknown). */
function rateOrNull(value: unknown): number | null {
  return typeof value === 'number' && value > 0 && value < Number.POSITIVE_INFINITY ? value : null
}

/** The sample-weighted mean of the rates the parts know, or null when none does. */
function mergedRate(parts: ReadonlyArray<{ baseline: Baseline; weight: number }>): number | null {
  let weighted = 0
  let weights = 0
  for (const { baseline, weight } of parts) {
    if (baseline.callsPerSecond === null) continue
    weighted += weight * baseline.callsPerSecond
    weights += weight
  }
  return weights > 0 ? weighted / weights : null
}
