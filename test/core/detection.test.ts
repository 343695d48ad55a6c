import { describe, expect, it } from 'vitest'
import {
  CLEARED,
  chartLimits,
  DegradationDetector,
  ERROR_LIMIT,
  learnedSlower,
  MIN_DETECTION_SAMPLES,
  NO_CHANGE,
  RAISED,
  RESUMED,
  SLICE_MS,
  SLICE_SAMPLES,
} from '../../src/core/detection.js'
import { quantileSorted } from '../../src/core/stats.js'
import { logNormal } from '../helpers/random.js'

/** The detector reference of 1000 draws: their exact quantiles. */
function referenceOf(draw: () => number, failureCount = 0) {
  const sorted = Float64Array.from({ length: 1000 }, draw).sort()
  return {
    p50: quantileSorted(sorted, 0.5),
    p75: quantileSorted(sorted, 0.75),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    sampleCount: 1000,
    failureCount,
  }
}

/** A detector reference of ascending samples, its cuts by `quantile`. */
function referenceOfSorted(
  sorted: Float64Array,
  quantile: (sorted: Float64Array, p: number) => number,
) {
  return {
    p50: quantile(sorted, 0.5),
    p75: quantile(sorted, 0.75),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    sampleCount: sorted.length,
    failureCount: 0,
  }
}

/** A detector on 1000 seeded log-normal samples (median 10 ms, σ 0.5). */
function detectorFor(seed = 1, failureCount = 0) {
  const draw = logNormal(seed)
  const reference = referenceOf(draw, failureCount)
  const detector = new DegradationDetector(reference)
  return { detector, feed: timed(detector), reference, draw }
}

/** Feeds a detector samples that end `msApart` apart (1 ms: 1,000 calls/s). */
function timed(detector: DegradationDetector, msApart = 1) {
  let nowMs = 0
  return {
    success: (durationMs: number) => {
      nowMs += msApart
      return detector.success(durationMs, nowMs)
    },
    failure: () => {
      nowMs += msApart
      return detector.failure(nowMs)
    },
    /** The next samples end together, `ms` later (a stall). */
    pause: (ms: number) => {
      nowMs += ms
    },
    at: (ms: number) => {
      nowMs = ms
    },
  }
}

/** Feeds `next()` until the state changes; returns how many samples that took. */
function samplesUntil(feed: ReturnType<typeof timed>, next: () => number, max = 100_000): number {
  for (let i = 1; i <= max; i++) {
    if (feed.success(next()) !== NO_CHANGE) return i
  }
  return Number.POSITIVE_INFINITY
}

describe('chartLimits', () => {
  it('needs at least MIN_DETECTION_SAMPLES and lowers the limits as baselines grow', () => {
    expect(chartLimits(MIN_DETECTION_SAMPLES - 1)).toBeUndefined()
    expect(chartLimits(1000)).toEqual({ minSamples: 1000, shift: 240, tail: 300 })
    expect(chartLimits(1999)?.shift).toBe(240) // the smaller row's, larger, limit
    expect(chartLimits(10_000)?.shift).toBeLessThan(240)
    const { reference } = detectorFor()
    expect(() => new DegradationDetector({ ...reference, sampleCount: 100 })).toThrow(RangeError)
  })
})

describe('DegradationDetector', () => {
  it('raises nothing on 100,000 healthy samples from the baseline distribution', () => {
    const { detector, feed, draw } = detectorFor(2)
    let transitions = 0
    for (let i = 0; i < 100_000; i++) if (feed.success(draw()) !== NO_CHANGE) transitions++
    expect(transitions).toBe(0)
    expect(detector.isDegraded).toBe(false)
  })

  it('detects a 2x shift of the whole distribution within a few dozen samples', () => {
    const { detector, feed, draw } = detectorFor(3)
    for (let i = 0; i < 2000; i++) feed.success(draw())
    const delay = samplesUntil(feed, () => 2 * draw())
    // weights per band (-3, -1, 3, 8, 15); at 2x about 62% of samples land above p75
    expect(delay).toBeGreaterThan(16) // 240 / 15: it needs evidence, not one sample
    expect(delay).toBeLessThan(150)
    expect(detector.isDegraded).toBe(true)
    expect(detector.rule).toBe('shift')
    expect(detector.samplesSinceOnset()).toBeGreaterThanOrEqual(delay - 5)
  })

  it('detects a tail-only degradation: 5% of calls 10x slower', () => {
    const { detector, feed, draw } = detectorFor(4)
    let k = 0
    const delay = samplesUntil(feed, () => (++k % 20 === 0 ? 10 : 1) * draw())
    expect(delay).toBeLessThan(2000)
    expect(detector.rule).toBe('tail')
  })

  it('a single very slow call raises nothing', () => {
    const { feed, draw, reference } = detectorFor(5)
    expect(feed.success(reference.p99 * 100)).toBe(NO_CHANGE)
    expect(samplesUntil(feed, draw, 10_000)).toBe(Number.POSITIVE_INFINITY)
  })

  it('holds the degraded state on alternating fast and slow calls (hysteresis)', () => {
    const { detector, feed, reference } = detectorFor(6)
    const fast = reference.p50 / 2
    const slow = reference.p99 * 2
    samplesUntil(feed, () => slow)
    expect(detector.isDegraded).toBe(true)
    for (let i = 0; i < 10_000; i++) {
      expect(feed.success(i % 2 === 0 ? fast : slow)).toBe(NO_CHANGE)
    }
    expect(detector.isDegraded).toBe(true)
  })

  it('clears only after a sustained healthy stretch, not on the first fast call', () => {
    const { detector, feed, reference, draw } = detectorFor(7)
    samplesUntil(feed, () => reference.p99 * 2)
    expect(feed.success(reference.p50 / 2)).toBe(NO_CHANGE)
    const recovery = samplesUntil(feed, draw)
    // both charts are capped at their limits and drain 0.6-0.7 per healthy sample on average
    expect(recovery).toBeGreaterThan(100)
    expect(recovery).toBeLessThan(2000)
    expect(detector.isDegraded).toBe(false)
  })

  it('raises on a rise in failures, and clears when they stop', () => {
    const { detector, feed, draw } = detectorFor(8)
    for (let i = 0; i < 10_000; i++) {
      expect(i % 2000 === 0 ? feed.failure() : feed.success(draw())).toBe(NO_CHANGE)
    }
    let transition = NO_CHANGE
    let failures = 0
    while (transition === NO_CHANGE) {
      failures++
      transition = feed.failure()
      feed.success(draw())
    }
    expect(transition).toBe(RAISED)
    expect(detector.rule).toBe('errors')
    // limit 20 at ln(21) ≈ 3.04 per failure, at most 8 per 20-ms slice: three slices, ~44 ms
    expect(failures).toBeLessThan(30)
    expect(detector.stats().errorScore).toBeLessThanOrEqual(ERROR_LIMIT)
    let cleared = 0
    while (feed.success(draw()) !== CLEARED) cleared++
    expect(cleared).toBeGreaterThan(500)
  })

  it('counts samples that end together as one piece of evidence (a stall)', () => {
    const { detector, feed, draw, reference } = detectorFor(11)
    for (let i = 0; i < 3000; i++) feed.success(draw())
    // 100 calls in flight finish 100 ms late within 2 ms: every one above p99.
    feed.pause(100)
    for (let i = 0; i < 100; i++) {
      feed.at(3100 + 100 + i * 0.02)
      expect(feed.success(reference.p99 * 10)).toBe(NO_CHANGE)
    }
    // the slice added at most 40% of the limit
    expect(detector.stats().tailScore).toBeLessThanOrEqual(0.4 * detector.stats().tailLimit)
    // the same 100 calls spread over 100 ms (five slices) are a degradation
    const spread = detectorFor(11)
    for (let i = 0; i < 3000; i++) spread.feed.success(spread.draw())
    expect(samplesUntil(spread.feed, () => reference.p99 * 10, 100)).toBeLessThan(100)
  })

  it('counts a busy slice as SLICE_SAMPLES samples of evidence of a slowdown, healthy ones in full', () => {
    // 5,000 calls/s, every call between p75 and p95 (+3 each on the shift chart): 100 calls
    // in a 20-ms slice add their net scaled to SLICE_SAMPLES of them, below the 40 % cap.
    const { detector, feed, reference } = detectorFor(13, 0)
    feed.at(0)
    const between = (reference.p75 + reference.p95) / 2
    for (let i = 0; i < 100; i++) {
      feed.at(i * 0.2)
      feed.success(between)
    }
    const { shiftScore, shiftLimit } = detector.stats()
    expect(shiftScore).toBeCloseTo(3 * SLICE_SAMPLES)
    expect(shiftScore).toBeLessThan(0.4 * shiftLimit)
    // Healthy calls count in full: 100 between p50 and p75 (-1 each) drain all 60 points.
    const healthy = (reference.p50 + reference.p75) / 2
    for (let i = 0; i < 100; i++) {
      feed.at(20 + i * 0.2)
      feed.success(healthy)
    }
    expect(detector.stats().shiftScore).toBe(0)
    // At 1,000 calls/s a slice holds about 20 calls, all counted: a 2x slowdown raises as fast.
    const slow = detectorFor(13)
    for (let i = 0; i < 3000; i++) slow.feed.success(slow.draw())
    expect(samplesUntil(slow.feed, () => 2 * slow.draw())).toBeLessThan(80)
  })

  it('never raises on a burst that straddles two slices', () => {
    const { detector, feed, draw, reference } = detectorFor(12)
    for (let i = 0; i < 3000; i++) feed.success(draw())
    for (let i = 0; i < 200; i++) {
      feed.at(3019 + i * 0.01) // from 1 ms before a slice boundary to 1 ms after
      feed.success(reference.p99 * 10)
    }
    expect(detector.isDegraded).toBe(false)
    expect(detector.stats().tailScore).toBeLessThan(detector.stats().tailLimit)
  })

  it('treats a slowdown that returns within the hold time as the same episode', () => {
    const draw = logNormal(13)
    const detector = new DegradationDetector(referenceOf(draw), 0, 10_000)
    const feed = timed(detector)
    for (let i = 0; i < 2000; i++) feed.success(draw())
    expect(samplesUntil(feed, () => 3 * draw())).toBeLessThan(100)
    // healthy until the charts drain to 0, then slow again 5 s later: no clear, no new raise
    while (detector.stats().shiftScore > 0 || detector.stats().tailScore > 0) feed.success(draw())
    for (let i = 0; i < 5000; i++) expect(feed.success(draw())).toBe(NO_CHANGE)
    const transitions: number[] = []
    for (let i = 0; i < 200; i++) transitions.push(feed.success(3 * draw()))
    expect(transitions.filter((t) => t !== NO_CHANGE)).toEqual([RESUMED]) // once, not raised
    expect(detector.isDegraded).toBe(true)
    // healthy for good: it clears once the charts have stayed quiet for 10 s
    const recovery = samplesUntil(feed, draw, 100_000)
    expect(recovery).toBeGreaterThanOrEqual(10_000)
    expect(recovery).toBeLessThan(12_000)
    expect(detector.isDegraded).toBe(false)
  })

  it('times the onset, and keeps the evidence of a deferred raise', () => {
    const { detector, feed, draw } = detectorFor(14)
    for (let i = 0; i < 2000; i++) feed.success(draw()) // ends at 2,000 ms
    while (detector.stats().shiftScore > 0) feed.success(draw())
    feed.at(5000)
    const delay = samplesUntil(feed, () => 2 * draw())
    expect(detector.rule).toBe('shift')
    // the chart was last 0 at the last healthy sample, before the slowdown began at 5,000 ms
    expect(detector.onsetMs()).toBeGreaterThanOrEqual(2000)
    expect(detector.onsetMs()).toBeLessThan(5001)
    detector.defer(RAISED)
    expect(detector.isDegraded).toBe(false)
    expect(detector.stats().shiftScore).toBe(detector.stats().shiftLimit) // evidence kept
    expect(feed.success(2 * draw())).toBe(RAISED) // the next slow sample raises again at once
    expect(delay).toBeLessThan(150)
  })

  it('defers a resumption within the hold as the same episode, never as a new raise', () => {
    const draw = logNormal(16)
    const detector = new DegradationDetector(referenceOf(draw), 0, 10_000)
    const feed = timed(detector)
    for (let i = 0; i < 2000; i++) feed.success(draw())
    samplesUntil(feed, () => 3 * draw())
    while (detector.stats().shiftScore > 0 || detector.stats().tailScore > 0) feed.success(draw())
    expect(samplesUntil(feed, () => 3 * draw())).toBeLessThan(100)
    detector.defer(RESUMED) // the resumption waits; the episode stays open
    expect(detector.isDegraded).toBe(true)
    expect(detector.rule).toBe('shift')
    expect(feed.success(3 * draw())).toBe(RESUMED)
  })

  it('starts the onset clock at the first sample when a chart was never 0', () => {
    const { detector } = detectorFor(15)
    for (let i = 1; i <= 300; i++) detector.success(100, 7000 + i) // slow from the first call
    expect(detector.isDegraded).toBe(true)
    expect(detector.onsetMs()).toBe(7001)
  })

  it('ignores shifts smaller than its tolerance', () => {
    const draw = logNormal(10, 0.2, 0.1) // a 0.2 ms method
    const reference = referenceOf(draw)
    const slightlySlower = () => draw() + 0.02 // +10%: 20 µs
    expect(samplesUntil(timed(new DegradationDetector(reference, 0)), slightlySlower)).toBeLessThan(
      1000,
    )
    expect(
      samplesUntil(timed(new DegradationDetector(reference, 0.1)), slightlySlower, 20_000),
    ).toBe(Number.POSITIVE_INFINITY)
    // a real slowdown of the same method is still caught
    expect(
      samplesUntil(timed(new DegradationDetector(reference, 0.1)), () => 3 * draw()),
    ).toBeLessThan(200)
  })

  it('reports its scores and limits as plain numbers', () => {
    const { detector } = detectorFor(9, 10)
    const stats = detector.stats()
    expect(stats).toMatchObject({
      shiftScore: 0,
      shiftLimit: 240,
      tailLimit: 300,
      referenceSamples: 1000,
    })
    expect(stats.referenceErrorRate).toBeCloseTo(11 / 1012, 6) // (e + 1) / (n + 2)
  })
})

describe('learnedSlower', () => {
  it('refuses maturing when more of the later samples are above the first p50 than chance allows', () => {
    const first = { p50: 10, sampleCount: 100 }
    // 900 later samples: the limit is 0.5 + 4·sqrt(0.25/900 + 0.25/100) ≈ 0.711
    const share = (above: number) =>
      Float64Array.from({ length: 900 }, (_, i) => (i < above ? 11 : 9))
    expect(learnedSlower(share(630), first)).toBeUndefined() // 70 %: within
    const slower = learnedSlower(share(650), first) // 72 %: slower
    expect(slower?.shareAboveP50).toBeCloseTo(650 / 900, 12)
    expect(slower?.limit).toBeCloseTo(0.5 + 4 * Math.sqrt(0.25 / 900 + 0.25 / 100), 12)
    expect(learnedSlower(Float64Array.of(), first)).toBeUndefined()
    expect(learnedSlower(Float64Array.of(10, 10, 10), { p50: 10, sampleCount: 3 })).toBeUndefined()
  })
})

describe('bands and reference rates', () => {
  const reference = { p50: 1, p75: 2, p95: 3, p99: 4, sampleCount: 1000, failureCount: 0 }

  it('cuts the bands toleranceMs above each quantile, ties falling low', () => {
    const detector = new DegradationDetector(reference, 0.5)
    const bands = [1.5, 1.5001, 2.5, 2.5001, 3.5, 3.5001, 4.5, 4.5001].map((d) =>
      detector.bandOf(d),
    )
    expect(bands).toEqual([0, 1, 1, 2, 2, 3, 3, 4])
    detector.setBands({ p50: 10, p75: 20, p95: 30, p99: 40 })
    expect([10.5, 10.6, 40.5, 40.6].map((d) => detector.bandOf(d))).toEqual([0, 1, 3, 4])
  })

  /** The cuts of the quantile definition perfwatch used before R-7: x[ceil(p n) - 1]. */
  const nearestRank = (sorted: Float64Array, p: number) =>
    sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1] as number

  const tenthsClock = logNormal(12, 2)
  /** 1,000-sample baselines: continuous, on a 0.1-ms clock (ties), and split at the median. */
  const baselines: Array<[string, Float64Array]> = [
    ['log-normal', Float64Array.from({ length: 1000 }, logNormal(11)).sort()],
    [
      'log-normal on a 0.1-ms clock',
      Float64Array.from({ length: 1000 }, () => Math.round(tenthsClock() * 10) / 10).sort(),
    ],
    [
      '500 of 1 ms and 500 of 2 ms',
      Float64Array.from({ length: 1000 }, (_, i) => (i < 500 ? 1 : 2)),
    ],
  ]

  it.each(baselines)(
    'puts every duration of a 1,000-sample baseline (%s) in the band nearest-rank cuts did',
    (_, sorted) => {
      // n = 1000: the R-7 positions 1 + 999 p (500.5, 750.25, 950.05, 990.01) lie just above the
      // nearest ranks (500, 750, 950, 990), so a cut falls on a tied duration or between two
      // observed durations, and every observed duration lands as before; ties fall low.
      const r7 = new DegradationDetector(referenceOfSorted(sorted, quantileSorted))
      const old = new DegradationDetector(referenceOfSorted(sorted, nearestRank))
      for (const durationMs of new Set(sorted)) {
        expect(r7.bandOf(durationMs), `${durationMs} ms`).toBe(old.bandOf(durationMs))
      }
      // so at least p of the baseline's own durations are at or below each cut
      const atOrBelow = (band: number) => sorted.filter((d) => r7.bandOf(d) <= band).length
      for (const [band, count] of [
        [0, 500],
        [1, 750],
        [2, 950],
        [3, 990],
      ] as const) {
        expect(atOrBelow(band)).toBeGreaterThanOrEqual(count)
      }
    },
  )

  it('cuts a baseline split at its median between the two durations, the lower one falling low', () => {
    const sorted = baselines[2]?.[1] as Float64Array
    const detector = new DegradationDetector(referenceOfSorted(sorted, quantileSorted))
    // p50: h = 999 · 0.5 = 499.5, between x[499] = 1 and x[500] = 2: 1.5; p75 … p99 are 2
    expect(referenceOfSorted(sorted, quantileSorted)).toMatchObject({ p50: 1.5, p75: 2, p99: 2 })
    expect([1, 1.5, 1.6, 2, 2.1].map((d) => detector.bandOf(d))).toEqual([0, 0, 1, 1, 4])
  })

  it('takes the reference failure rate as (failures + 1) / (n + 2), at least 0.1 %', () => {
    const rate = (failureCount: number, sampleCount = 1000) =>
      new DegradationDetector({ ...reference, sampleCount, failureCount }).stats()
        .referenceErrorRate
    expect(rate(0)).toBe(0.001) // 1 / 1002 is below the floor
    expect(rate(9)).toBeCloseTo(10 / 1011, 12)
    expect(rate(98, 1000)).toBeCloseTo(99 / 1100, 12)
  })
})

/**
 * A baseline of 1,000 samples with round quantiles (limits: shift 240, tail 300; a slice adds at
 * most 96 and 120) and one duration in each band.
 */
function roundReference(failureCount = 0, sampleCount = 1000) {
  return { p50: 1, p75: 2, p95: 3, p99: 4, sampleCount, failureCount }
}
/** Durations in band 0 (≤ p50) … band 4 (above p99) of `roundReference`. */
const BAND = [0.5, 1.5, 2.5, 3.5, 5] as const

/** A detector on `roundReference` fed one sample per slice (SLICE_MS apart: 20, 40, ...). */
function slicedDetector(holdMs = 0, failureCount = 0) {
  const detector = new DegradationDetector(roundReference(failureCount), 0, holdMs)
  return { detector, feed: timed(detector, SLICE_MS) }
}

describe('chart limits by baseline size', () => {
  it('uses the row of the largest size a baseline reaches, from exactly 500 samples', () => {
    expect(chartLimits(499)).toBeUndefined()
    expect(chartLimits(500)).toEqual({ minSamples: 500, shift: 463, tail: 829 })
    expect(chartLimits(999)?.shift).toBe(463)
    expect(chartLimits(1000)).toEqual({ minSamples: 1000, shift: 240, tail: 300 })
    expect(chartLimits(4999)).toEqual({ minSamples: 2000, shift: 209, tail: 244 })
    expect(chartLimits(5000)).toEqual({ minSamples: 5000, shift: 193, tail: 218 })
    expect(chartLimits(1_000_000)?.shift).toBe(193)
    const smallest = new DegradationDetector(roundReference(0, 500)).stats()
    expect(smallest).toMatchObject({ shiftLimit: 463, tailLimit: 829, referenceSamples: 500 })
  })

  it('refuses a baseline below MIN_DETECTION_SAMPLES with a RangeError naming both counts', () => {
    expect(() => new DegradationDetector(roundReference(0, 499))).toThrow(
      new RangeError('a detector needs a baseline of at least 500 samples, got 499'),
    )
  })
})

describe('the error chart', () => {
  it('scores a failure ln(p1 / p0), p1 the larger of 4·p0 and p0 + 2 points, at most 0.99', () => {
    const afterOneFailure = (failureCount: number) => {
      const detector = new DegradationDetector(roundReference(failureCount))
      detector.failure(0)
      return detector.stats().errorScore
    }
    // p0 = 0.1 % (the floor): p0 + 2 points = 2.1 % is above 4·p0
    expect(afterOneFailure(0)).toBeCloseTo(Math.log(0.021 / 0.001), 12)
    // p0 = 10 / 1011 ≈ 1 %: 4·p0 is above p0 + 2 points
    expect(afterOneFailure(9)).toBeCloseTo(Math.log(4), 12)
    // p0 = 499 / 1500 ≈ 33 %: 4·p0 is capped at 0.99
    expect(afterOneFailure(498)).toBeCloseTo(Math.log(0.99 / (499 / 1500)), 12)
  })

  it('takes ln((1 - p1) / (1 - p0)) off per success while the chart is above 0', () => {
    const scoreAfter = (failureCount: number) => {
      const detector = new DegradationDetector(roundReference(failureCount))
      detector.failure(0)
      detector.success(BAND[0], 1) // the same slice
      return detector.stats().errorScore
    }
    expect(scoreAfter(0)).toBeCloseTo(Math.log(21) + Math.log(0.979 / 0.999), 12)
    // p0 = 10 / 1011, p1 = 40 / 1011
    expect(scoreAfter(9)).toBeCloseTo(Math.log(4) + Math.log(971 / 1001), 12)
  })

  it('does not bank successes while the chart is at 0: a failure after them scores in full', () => {
    const detector = new DegradationDetector(roundReference())
    for (let i = 0; i < 19; i++) detector.success(BAND[0], i / 2) // one slice
    detector.failure(10)
    expect(detector.stats().errorScore).toBeCloseTo(Math.log(21), 12)
  })

  it('adds at most 40 % of its limit per slice: failures that end together raise in the third', () => {
    const detector = new DegradationDetector(roundReference())
    // 10 failures score 30.4, but a slice adds at most 8 of the limit of 20
    for (let i = 0; i < 10; i++) expect(detector.failure(100)).toBe(NO_CHANGE)
    expect(detector.stats().errorScore).toBe(0.4 * ERROR_LIMIT)
    for (let i = 0; i < 10; i++) expect(detector.failure(100 + SLICE_MS)).toBe(NO_CHANGE)
    expect(detector.stats().errorScore).toBe(0.8 * ERROR_LIMIT)
    // the third slice: 16 + 3.04 after one failure, the limit after two
    expect(detector.failure(100 + 2 * SLICE_MS)).toBe(NO_CHANGE)
    expect(detector.failure(100 + 2 * SLICE_MS)).toBe(RAISED)
    expect(detector.rule).toBe('errors')
  })
})

describe('evidence slices', () => {
  it('puts samples that end together, or within SLICE_MS of the slice start, in one slice', () => {
    const detector = new DegradationDetector(roundReference())
    // 7 samples above p99 score 105 on the shift chart, capped at 96 (40 % of 240) in one slice
    for (let i = 0; i < 7; i++) detector.success(BAND[4], 100)
    expect(detector.stats().shiftScore).toBe(96)
    detector.success(BAND[4], 100 + SLICE_MS - 0.001)
    expect(detector.stats().shiftScore).toBe(96)
    // exactly SLICE_MS after the slice began: a new slice, +15
    detector.success(BAND[4], 100 + SLICE_MS)
    expect(detector.stats().shiftScore).toBe(111)
  })

  it('starts a new slice when the end time goes back', () => {
    const detector = new DegradationDetector(roundReference())
    for (let i = 0; i < 7; i++) detector.success(BAND[4], 100)
    expect(detector.stats().shiftScore).toBe(96)
    detector.success(BAND[4], 90)
    expect(detector.stats().shiftScore).toBe(111)
  })

  it('counts a slice of more than SLICE_SAMPLES samples as SLICE_SAMPLES of them on the tail chart too', () => {
    // between p95 and p99: +2 on the tail chart (+8 on the shift chart, capped at 96)
    const tailAfter = (count: number) => {
      const detector = new DegradationDetector(roundReference())
      for (let i = 0; i < count; i++) detector.success(BAND[3], i * (SLICE_MS / count))
      return detector
    }
    expect(tailAfter(1).stats().tailScore).toBe(2)
    expect(tailAfter(SLICE_SAMPLES).stats().tailScore).toBe(2 * SLICE_SAMPLES)
    expect(tailAfter(SLICE_SAMPLES + 1).stats().tailScore).toBeCloseTo(2 * SLICE_SAMPLES, 12)
    const busy = tailAfter(100)
    expect(busy.stats()).toMatchObject({ shiftScore: 96 })
    expect(busy.stats().tailScore).toBeCloseTo(2 * SLICE_SAMPLES, 12)
    // 100 healthy samples in the next slice count in full: -100 on the tail chart, -300 on the
    // shift chart (scaled to 20 samples they would leave 20 and 36)
    for (let i = 0; i < 100; i++) busy.success(BAND[0], SLICE_MS + i * 0.2)
    expect(busy.stats()).toMatchObject({ shiftScore: 0, tailScore: 0 })
  })
})

describe('onsets and the rule that raised', () => {
  it('a shift raise dates its onset from the last sample the shift chart was 0', () => {
    const { detector, feed } = slicedDetector()
    for (let i = 0; i < 10; i++) feed.success(BAND[0]) // the last ends at 200 ms
    // between p75 and p95: +3 on the shift chart (240 after 80), -1 on the tail chart (stays 0)
    for (let i = 1; i < 80; i++) expect(feed.success(BAND[2])).toBe(NO_CHANGE)
    expect(feed.success(BAND[2])).toBe(RAISED)
    expect(detector.stats()).toMatchObject({ rule: 'shift', shiftScore: 240, tailScore: 0 })
    expect(detector.samplesSinceOnset()).toBe(80)
    expect(detector.onsetMs()).toBe(200)
  })

  it('a tail raise dates its onset from the last sample the tail chart was 0', () => {
    const { detector, feed } = slicedDetector()
    for (let i = 0; i < 10; i++) feed.success(BAND[0]) // the last ends at 200 ms
    // One call above p99 and five at p50: +19 on the tail chart per cycle, the shift chart back
    // to 0 (+15, then -3 five times). The 16th cycle's slow call reaches 15 · 19 + 24 ≥ 300.
    const transitions: number[] = []
    for (let cycle = 0; cycle < 15; cycle++) {
      transitions.push(feed.success(BAND[4]))
      for (let i = 0; i < 5; i++) transitions.push(feed.success(BAND[0]))
    }
    expect(transitions.every((t) => t === NO_CHANGE)).toBe(true)
    expect(feed.success(BAND[4])).toBe(RAISED)
    expect(detector.stats()).toMatchObject({ rule: 'tail', shiftScore: 15, tailScore: 300 })
    expect(detector.samplesSinceOnset()).toBe(15 * 6 + 1)
    expect(detector.onsetMs()).toBe(200)
  })

  it('an error raise counts its onset from the last sample the error chart was 0', () => {
    const { detector, feed } = slicedDetector()
    for (let i = 0; i < 10; i++) feed.success(BAND[0])
    // ln 21 ≈ 3.04 per failure, -0.02 for the success: the 7th failure passes 20
    feed.failure()
    feed.success(BAND[0]) // the latency charts are 0 here, the error chart is not
    for (let i = 0; i < 5; i++) expect(feed.failure()).toBe(NO_CHANGE)
    expect(feed.failure()).toBe(RAISED)
    expect(detector.stats().rule).toBe('errors')
    expect(detector.samplesSinceOnset()).toBe(8)
  })

  it('reports the rule only while degraded', () => {
    const { detector, feed } = slicedDetector()
    expect(detector.stats().rule).toBeNull()
    while (feed.success(BAND[2]) !== RAISED) {}
    expect(detector.stats().rule).toBe('shift')
    while (feed.success(BAND[0]) !== CLEARED) {}
    expect(detector.stats().rule).toBeNull()
  })
})

describe('clearing', () => {
  it('clears a shift episode at the sample that drains every chart to 0 (no hold)', () => {
    const { detector, feed } = slicedDetector()
    while (feed.success(BAND[2]) !== RAISED) {}
    // at p50: -3 per sample on the shift chart, from 240 to 0 in 80 samples
    for (let i = 1; i < 80; i++) expect(feed.success(BAND[0])).toBe(NO_CHANGE)
    expect(feed.success(BAND[0])).toBe(CLEARED)
    expect(detector.isDegraded).toBe(false)
  })

  it('waits for the tail chart to drain too, though the shift chart is back at 0', () => {
    const { detector, feed } = slicedDetector()
    for (;;) {
      if (feed.success(BAND[4]) === RAISED) break
      for (let i = 0; i < 5; i++) feed.success(BAND[0])
    }
    expect(detector.stats()).toMatchObject({ rule: 'tail', tailScore: 300 })
    // -1 per sample at p50 on the tail chart: 300 samples; the shift chart is 0 after 5
    for (let i = 1; i < 300; i++) expect(feed.success(BAND[0])).toBe(NO_CHANGE)
    expect(detector.stats().shiftScore).toBe(0)
    expect(feed.success(BAND[0])).toBe(CLEARED)
  })

  it('clears exactly holdMs after the charts drained, and raises anew afterwards', () => {
    const { detector, feed } = slicedDetector(1000)
    for (let i = 0; i < 10; i++) feed.success(BAND[0]) // ends at 200 ms
    for (let i = 0; i < 80; i++) feed.success(BAND[2]) // raised at 1,800 ms
    expect(detector.isDegraded).toBe(true)
    for (let i = 0; i < 80; i++) expect(feed.success(BAND[0])).toBe(NO_CHANGE) // 0 at 3,400 ms
    expect(detector.stats().shiftScore).toBe(0)
    // 20 ms apart: 980 ms after draining is within the hold, 1,000 ms clears
    for (let i = 1; i < 50; i++) expect(feed.success(BAND[0])).toBe(NO_CHANGE)
    expect(feed.success(BAND[0])).toBe(CLEARED)
    // a new slowdown is a new episode, raised (not resumed) once
    for (let i = 1; i < 80; i++) expect(feed.success(BAND[2])).toBe(NO_CHANGE)
    expect(feed.success(BAND[2])).toBe(RAISED)
    expect(feed.success(BAND[2])).toBe(NO_CHANGE)
    expect(detector.isDegraded).toBe(true)
  })
})

describe('dismiss', () => {
  it('takes back a raise and forgets its evidence: the charts start again from 0', () => {
    const { detector, feed } = slicedDetector()
    while (feed.success(BAND[2]) !== RAISED) {}
    detector.dismiss()
    expect(detector.isDegraded).toBe(false)
    expect(detector.rule).toBeUndefined()
    expect(detector.stats()).toMatchObject({ rule: null, shiftScore: 0, tailScore: 0 })
    // 80 more samples at +3 are needed to raise again
    for (let i = 1; i < 80; i++) expect(feed.success(BAND[2])).toBe(NO_CHANGE)
    expect(feed.success(BAND[2])).toBe(RAISED)
  })
})

describe('learnedSlower at its limit', () => {
  it('is slower only above the limit, and a sample at the first p50 is not above it', () => {
    // m = n = 512: the limit is 0.5 + 4·sqrt(0.5 / 512) = 0.625 exactly, 320 of 512 samples
    const first = { p50: 10, sampleCount: 512 }
    const later = (above: number, atP50 = 0) =>
      Float64Array.from({ length: 512 }, (_, i) => (i < above ? 11 : i < above + atP50 ? 10 : 9))
    expect(learnedSlower(later(320), first)).toBeUndefined()
    expect(learnedSlower(later(321), first)).toEqual({ shareAboveP50: 321 / 512, limit: 0.625 })
    expect(learnedSlower(later(320, 1), first)).toBeUndefined()
  })
})
