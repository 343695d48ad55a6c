/**
 * Sustained-degradation detection (docs/detection.md has the derivation and measured figures).
 *
 * Each successful sample is scored by the band of the baseline it falls in, cut at the
 * baseline's own exact quantiles p50, p75, p95 and p99. Under healthy traffic the band
 * probabilities are (.50, .25, .20, .04, .01) whatever the latency distribution, so false alarms
 * do not depend on its shape. The quantiles are R-7 (core/stats.ts): a cut between two order
 * statistics puts every duration the baseline holds in the band a cut on the lower one would
 * (ties fall low), which for 1,000 samples is the nearest rank the limits were calibrated with
 * (docs/design.md). Two one-sided integer CUSUMs add band scores:
 *
 *   - shift: weights round(10 · ln(π1/π0)) for π1 the Lehmann alternative S1 = S0^(2/3), a shift
 *     of the whole distribution (a 1.5x slower exponential);
 *   - tail: weights grid-searched for "5% of calls 10x slower", a tail-only degradation.
 *
 * A third, Bernoulli CUSUM watches failures against the failure rate seen while the baseline was
 * learned.
 *
 * Evidence is time-aware: samples are grouped into slices of SLICE_MS by their end time, and a
 * slice can move a chart up by at most 40 % of its limit (its net score, negatives included,
 * is capped). Samples that finish together, as every call in flight does after a GC pause or a
 * blocked event loop, are one piece of evidence, not N: a degradation needs at least three
 * distinct slices of slow calls. At 1,000 calls/s a slice holds ~20 samples and the cap rarely
 * binds on a real slowdown. A slice of more than SLICE_SAMPLES samples adds evidence of a
 * slowdown as that many would: the evidence a busy operation gathers grows with time, not with
 * its call rate.
 *
 * The state is `degraded` from the sample a chart reaches its limit until every chart has
 * drained back to 0 (healthy samples drain the shift chart by 0.68 and the tail chart by 0.63 per
 * sample on average, so one fast call never clears an incident) and stayed below its limit for
 * `holdMs` more: a degradation that returns within the hold is the same episode, raised once.
 *
 * Updating is O(1) and allocation-free: a few comparisons and additions.
 */

import type { Quantiles } from './stats.js'

/** Shift chart weights per band (≤ p50, ≤ p75, ≤ p95, ≤ p99, above p99). */
const SHIFT = Int8Array.of(-3, -1, 3, 8, 15)
/** Tail chart weights per band. */
const TAIL = Int8Array.of(-1, -1, -1, 2, 24)

/**
 * Length of an evidence slice, ms. A stall's late calls finish within a few ms of each other; 20
 * ms keeps a burst in one or two slices (never three) while a 2x slowdown at 1,000 calls/s still
 * raises within about 60 samples (docs/detection.md has the calibration).
 */
export const SLICE_MS = 20

/**
 * A slice adds at most this share of a chart's limit, so a degradation needs at least three
 * slices of evidence: a burst that straddles two slices cannot raise one. (A third of the limit
 * needs three slices too, but delays a 2x slowdown at 1,000 calls/s from ~55 to ~62 samples.)
 */
const SLICE_CAP = 0.4

/**
 * Samples a slice counts in full. Calls close together in time are not independent (they share
 * the process's queues, its garbage collections, its CPU), so beyond about 1,000 calls/s more
 * calls make the evidence more precise, not stronger: a slice with more samples and a positive
 * net score (evidence of a slowdown) adds that net scaled down to this many samples' worth. A
 * healthy service at 5,000 calls/s wanders by 10-30 % for 50-150 ms at a time as its queues fill
 * and drain; counted in full, such a wander raised a `shift` degradation within 40 ms. A
 * negative net counts in full, so the charts drain between bursts as fast as before (scaling it
 * too let the demo's hiccups a second apart add up). At 1,000 calls/s a slice holds about 20
 * calls, so the delays measured there hardly move (docs/detection.md).
 */
export const SLICE_SAMPLES = 20

/** Fewest baseline samples a detector is built from: below it baseline noise swamps the test. */
export const MIN_DETECTION_SAMPLES = 500

/**
 * Chart limits by baseline size, chosen so each chart averages under 0.01 false alarms per 10⁶
 * healthy samples over the spread of baselines such a sample size gives (calibrated by exact
 * Markov chains over 600-10,000 simulated baselines, then raised about 14% for margin; see
 * docs/detection.md). A baseline between two rows uses the smaller size's, larger, limits.
 */
const LIMITS_BY_SAMPLES: ReadonlyArray<{ minSamples: number; shift: number; tail: number }> = [
  { minSamples: 5000, shift: 193, tail: 218 },
  { minSamples: 2000, shift: 209, tail: 244 },
  { minSamples: 1000, shift: 240, tail: 300 },
  { minSamples: 500, shift: 463, tail: 829 },
]

/** Bernoulli CUSUM limit for the error chart: about 7 failures in a row over a 0.1% base rate. */
export const ERROR_LIMIT = 20

/** The most one slice adds to the error chart. */
const ERROR_CAP = ERROR_LIMIT * SLICE_CAP

/** Which chart raised a degradation. */
export type DetectionRule = 'shift' | 'tail' | 'errors'

/** A detector's numbers, as `getOperationStats(name).detector` reports them. */
export interface DetectorStats {
  /** The chart that raised the current degradation; `null` while `ok`. */
  rule: DetectionRule | null
  /** Shift chart score and the limit at which it raises a degradation. */
  shiftScore: number
  shiftLimit: number
  tailScore: number
  tailLimit: number
  errorScore: number
  errorLimit: number
  /** Failure rate the error chart compares against. */
  referenceErrorRate: number
  /** Baseline samples the bands were cut from. */
  referenceSamples: number
}

/** Band thresholds and reference failure rate a detector is built on. */
export interface DetectorReference extends Quantiles {
  sampleCount: number
  /** Failures seen while the reference samples were collected. */
  failureCount: number
}

/** What an update did to the state. */
export const NO_CHANGE = 0
export const RAISED = 1
export const CLEARED = -1
/** A chart is back at its limit after the episode had drained: the same episode goes on. */
export const RESUMED = 2
export type Transition = typeof NO_CHANGE | typeof RAISED | typeof CLEARED | typeof RESUMED

/** The limits for a baseline of `sampleCount` samples, or undefined below the minimum. */
export function chartLimits(sampleCount: number): { shift: number; tail: number } | undefined {
  return LIMITS_BY_SAMPLES.find((row) => sampleCount >= row.minSamples)
}

export class DegradationDetector {
  private q50 = 0
  private q75 = 0
  private q95 = 0
  private q99 = 0
  private readonly toleranceMs: number
  private readonly shiftLimit: number
  private readonly tailLimit: number
  private readonly referenceSamples: number
  private readonly referenceErrorRate: number
  private readonly failureScore: number
  private readonly successScore: number
  private readonly shiftCap: number
  private readonly tailCap: number
  private readonly holdMs: number
  private shift = 0
  private tail = 0
  private errors = 0
  /** The current slice: when it started, the charts at its start and its net scores. */
  private sliceStartMs = Number.NEGATIVE_INFINITY
  private shiftAtSlice = 0
  private tailAtSlice = 0
  private errorsAtSlice = 0
  private shiftNet = 0
  private tailNet = 0
  private errorsNet = 0
  /** Successful samples in the current slice. */
  private sliceCount = 0
  /**
   * While degraded: every chart has been back at 0 since `quietSinceMs`, none at its limit. Read
   * only while degraded, and every raise sets it first: its value while `ok` does not matter.
   */
  // Stryker disable next-line BooleanLiteral: never read before a raise sets it (see above)
  private isQuiet = false
  private quietSinceMs = 0
  /** Samples seen by the detector; the charts' onsets are indices into this count. */
  private sampleCount = 0
  /** The last sample at which each chart was 0: the charts' onset estimates. */
  private shiftZeroAt = 0
  private tailZeroAt = 0
  private errorsZeroAt = 0
  /** The end times of those samples: the onsets in time. */
  private shiftZeroMs = Number.NEGATIVE_INFINITY
  private tailZeroMs = Number.NEGATIVE_INFINITY
  private isDegradedNow = false
  /** The chart that raised the current degradation. */
  rule: DetectionRule | undefined

  /**
   * @param toleranceMs the bands are cut this many ms above the baseline's quantiles, so shifts
   * smaller than that are never reported (sub-millisecond methods move by microseconds with JIT
   * and GC); it only makes healthy samples fall lower, so false alarms can only get rarer.
   * @param holdMs how long every chart must stay below its limit after draining to 0 before a
   * degradation clears (by the samples' end times).
   * @throws RangeError when the reference has fewer than MIN_DETECTION_SAMPLES samples.
   */
  constructor(reference: DetectorReference, toleranceMs = 0, holdMs = 0) {
    this.toleranceMs = toleranceMs
    this.holdMs = holdMs
    const limits = chartLimits(reference.sampleCount)
    if (limits === undefined) {
      throw new RangeError(
        `a detector needs a baseline of at least ${MIN_DETECTION_SAMPLES} samples, got ${reference.sampleCount}`,
      )
    }
    this.shiftLimit = limits.shift
    this.tailLimit = limits.tail
    this.shiftCap = Math.floor(limits.shift * SLICE_CAP)
    this.tailCap = Math.floor(limits.tail * SLICE_CAP)
    this.referenceSamples = reference.sampleCount
    // Reference failure rate (e + 1) / (n + 2), at least 0.1%; the alternative is 4x that or
    // 2 points more, whichever is larger. Scores are the log-likelihood ratios of the two.
    const n = reference.sampleCount + reference.failureCount
    const p0 = Math.max(0.001, (reference.failureCount + 1) / (n + 2))
    const p1 = Math.min(0.99, Math.max(4 * p0, p0 + 0.02))
    this.referenceErrorRate = p0
    this.failureScore = Math.log(p1 / p0)
    this.successScore = Math.log((1 - p1) / (1 - p0))
    this.setBands(reference)
  }

  /** Moves the band thresholds (a refreshed baseline) and keeps the chart scores. */
  setBands(reference: Quantiles): void {
    const t = this.toleranceMs
    this.q50 = reference.p50 + t
    this.q75 = reference.p75 + t
    this.q95 = reference.p95 + t
    this.q99 = reference.p99 + t
  }

  get isDegraded(): boolean {
    return this.isDegradedNow
  }

  /** Scores one successful sample that ended at `endMs` (the tracker's clock). */
  success(durationMs: number, endMs: number): Transition {
    return this.score(this.bandOf(durationMs), endMs)
  }

  /** The band of a duration: 0 (≤ p50) … 4 (above p99); ties fall low (conservative). */
  bandOf(durationMs: number): number {
    // Written without data-dependent branches: healthy samples land in bands 0-2 at random.
    return (
      (durationMs > this.q50 ? 1 : 0) +
      (durationMs > this.q75 ? 1 : 0) +
      (durationMs > this.q95 ? 1 : 0) +
      (durationMs > this.q99 ? 1 : 0)
    )
  }

  /**
   * Scores a successful sample by its band. Split from `bandOf` so the hot path passes a small
   * integer here, never a double: a double argument to a call V8 does not inline is boxed into a
   * heap number, which showed as garbage collection in a record loop's profile.
   */
  score(band: number, endMs: number): Transition {
    const sampleIndex = ++this.sampleCount
    this.enterSlice(endMs)
    this.shiftNet += SHIFT[band] as number
    this.tailNet += TAIL[band] as number
    // A busy slice's evidence against the baseline counts as SLICE_SAMPLES samples; its healthy
    // (negative) net counts in full, so the charts drain between bursts as fast as ever.
    // scale is at most 1, so the smaller of net and net · scale is the scaled net when positive
    // and the net itself when negative.
    const scale = Math.min(1, SLICE_SAMPLES / ++this.sliceCount)
    const shiftNet = Math.min(this.shiftNet, this.shiftNet * scale)
    const tailNet = Math.min(this.tailNet, this.tailNet * scale)
    // The clamp is written out for each chart: a shared helper function added ~30 ns per record
    // (npm run bench, hotpath, 2026-11-23).
    const shift = Math.min(
      this.shiftLimit,
      Math.max(0, this.shiftAtSlice + Math.min(shiftNet, this.shiftCap)),
    )
    const tail = Math.min(
      this.tailLimit,
      Math.max(0, this.tailAtSlice + Math.min(tailNet, this.tailCap)),
    )
    this.shift = shift
    this.tail = tail
    // The onset estimate is the last sample at which the chart was 0.
    if (shift === 0) {
      this.shiftZeroAt = sampleIndex
      this.shiftZeroMs = endMs
    }
    if (tail === 0) {
      this.tailZeroAt = sampleIndex
      this.tailZeroMs = endMs
    }
    // The error chart only moves down on a success; it is 0 nearly always (and then the slice's
    // error net is not positive: the chart would be above 0).
    if (this.errors !== 0) this.scoreErrors(this.successScore)
    return this.transition(endMs)
  }

  /** Scores one failed sample that ended at `endMs` (failures only feed the error chart). */
  failure(endMs: number): Transition {
    this.sampleCount++
    this.enterSlice(endMs)
    if (this.errors === 0) this.errorsZeroAt = this.sampleCount - 1
    this.scoreErrors(this.failureScore)
    return this.transition(endMs)
  }

  private scoreErrors(score: number): void {
    this.errorsNet += score
    this.errors = Math.min(
      ERROR_LIMIT,
      Math.max(0, this.errorsAtSlice + Math.min(this.errorsNet, ERROR_CAP)),
    )
  }

  /** Starts a new slice when `endMs` is outside the current one (NaN: every sample its own). */
  private enterSlice(endMs: number): void {
    const elapsed = endMs - this.sliceStartMs
    if (elapsed < SLICE_MS && elapsed >= 0) return
    if (this.sliceStartMs === Number.NEGATIVE_INFINITY) {
      // The first sample, or the first after a dismissal: the charts were 0 until now.
      this.shiftZeroMs = endMs
      this.tailZeroMs = endMs
    }
    this.sliceStartMs = endMs
    this.shiftAtSlice = this.shift
    this.tailAtSlice = this.tail
    this.errorsAtSlice = this.errors
    this.shiftNet = 0
    this.tailNet = 0
    this.errorsNet = 0
    this.sliceCount = 0
  }

  private transition(endMs: number): Transition {
    const atLimit =
      this.shift >= this.shiftLimit || this.tail >= this.tailLimit || this.errors >= ERROR_LIMIT
    if (!this.isDegradedNow) {
      if (!atLimit) return NO_CHANGE
      this.rule =
        this.shift >= this.shiftLimit ? 'shift' : this.tail >= this.tailLimit ? 'tail' : 'errors'
      this.isDegradedNow = true
      this.isQuiet = false
      return RAISED
    }
    if (atLimit) {
      if (!this.isQuiet) return NO_CHANGE
      this.isQuiet = false // within the hold: the same episode goes on
      return RESUMED
    } else if (!this.isQuiet && this.shift === 0 && this.tail === 0 && this.errors === 0) {
      this.isQuiet = true
      this.quietSinceMs = endMs
    }
    // Drained to 0 once, and no chart back at its limit for holdMs since (a clock that failed,
    // NaN, cannot time the hold: it is not waited for).
    if (!this.isQuiet || endMs - this.quietSinceMs < this.holdMs) return NO_CHANGE
    this.isDegradedNow = false // isQuiet stays true until the next raise resets it
    return CLEARED
  }

  /**
   * Takes back the raise just made and forgets the evidence: the charts start again from 0. For
   * a slowdown explained by the whole process falling behind (its event loop), not by this
   * operation.
   */
  dismiss(): void {
    this.isDegradedNow = false
    this.rule = undefined
    this.shift = 0
    this.tail = 0
    this.errors = 0
    this.sliceStartMs = Number.NEGATIVE_INFINITY
  }

  /**
   * Takes back the raise (or the resumption) just made but keeps the evidence: the next sample
   * with a chart still at its limit raises (resumes) again. For evidence that must span more time.
   */
  defer(transition: typeof RAISED | typeof RESUMED): void {
    if (transition === RESUMED) {
      this.isQuiet = true // a resumed episode: the hold goes on as before
    } else {
      this.isDegradedNow = false
      this.rule = undefined
    }
  }

  /**
   * When the latency chart at its limit (shift first) last left 0, by the samples' end times
   * (the first sample's when it never was 0; NaN with a clock that failed).
   */
  onsetMs(): number {
    return this.shift >= this.shiftLimit ? this.shiftZeroMs : this.tailZeroMs
  }

  /** Samples since the chart that raised the current degradation last left 0: the onset estimate. */
  samplesSinceOnset(): number {
    const zeroAt =
      this.rule === 'shift'
        ? this.shiftZeroAt
        : this.rule === 'tail'
          ? this.tailZeroAt
          : this.errorsZeroAt
    return this.sampleCount - zeroAt
  }

  stats(): DetectorStats {
    return {
      rule: this.isDegradedNow ? (this.rule ?? null) : null,
      shiftScore: this.shift,
      shiftLimit: this.shiftLimit,
      tailScore: this.tail,
      tailLimit: this.tailLimit,
      errorScore: this.errors,
      errorLimit: ERROR_LIMIT,
      referenceErrorRate: this.referenceErrorRate,
      referenceSamples: this.referenceSamples,
    }
  }
}

/**
 * The guard on maturing a baseline: the samples learned after the first baseline should straddle
 * its p50 about evenly. The share above it has variance ≈ 0.25/m from sampling and ≈ 0.25/n from
 * p50's own estimation error; more than 4 standard deviations above 0.5 means the operation got
 * slower while it learned, and the numbers are returned; undefined when it did not.
 */
export function learnedSlower(
  later: Float64Array,
  first: { p50: number; sampleCount: number },
): { shareAboveP50: number; limit: number } | undefined {
  // No later samples: the share is 0/0, NaN, which is never above the (infinite) limit.
  const m = later.length
  let above = 0
  for (const durationMs of later) if (durationMs > first.p50) above++
  const limit = 0.5 + 4 * Math.sqrt(0.25 / m + 0.25 / first.sampleCount)
  return above / m > limit ? { shareAboveP50: above / m, limit } : undefined
}
