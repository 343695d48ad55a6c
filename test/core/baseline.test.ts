import { describe, expect, it } from 'vitest'
import { quantileSorted } from '../../src/core/stats.js'
import { Baseline } from '../../src/index.js'
import { logNormal } from '../helpers/random.js'

function seededLogNormal(seed: number, count: number): Float64Array {
  return Float64Array.from({ length: count }, logNormal(seed))
}

describe('Baseline.fromSamples', () => {
  it('uses exact order statistics on small samples', () => {
    const baseline = Baseline.fromSamples('op', Float64Array.from([1, 2, 3, 4, 100]))
    expect(baseline).toMatchObject({ p50: 3, p75: 4, p95: 100, p99: 100, mean: 22, sampleCount: 5 })
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
  // p95 = 100 and mean + 2 * stdDev is far above it: only the p95 rule can fire
  const wide = Baseline.fromSamples('op', Float64Array.from([1, 2, 3, 4, 100]))

  it('flags durations above p95', () => {
    expect(wide.isDegraded(100)).toBe(false)
    expect(wide.isDegraded(100.5)).toBe(true)
    expect(wide.degradationRule(100.5)).toBe('p95')
  })

  it('flags durations above mean + stdDevThreshold * stdDev even below p95', () => {
    // 94 samples of 10 and 6 of 30: p95 (rank 95) is 30, mean 11.2, stdDev sqrt(2256 / 99) = 4.77
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
      p50: 2,
      p75: 3,
      p95: 4,
      p99: 4,
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
