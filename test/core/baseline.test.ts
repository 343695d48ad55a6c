import { describe, expect, it } from 'vitest'
import { quantileSorted } from '../../src/core/stats.js'
import { Baseline, type BaselineJSON } from '../../src/index.js'
import { logNormal } from '../helpers/random.js'

function seededLogNormal(seed: number, count: number): Float64Array {
  return Float64Array.from({ length: count }, logNormal(seed))
}

describe('Baseline.fromSamples', () => {
  it('uses exact R-7 quantiles on small samples', () => {
    const baseline = Baseline.fromSamples('op', Float64Array.from([1, 2, 3, 4, 100]))
    // h = (5 - 1) p: p50 x[2] = 3, p75 x[3] = 4, p95 4 + 0.8 * 96 = 80.8, p99 4 + 0.96 * 96 = 96.16
    expect(baseline).toMatchObject({ p50: 3, p75: 4, mean: 22, sampleCount: 5 })
    expect(baseline.p95).toBeCloseTo(80.8, 12)
    expect(baseline.p99).toBeCloseTo(96.16, 12)
    // sample standard deviation of [1, 2, 3, 4, 100]: sqrt(7610 / 4)
    expect(baseline.stdDev).toBeCloseTo(Math.sqrt(7610 / 4), 10)
  })

  it('reports the tie value on tie-heavy samples where a continuous digest says about 91', () => {
    const samples = new Float64Array(1010).fill(5)
    samples.fill(100, 1000)
    const baseline = Baseline.fromSamples('op', samples)
    expect(baseline.p95).toBe(5)
    expect(baseline.p99).toBe(5)
  })

  it('matches the order statistics of 1000 log-normal samples', () => {
    const samples = seededLogNormal(7, 1000)
    const sorted = Float64Array.from(samples).sort()
    const baseline = Baseline.fromSamples('op', samples)
    for (const [p, value] of [
      [0.5, baseline.p50],
      [0.75, baseline.p75],
      [0.95, baseline.p95],
      [0.99, baseline.p99],
    ] as const) {
      expect(value).toBe(quantileSorted(sorted, p))
    }
  })

  it('rejects too few or invalid samples', () => {
    expect(() => Baseline.fromSamples('op', Float64Array.from([1]))).toThrow(TypeError)
    expect(() => Baseline.fromSamples('op', Float64Array.from([1, Number.NaN]))).toThrow(
      /not a number in \[0, 1000000000000\)/,
    )
  })
})

describe('Baseline.isDegraded', () => {
  it('flags durations above p95', () => {
    // p95 = 4 + 0.8 * 96 = 80.8 and mean + 2 * stdDev = 22 + 2 * 43.6 = 109.2 is above it: only
    // the p95 rule can fire below 109
    const wide = Baseline.fromSamples('op', Float64Array.from([1, 2, 3, 4, 100]))
    expect(wide.isDegraded(wide.p95)).toBe(false)
    expect(wide.isDegraded(80.7)).toBe(false)
    expect(wide.isDegraded(81)).toBe(true)
    expect(wide.degradationRule(81)).toBe('p95')
    // the largest sample is above an interpolated p95
    expect(wide.isDegraded(100)).toBe(true)
  })

  it('flags durations above mean + stdDevThreshold * stdDev even below p95', () => {
    // 94 samples of 10 and 6 of 30: p95 is 30 (h = 99 * 0.95 = 94.05, x[94] = x[95] = 30), mean
    // 11.2, stdDev sqrt(2256 / 99) = 4.77
    const samples = new Float64Array(100).fill(10)
    samples.fill(30, 94)
    const baseline = Baseline.fromSamples('op', samples, { stdDevThreshold: 2 })
    expect(baseline.p95).toBe(30)
    const limit = baseline.mean + 2 * baseline.stdDev // 20.75
    expect(limit).toBeLessThan(baseline.p95)
    expect(baseline.isDegraded(limit - 0.01)).toBe(false)
    expect(baseline.isDegraded(limit + 0.01)).toBe(true)
    expect(baseline.degradationRule(limit + 0.01)).toBe('stdDev')
    expect(baseline.degradationRule(limit - 0.01)).toBeUndefined()
  })

  it('honours a custom stdDevThreshold', () => {
    const samples = new Float64Array(100).fill(10)
    samples.fill(30, 94)
    const strict = Baseline.fromSamples('op', samples, { stdDevThreshold: 0.5 })
    expect(strict.isDegraded(strict.mean + strict.stdDev)).toBe(true)
  })
})

describe('Baseline persistence form', () => {
  it('summarises every field, in the file order, and nothing of the digest', () => {
    const samples = Float64Array.of(4, 1, 3, 2)
    const at = new Date('2026-01-02T03:04:05Z')
    const baseline = Baseline.fromSamples('db.query', samples, { callsPerSecond: 40 }, at)
    const summary = baseline.toSummary()
    expect(Object.keys(summary)).toEqual([
      'operation',
      'p50',
      'p75',
      'p95',
      'p99',
      'mean',
      'stdDev',
      'sampleCount',
      'callsPerSecond',
      'establishedAt',
    ])
    expect(summary).toEqual({
      operation: 'db.query',
      // R-7 on [1, 2, 3, 4], h = 3 p: 1.5, 2.25, 2.85, 2.97 (were 2, 3, 4, 4 by nearest rank)
      p50: 2.5,
      p75: 3.25,
      p95: expect.closeTo(3.85, 12),
      p99: expect.closeTo(3.97, 12),
      mean: 2.5,
      stdDev: Math.sqrt(5 / 3),
      sampleCount: 4,
      callsPerSecond: 40,
      establishedAt: '2026-01-02T03:04:05.000Z',
    })
    expect(Object.keys(baseline.toJSON())).toEqual([
      ...Object.keys(summary),
      'failureCount',
      'digest',
    ])
  })

  it('round-trips through JSON with its digest', () => {
    const baseline = Baseline.fromSamples('db.query', seededLogNormal(3, 1000))
    expect(baseline.hasDigest).toBe(false)
    baseline.fillDigest()
    expect(baseline.hasDigest).toBe(true)
    const json = JSON.parse(JSON.stringify(baseline))
    expect(json.digest.centroids.length).toBeGreaterThan(10)
    const restored = Baseline.fromJSON(json)
    expect(restored.toSummary()).toEqual(baseline.toSummary())
    expect(restored.toJSON()).toEqual(json)
  })

  it('restores a tdigest that approximates the samples', () => {
    const samples = seededLogNormal(11, 1000)
    const sorted = Float64Array.from(samples).sort()
    const digest = Baseline.fromJSON(
      JSON.parse(JSON.stringify(Baseline.fromSamples('op', samples))),
    ).toDigest()
    // The package's compress() is random: allow a few percent.
    const p50 = digest.percentile(0.5)
    expect(Math.abs(p50 / quantileSorted(sorted, 0.5) - 1)).toBeLessThan(0.05)
  })

  it('merges baselines: digests combined, moments pooled exactly, counts added', () => {
    const parts = [1, 2, 3, 4].map((seed) => seededLogNormal(seed, 2000))
    const all = Float64Array.from(parts.flatMap((p) => [...p])).sort()
    const merged = Baseline.merge(
      parts.map((p) => Baseline.fromSamples('op', Float64Array.from(p))),
    )
    expect(merged.sampleCount).toBe(8000)
    const allMean = all.reduce((sum, v) => sum + v, 0) / all.length
    expect(merged.mean).toBeCloseTo(allMean, 9)
    const squares = all.reduce((sum, v) => sum + (v - allMean) ** 2, 0)
    expect(merged.stdDev).toBeCloseTo(Math.sqrt(squares / (all.length - 1)), 9)
    // quantiles come from the merged digest: close to, not equal to, the order statistics
    expect(Math.abs(merged.p50 / quantileSorted(all, 0.5) - 1)).toBeLessThan(0.01)
    expect(Math.abs(merged.p99 / quantileSorted(all, 0.99) - 1)).toBeLessThan(0.02)
    expect(() => Baseline.merge([])).toThrow(TypeError)
  })

  it.each([
    [{}, /operation/],
    [{ operation: 'x', p50: -1 }, /p50/],
    [
      { operation: 'x', p50: 1, p75: 1, p95: 1, p99: 1, mean: 1, stdDev: 0, sampleCount: 2 },
      /establishedAt/,
    ],
  ])('rejects an invalid record %#', (json, message) => {
    expect(() => Baseline.fromJSON(json)).toThrow(message)
  })
})

describe('Baseline checks and boundaries', () => {
  const valid = () => Baseline.fromSamples('op', seededLogNormal(8, 200)).toJSON()

  it('says how many samples were too few, and refuses what is not an object', () => {
    expect(() => Baseline.fromSamples('op', Float64Array.of(1))).toThrow(
      'a baseline needs at least 2 samples, got 1',
    )
    expect(() => Baseline.merge([])).toThrow('merge needs at least one baseline')
    for (const json of [null, 'op', 5]) {
      expect(() => Baseline.fromJSON(json)).toThrow('baseline is not an object')
    }
  })

  it.each([
    ['p95 above p99', (j: BaselineJSON) => ({ p95: j.p99 + 1 }), /quantiles are not in order/],
    ['p75 above p95', (j: BaselineJSON) => ({ p75: j.p95 + 1 }), /quantiles are not in order/],
    ['a number as establishedAt', () => ({ establishedAt: 5 }), /establishedAt is not an ISO/],
    ['a negative rate', () => ({ callsPerSecond: -1 }), /callsPerSecond is not a positive/],
    ['a rate that is a string', () => ({ callsPerSecond: '5' }), /callsPerSecond/],
  ])('refuses %s', (_, change, message) => {
    const json = valid()
    expect(() => Baseline.fromJSON({ ...json, ...change(json) })).toThrow(message)
  })

  it('keeps a valid rate and reads a missing one as unknown', () => {
    const { callsPerSecond: _, ...json } = valid()
    expect(Baseline.fromJSON(json).callsPerSecond).toBeNull()
    expect(Baseline.fromJSON({ ...json, callsPerSecond: 12.5 }).callsPerSecond).toBe(12.5)
  })

  it.each([
    ['a number', [5]],
    ['a pair with a string', [[5, '1']]],
    ['a pair with a string mean', [['5', 1]]],
  ])('refuses a digest centroid that is %s', (_, centroids) => {
    const json = { ...valid(), digest: { centroids } }
    expect(() => Baseline.fromJSON(json)).toThrow(
      'baseline op: digest centroid 0 is not [mean, count]',
    )
  })

  it('flags a duration only strictly above each rule', () => {
    const wide = Baseline.fromSamples('op', Float64Array.from([1, 2, 3, 4, 100]))
    expect(wide.degradationRule(wide.p95)).toBeUndefined()
    // 90 calls of 1 ms and 10 of 100 ms: mean + 2 sigma (about 70.6) is below p95 (100)
    const tight = Baseline.fromSamples(
      'op',
      Float64Array.from({ length: 100 }, (_, i) => (i < 90 ? 1 : 100)),
    )
    const limit = tight.mean + 2 * tight.stdDev
    expect(limit).toBeLessThan(tight.p95)
    expect(tight.degradationRule(limit)).toBeUndefined()
    expect(tight.isDegraded(limit)).toBe(false)
    expect(tight.degradationRule(limit + 1e-9)).toBe('stdDev')
  })

  it('adds the failures of merged baselines', () => {
    const a = Baseline.fromSamples('op', seededLogNormal(1, 100), { failureCount: 3 })
    const b = Baseline.fromSamples('op', seededLogNormal(2, 100), { failureCount: 4 })
    expect(Baseline.merge([a, b]).toJSON().failureCount).toBe(7)
  })
})

describe('Baseline.refreshed', () => {
  const constant = (value: number, count: number) => new Float64Array(count).fill(value)

  it('weighs the old baseline as much as the new samples, however many it had', () => {
    // 1000 old samples of 10, 100 new ones of 20: equal weights put p75 on the new ones
    const current = Baseline.fromSamples('op', constant(10, 1000))
    const refreshed = Baseline.refreshed(current, constant(20, 100), { maxChange: 1 })
    expect(refreshed.p50).toBeLessThan(20)
    expect(refreshed.p75).toBe(20)
  })

  it('keeps the quantiles apart and in order, each moved at most maxChange', () => {
    const current = Baseline.fromSamples('op', seededLogNormal(3, 1000))
    const refreshed = Baseline.refreshed(current, seededLogNormal(4, 1000), { maxChange: 0.1 })
    const quantiles = [refreshed.p50, refreshed.p75, refreshed.p95, refreshed.p99]
    for (let i = 1; i < quantiles.length; i++) {
      expect(quantiles[i]).toBeGreaterThan(quantiles[i - 1] as number)
    }
    for (const key of ['p50', 'p75', 'p95', 'p99', 'mean', 'stdDev'] as const) {
      expect(Math.abs(refreshed[key] / current[key] - 1)).toBeLessThanOrEqual(0.1 + 1e-12)
    }
  })

  it('moves by exactly maxChange, up or down, when the samples moved further', () => {
    const current = Baseline.fromSamples('op', seededLogNormal(5, 1000))
    const slower = Float64Array.from(seededLogNormal(6, 1000), (v) => 3 * v)
    const up = Baseline.refreshed(current, slower, { maxChange: 0.1 })
    expect(up.p50).toBeCloseTo(current.p50 * 1.1, 9)
    expect(up.mean).toBeCloseTo(current.mean * 1.1, 9)
    const faster = Float64Array.from(seededLogNormal(6, 1000), (v) => v / 3)
    const down = Baseline.refreshed(current, faster, { maxChange: 0.1 })
    expect(down.p50).toBeCloseTo(current.p50 * 0.9, 9)
    expect(down.mean).toBeCloseTo(current.mean * 0.9, 9)
    // the default is 0.1 too
    expect(Baseline.refreshed(current, slower).p50).toBeCloseTo(current.p50 * 1.1, 9)
  })

  it('keeps the rate and the failures of the baseline it refreshes', () => {
    const current = Baseline.fromSamples('op', seededLogNormal(7, 100), {
      failureCount: 2,
      callsPerSecond: 50,
    })
    const refreshed = Baseline.refreshed(current, seededLogNormal(8, 100))
    expect(refreshed.callsPerSecond).toBe(50)
    expect(refreshed.toJSON().failureCount).toBe(2)
  })
})

describe('Baseline digest checks on restore', () => {
  /** A baseline of 10,000 samples 1..10,000 ms in its file form; its centroids add up exactly. */
  function restored() {
    const json = Baseline.fromSamples(
      'op',
      Float64Array.from({ length: 10_000 }, (_, i) => i + 1),
    ).toJSON()
    const centroids = json.digest.centroids
    const low = (centroids[0] as [number, number])[0]
    const high = (centroids[centroids.length - 1] as [number, number])[0]
    return { json, centroids, low, high, slack: 1e-6 * high }
  }
  const withCentroid = (json: BaselineJSON, index: number, centroid: [number, number]) => ({
    ...json,
    digest: { centroids: json.digest.centroids.map((c, i) => (i === index ? centroid : c)) },
  })

  it('refuses a centroid that is an object shaped like a pair', () => {
    const { json } = restored()
    const digest = { centroids: [{ 0: 5, 1: 1 }] }
    expect(() => Baseline.fromJSON({ ...json, digest })).toThrow(
      'baseline op: digest centroid 0 is not [mean, count]',
    )
  })

  it('refuses a centroid beyond the largest duration, naming it', () => {
    const { json, centroids } = restored()
    const last = centroids.length - 1
    expect(() => Baseline.fromJSON(withCentroid(json, last, [2e12, 1]))).toThrow(
      `digest centroid ${last} is not ascending within [0, 1000000000000)`,
    )
  })

  it('refuses an infinite or zero centroid count, naming the centroid', () => {
    const { json } = restored()
    const [mean] = json.digest.centroids[1] as [number, number]
    for (const count of [Number.POSITIVE_INFINITY, 0]) {
      expect(() => Baseline.fromJSON(withCentroid(json, 1, [mean, count]))).toThrow(
        'digest centroid 1 has a count that is not > 0',
      )
    }
  })

  it('accepts counts that add up to sampleCount within 1 + 0.01 %, and no further', () => {
    const { json, centroids } = restored()
    const last = centroids.length - 1
    const [mean, count] = centroids[last] as [number, number]
    expect(centroids.reduce((sum, [, n]) => sum + n, 0)).toBe(10_000)
    // 10,000 samples: a tolerance of 1 + 1e-4 * 10,000 = 2 counts
    expect(Baseline.fromJSON(withCentroid(json, last, [mean, count + 2])).sampleCount).toBe(10_000)
    expect(() => Baseline.fromJSON(withCentroid(json, last, [mean, count + 3]))).toThrow(
      'digest counts add up to 10003, not sampleCount 10000',
    )
  })

  it("accepts quantiles and mean within the digest's range with its float32 slack, no further", () => {
    const { json, low, high, slack } = restored()
    expect(Baseline.fromJSON({ ...json, p50: low - slack }).p50).toBe(low - slack)
    expect(Baseline.fromJSON({ ...json, p99: high + slack }).p99).toBe(high + slack)
    expect(() => Baseline.fromJSON({ ...json, p50: (low - slack) * 0.999 })).toThrow(
      `p50, p99 or mean outside the digest's range [${low}, ${high}]`,
    )
    expect(() => Baseline.fromJSON({ ...json, p99: (high + slack) * 1.001 })).toThrow(
      "outside the digest's range",
    )
  })

  it("accepts a standard deviation up to the digest's width, no wider", () => {
    const { json, low, high, slack } = restored()
    const widest = high - low + slack
    expect(Baseline.fromJSON({ ...json, stdDev: widest }).stdDev).toBe(widest)
    // wider by half the smallest duration (the digest's range starts at 1 ms)
    expect(low).toBe(1)
    expect(() => Baseline.fromJSON({ ...json, stdDev: widest + 0.5 })).toThrow(
      `stdDev ${widest + 0.5} is wider than the digest's range [${low}, ${high}]`,
    )
  })

  it('keeps only a finite positive call rate', () => {
    const samples = seededLogNormal(3, 100)
    expect(Baseline.fromSamples('op', samples, { callsPerSecond: 0 }).callsPerSecond).toBeNull()
    expect(
      Baseline.fromSamples('op', samples, { callsPerSecond: Number.POSITIVE_INFINITY })
        .callsPerSecond,
    ).toBeNull()
    expect(Baseline.fromSamples('op', samples, { callsPerSecond: 0.5 }).callsPerSecond).toBe(0.5)
    const json = Baseline.fromSamples('op', samples).toJSON()
    for (const callsPerSecond of [0, Number.POSITIVE_INFINITY]) {
      expect(() => Baseline.fromJSON({ ...json, callsPerSecond })).toThrow(
        'callsPerSecond is not a positive number or null',
      )
    }
  })

  it('merges call rates weighted by samples, skipping the unknown ones', () => {
    const of = (seed: number, count: number, callsPerSecond: number | null) =>
      Baseline.fromSamples('op', seededLogNormal(seed, count), { callsPerSecond })
    // (100 * 10 + 300 * 20) / 400 = 17.5; the 50 samples of unknown rate weigh nothing
    const rates = [of(1, 100, 10), of(2, 300, 20), of(3, 50, null)]
    expect(Baseline.merge(rates).callsPerSecond).toBe(17.5)
    expect(Baseline.merge([of(1, 100, null), of(2, 100, null)]).callsPerSecond).toBeNull()
  })
})
