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

  it('takes the reference failure rate as (failures + 1) / (n + 2), at least 0.1 %', () => {
    const rate = (failureCount: number, sampleCount = 1000) =>
      new DegradationDetector({ ...reference, sampleCount, failureCount }).stats()
        .referenceErrorRate
    expect(rate(0)).toBe(0.001) // 1 / 1002 is below the floor
    expect(rate(9)).toBeCloseTo(10 / 1011, 12)
    expect(rate(98, 1000)).toBeCloseTo(99 / 1100, 12)
  })
})
