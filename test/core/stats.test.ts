import { describe, expect, it } from 'vitest'
import { mean, quantileSorted, standardDeviation, summarize } from '../../src/core/stats.js'

describe('quantileSorted', () => {
  it('returns observed values by nearest rank, never interpolating', () => {
    const sorted = [1, 2, 3, 4, 100]
    expect(quantileSorted(sorted, 0.5)).toBe(3) // rank ceil(2.5) = 3
    expect(quantileSorted(sorted, 0.75)).toBe(4) // rank ceil(3.75) = 4, not an interpolated 28
    expect(quantileSorted(sorted, 0.95)).toBe(100)
    expect(quantileSorted(sorted, 0)).toBe(1)
    expect(quantileSorted(sorted, 1)).toBe(100)
  })

  it('reports the tie value on tie-heavy data', () => {
    const sorted = [...Array<number>(1000).fill(5), ...Array<number>(10).fill(100)]
    expect(quantileSorted(sorted, 0.95)).toBe(5)
    expect(quantileSorted(sorted, 0.99)).toBe(5) // rank 1000 of 1010 is the last 5
  })

  it('is NaN for no values', () => {
    expect(quantileSorted([], 0.5)).toBeNaN()
  })
})

describe('mean and standardDeviation', () => {
  it('computes the sample standard deviation exactly', () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9]
    expect(mean(values)).toBe(5)
    // sum of squared deviations 32, n - 1 = 7
    expect(standardDeviation(values)).toBeCloseTo(Math.sqrt(32 / 7), 12)
    expect(standardDeviation([3])).toBe(0)
    expect(standardDeviation([1, 3])).toBe(Math.SQRT2)
    expect(mean([])).toBeNaN()
  })

  it('summarize sorts in place and reports min, max and quantiles', () => {
    const values = Float64Array.from([100, 4, 1, 3, 2])
    const s = summarize(values)
    expect([...values]).toEqual([1, 2, 3, 4, 100])
    expect(s).toMatchObject({ min: 1, max: 100, p50: 3, p75: 4, p95: 100, p99: 100, mean: 22 })
  })

  it('summarize reports no values as NaN, with a standard deviation of 0', () => {
    const s = summarize(new Float64Array(0))
    for (const value of [s.min, s.max, s.mean, s.p50, s.p99]) expect(value).toBeNaN()
    expect(s.stdDev).toBe(0)
  })
})
