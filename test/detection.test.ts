import { describe, expect, it } from 'vitest'
import {
  CLEARED,
  chartLimits,
  DegradationDetector,
  ERROR_LIMIT,
  MIN_DETECTION_SAMPLES,
  NO_CHANGE,
  RAISED,
} from '../src/detection.js'
import { quantileSorted } from '../src/stats.js'
import { logNormal } from './helpers/random.js'

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
  return { detector: new DegradationDetector(reference), reference, draw }
}

/** Feeds `next()` until the state changes; returns how many samples that took. */
function samplesUntil(detector: DegradationDetector, next: () => number, max = 100_000): number {
  for (let i = 1; i <= max; i++) {
    if (detector.success(next()) !== NO_CHANGE) return i
  }
  return Number.POSITIVE_INFINITY
}

describe('chartLimits', () => {
  it('needs at least MIN_DETECTION_SAMPLES and lowers the limits as baselines grow', () => {
    expect(chartLimits(MIN_DETECTION_SAMPLES - 1)).toBeUndefined()
    expect(chartLimits(1000)).toEqual({ samples: 1000, shift: 240, tail: 300 })
    expect(chartLimits(1999)?.shift).toBe(240) // the smaller row's, larger, limit
    expect(chartLimits(10_000)?.shift).toBeLessThan(240)
    const { reference } = detectorFor()
    expect(() => new DegradationDetector({ ...reference, sampleCount: 100 })).toThrow(RangeError)
  })
})

describe('DegradationDetector', () => {
  it('raises nothing on 100,000 healthy samples from the baseline distribution', () => {
    const { detector, draw } = detectorFor(2)
    let transitions = 0
    for (let i = 0; i < 100_000; i++) if (detector.success(draw()) !== NO_CHANGE) transitions++
    expect(transitions).toBe(0)
    expect(detector.isDegraded).toBe(false)
  })

  it('detects a 2x shift of the whole distribution within a few dozen samples', () => {
    const { detector, draw } = detectorFor(3)
    for (let i = 0; i < 2000; i++) detector.success(draw())
    const delay = samplesUntil(detector, () => 2 * draw())
    // weights per band (-3, -1, 3, 8, 15); at 2x about 62% of samples land above p75
    expect(delay).toBeGreaterThan(16) // 240 / 15: it needs evidence, not one sample
    expect(delay).toBeLessThan(150)
    expect(detector.isDegraded).toBe(true)
    expect(detector.rule).toBe('shift')
    expect(detector.samplesSinceOnset()).toBeGreaterThanOrEqual(delay - 5)
  })

  it('detects a tail-only degradation: 5% of calls 10x slower', () => {
    const { detector, draw } = detectorFor(4)
    let k = 0
    const delay = samplesUntil(detector, () => (++k % 20 === 0 ? 10 : 1) * draw())
    expect(delay).toBeLessThan(2000)
    expect(detector.rule).toBe('tail')
  })

  it('a single very slow call raises nothing', () => {
    const { detector, draw, reference } = detectorFor(5)
    expect(detector.success(reference.p99 * 100)).toBe(NO_CHANGE)
    expect(samplesUntil(detector, draw, 10_000)).toBe(Number.POSITIVE_INFINITY)
  })

  it('holds the degraded state on alternating fast and slow calls (hysteresis)', () => {
    const { detector, reference } = detectorFor(6)
    const fast = reference.p50 / 2
    const slow = reference.p99 * 2
    samplesUntil(detector, () => slow)
    expect(detector.isDegraded).toBe(true)
    for (let i = 0; i < 10_000; i++) {
      expect(detector.success(i % 2 === 0 ? fast : slow)).toBe(NO_CHANGE)
    }
    expect(detector.isDegraded).toBe(true)
  })

  it('clears only after a sustained healthy stretch, not on the first fast call', () => {
    const { detector, reference, draw } = detectorFor(7)
    samplesUntil(detector, () => reference.p99 * 2)
    expect(detector.success(reference.p50 / 2)).toBe(NO_CHANGE)
    const recovery = samplesUntil(detector, draw)
    // both charts are capped at their limits and drain 0.6-0.7 per healthy sample on average
    expect(recovery).toBeGreaterThan(100)
    expect(recovery).toBeLessThan(2000)
    expect(detector.isDegraded).toBe(false)
  })

  it('raises on a rise in failures, and clears when they stop', () => {
    const { detector, draw } = detectorFor(8)
    for (let i = 0; i < 10_000; i++) {
      expect(i % 2000 === 0 ? detector.failure() : detector.success(draw())).toBe(NO_CHANGE)
    }
    let transition = NO_CHANGE
    let failures = 0
    while (transition === NO_CHANGE) {
      failures++
      transition = detector.failure()
      detector.success(draw())
    }
    expect(transition).toBe(RAISED)
    expect(detector.rule).toBe('errors')
    expect(failures).toBeLessThan(12) // limit 20 at ln(21) ≈ 3.04 per failure
    expect(detector.stats().errorScore).toBeLessThanOrEqual(ERROR_LIMIT)
    let cleared = 0
    while (detector.success(draw()) !== CLEARED) cleared++
    expect(cleared).toBeGreaterThan(500)
  })

  it('ignores shifts smaller than its tolerance', () => {
    const draw = logNormal(10, 0.2, 0.1) // a 0.2 ms method
    const reference = referenceOf(draw)
    const slightlySlower = () => draw() + 0.02 // +10%: 20 µs
    expect(samplesUntil(new DegradationDetector(reference, 0), slightlySlower)).toBeLessThan(1000)
    expect(samplesUntil(new DegradationDetector(reference, 0.1), slightlySlower, 20_000)).toBe(
      Number.POSITIVE_INFINITY,
    )
    // a real slowdown of the same method is still caught
    expect(samplesUntil(new DegradationDetector(reference, 0.1), () => 3 * draw())).toBeLessThan(
      200,
    )
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
