import { describe, expect, it } from 'vitest'
import {
  kolmogorovSurvival,
  mean,
  quantileSorted,
  standardDeviation,
  summarize,
} from '../../src/core/stats.js'

describe('quantileSorted (R-7: linear interpolation between order statistics)', () => {
  const oneToFifty = Array.from({ length: 50 }, (_, i) => i + 1)

  it('gives the median, p95 and p99 of 1..50 as numpy, R and Excel do', () => {
    // h = (n - 1) p = 49 p; result x[floor(h)] + frac(h) (x[floor(h) + 1] - x[floor(h)]), x[i] = i + 1
    expect(quantileSorted(oneToFifty, 0.5)).toBe(25.5) // h = 24.5: 25 + 0.5 * 1
    expect(quantileSorted(oneToFifty, 0.95)).toBe(47.55) // h = 46.55: 47 + 0.55 * 1 (not 47.75, not 48)
    expect(quantileSorted(oneToFifty, 0.99)).toBe(49.51) // h = 48.51: 49 + 0.51 * 1
    expect(quantileSorted(oneToFifty, 0.75)).toBe(37.75) // h = 36.75: 37 + 0.75 * 1
  })

  it('interpolates [1, 2, 3, 4, 100]', () => {
    const sorted = [1, 2, 3, 4, 100]
    // h = 4 p
    expect(quantileSorted(sorted, 0.5)).toBe(3) // h = 2: x[2] exactly
    expect(quantileSorted(sorted, 0.75)).toBe(4) // h = 3: x[3] exactly
    // h = 3.8: 4 + 0.8 * 96 = 80.8 (80.79999999999998 in floating point, numpy's value too)
    expect(quantileSorted(sorted, 0.95)).toBeCloseTo(80.8, 12)
    // h = 3.96: 4 + 0.96 * 96 = 96.16
    expect(quantileSorted(sorted, 0.99)).toBeCloseTo(96.16, 12)
    expect(quantileSorted(sorted, 0.25)).toBe(2) // h = 1
    expect(quantileSorted(sorted, 0.6)).toBeCloseTo(3.4, 12) // h = 2.4: 3 + 0.4 * 1
  })

  it('reports the tied value exactly on tie-heavy data', () => {
    // x[0..999] = 5, x[1000..1009] = 100, n - 1 = 1009
    const sorted = [...Array<number>(1000).fill(5), ...Array<number>(10).fill(100)]
    expect(quantileSorted(sorted, 0.95)).toBe(5) // h = 958.55, between x[958] = x[959] = 5
    expect(quantileSorted(sorted, 0.99)).toBe(5) // h = 998.91, between x[998] = x[999] = 5
    // h = 1009 * 0.9905 = 999.4145, between x[999] = 5 and x[1000] = 100: 5 + 0.4145 * 95
    expect(quantileSorted(sorted, 0.9905)).toBeCloseTo(44.3775, 9)
    expect(quantileSorted(sorted, 0.999)).toBe(100) // h = 1007.991, between two 100s
    // A constant sample gives the constant at every p; a weighted average (1 - f) 4.7 + f 4.7
    // would not (at p = 0.004, h = 4.036, it is 4.699999999999999)
    const constant = Array<number>(1010).fill(4.7)
    for (let k = 0; k <= 1000; k++) expect(quantileSorted(constant, k / 1000)).toBe(4.7)
  })

  it('does not fall a hair below a tied value when (n - 1) p rounds below a whole number', () => {
    // 3000 * 0.009 is 26.999999999999996 in floating point, exactly 27 in decimal: x[27]
    expect(3000 * 0.009).toBeLessThan(27)
    const sorted = Array.from({ length: 3001 }, (_, i) => (i < 27 ? 1 : 2))
    expect(quantileSorted(sorted, 0.009)).toBe(2)
  })

  it('gives an infinite value between two infinite neighbours, not NaN (∞ - ∞)', () => {
    const inf = Number.POSITIVE_INFINITY
    const sorted = [1, inf, inf]
    expect(quantileSorted(sorted, 0)).toBe(1) // h = 0: x[0], not 1 + 0 · ∞ (NaN)
    expect(quantileSorted(sorted, 0.25)).toBe(inf) // h = 0.5: 1 + 0.5 · ∞
    expect(quantileSorted(sorted, 0.75)).toBe(inf) // h = 1.5, between x[1] = x[2] = ∞
    expect(quantileSorted(sorted, 1)).toBe(inf)
  })

  it('returns the value of a single value, and NaN for no values or a NaN p', () => {
    for (const p of [0, 0.3, 0.5, 0.99, 1]) expect(quantileSorted([7.25], p)).toBe(7.25)
    expect(quantileSorted([], 0.5)).toBeNaN()
    expect(quantileSorted([], 0)).toBeNaN()
    expect(quantileSorted([1, 2], Number.NaN)).toBeNaN()
  })

  it('gives the minimum at p = 0 and the maximum at p = 1, exactly, and clamps p to [0, 1]', () => {
    const sorted = [0.1, 0.2, 0.30000000000000004, 1e-9 + 7, 123.456789]
    expect(quantileSorted(sorted, 0)).toBe(0.1)
    expect(quantileSorted(sorted, 1)).toBe(123.456789)
    expect(quantileSorted(sorted, -0.5)).toBe(0.1)
    expect(quantileSorted(sorted, 1.5)).toBe(123.456789)
    expect(quantileSorted(oneToFifty, 0)).toBe(1)
    expect(quantileSorted(oneToFifty, 1)).toBe(50)
  })

  it('agrees with exact rational arithmetic and is non-decreasing in p', () => {
    // Integer durations with ties and gaps, and p = k / 1000: h = (n - 1) k / 1000 exactly, so
    // the expected value is x[i] + (r / 1000) (x[i + 1] - x[i]) with i, r = divmod((n - 1) k, 1000).
    let seed = 7
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed / 2147483648
    }
    for (const n of [2, 3, 10, 101, 1000, 3001]) {
      const sorted = Array.from({ length: n }, () => Math.floor(next() ** 3 * 40)).sort(
        (a, b) => a - b,
      )
      let previous = Number.NEGATIVE_INFINITY
      for (let k = 0; k <= 1000; k++) {
        const value = quantileSorted(sorted, k / 1000)
        const i = Math.floor(((n - 1) * k) / 1000)
        const r = ((n - 1) * k) % 1000
        const low = sorted[i] as number
        const expected = r === 0 ? low : low + (r / 1000) * ((sorted[i + 1] as number) - low)
        if (r === 0 || low === sorted[i + 1]) expect(value).toBe(expected)
        else expect(value).toBeCloseTo(expected, 9)
        expect(value).toBeGreaterThanOrEqual(previous)
        previous = value
      }
      expect(previous).toBe(sorted[n - 1])
    }
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
    // R-7 on [1, 2, 3, 4, 100], h = 4 p: p95 = 4 + 0.8 * 96, p99 = 4 + 0.96 * 96 (were 100 and
    // 100 by nearest rank)
    expect(s).toMatchObject({ min: 1, max: 100, p50: 3, p75: 4, mean: 22 })
    expect(s.p95).toBeCloseTo(80.8, 12)
    expect(s.p99).toBeCloseTo(96.16, 12)
  })

  it('summarize reports no values as NaN, with a standard deviation of 0', () => {
    const s = summarize(new Float64Array(0))
    for (const value of [s.min, s.max, s.mean, s.p50, s.p99]) expect(value).toBeNaN()
    expect(s.stdDev).toBe(0)
  })
})

describe('kolmogorovSurvival (the Kolmogorov distribution, scipy.stats.kstwobign.sf)', () => {
  it('gives scipy kstwobign.sf values on both series', () => {
    // scipy 1.x: kstwobign.sf(x), printed with repr
    expect(kolmogorovSurvival(0.2)).toBe(0.999999999999495)
    expect(kolmogorovSurvival(0.5)).toBe(0.9639452436648751)
    expect(kolmogorovSurvival(0.75)).toBeCloseTo(0.6271670417762616, 15)
    // 0.2808738392255489 in scipy: within 1e-15 (two terms fewer would be 5e-14 off)
    expect(Math.abs(kolmogorovSurvival(0.99) - 0.2808738392255489)).toBeLessThan(1e-15)
    expect(kolmogorovSurvival(1)).toBe(0.26999967167735456)
    expect(kolmogorovSurvival(2)).toBe(0.0006709252557796953)
    expect(kolmogorovSurvival(3)).toBe(3.045995948942526e-8)
  })

  it('gives the critical values of the Smirnov tables', () => {
    expect(kolmogorovSurvival(1.2238)).toBeCloseTo(0.1, 4) // 10 %
    expect(kolmogorovSurvival(1.3581)).toBe(0.0499996304316674) // 5 %
    expect(kolmogorovSurvival(1.6276)).toBe(0.010001537333060776) // 1 %
  })

  it('is 1 at and below 0, NaN for NaN, and falls steadily', () => {
    expect(kolmogorovSurvival(0)).toBe(1)
    expect(kolmogorovSurvival(-1)).toBe(1)
    expect(kolmogorovSurvival(Number.NaN)).toBeNaN()
    expect(kolmogorovSurvival(0.05)).toBe(1)
    let previous = 1
    for (let x = 0.3; x < 4; x += 0.01) {
      const p = kolmogorovSurvival(x)
      expect(p).toBeLessThan(previous)
      previous = p
    }
  })
})
