import { describe, expect, it } from 'vitest'
import { linearFit, mannWhitneyU, normalCdf } from '../../src/core/stats.js'

describe('linearFit (ordinary least squares)', () => {
  it('fits the textbook example as scipy.stats.linregress does', () => {
    // x̄ = 3, ȳ = 4, Sxx = 10, Sxy = 6; scipy: slope 0.6, intercept 2.2, stderr 0.28284271247461895
    const fit = linearFit([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])
    expect(fit.slope).toBeCloseTo(0.6, 12)
    expect(fit.intercept).toBeCloseTo(2.2, 12)
    expect(fit.slopeStandardError).toBeCloseTo(0.28284271247461895, 12)
  })

  it('gives an exact line a zero standard error, and NaN where no line or error exists', () => {
    const exact = linearFit([0, 10, 20], [5, 25, 45])
    expect(exact).toEqual({ slope: 2, intercept: 5, slopeStandardError: 0 })
    expect(linearFit([1, 2], [3, 5]).slopeStandardError).toBeNaN()
    // two points whose residuals round to a hair above 0 (4.5e-32): no error, not Infinity
    expect(linearFit([0.1, 0.7], [0.3, 0.9]).slopeStandardError).toBeNaN()
    expect(linearFit([1, 2], [3, 5]).slope).toBe(2)
    expect(linearFit([4, 4, 4], [1, 2, 3]).slope).toBeNaN()
  })
})

describe('mannWhitneyU (normal approximation, tie and continuity corrections)', () => {
  it('separates two disjoint samples as scipy does', () => {
    // scipy.stats.mannwhitneyu([1..5], [6..10], method='asymptotic'): U 0, p 0.012185780355344813
    const result = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
    expect(result.u).toBe(0)
    expect(result.z).toBeCloseTo(-12 / Math.sqrt(22.916666666666668), 9)
    expect(result.pValue).toBeCloseTo(0.012185780355344813, 6)
    const reversed = mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
    expect(reversed.u).toBe(25)
    expect(reversed.z).toBeCloseTo(12 / Math.sqrt(22.916666666666668), 9)
  })

  it('corrects for ties with midranks', () => {
    // scipy: mannwhitneyu([1,2,2,3,3,3,4,8], [2,3,4,4,5,5,6,7,9], method='asymptotic')
    // gives U 16.5, p 0.06432219850692031
    const result = mannWhitneyU([1, 2, 2, 3, 3, 3, 4, 8], [2, 3, 4, 4, 5, 5, 6, 7, 9])
    expect(result.u).toBe(16.5)
    expect(result.pValue).toBeCloseTo(0.06432219850692031, 6)
  })

  it('says nothing differs when every value is tied, or when U sits at its mean', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5, 5])).toEqual({ u: 4.5, z: 0, pValue: 1 })
    // U = 2 = μ: |U − μ| − 0.5 is clamped at 0, so z = 0 and p = 1
    const centred = mannWhitneyU([1, 4], [2, 3])
    expect(centred.u).toBe(2)
    expect(centred.z).toBe(0)
    expect(centred.pValue).toBeCloseTo(1, 6)
  })
})

describe('normalCdf', () => {
  it('matches the normal distribution to 1e-6', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6)
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 6)
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 6)
  })
})
