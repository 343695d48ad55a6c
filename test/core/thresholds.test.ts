import { describe, expect, it } from 'vitest'
import { recommendFrom, roundUpToTwoDigits } from '../../src/core/thresholds.js'

describe('roundUpToTwoDigits', () => {
  it.each([
    [123.4, 130],
    [0.873, 0.88],
    [40, 40],
    [100, 100],
    [99.1, 100],
    [1001, 1100],
    [18.45, 19],
    [0.2 * 1.5, 0.3], // 0.30000000000000004: a floating-point hair, not a step up
    [0.1 * 3, 0.3],
    [1.1 * 1.1, 1.3], // 1.2100000000000002: 1.3, since 1.21 is above 1.2
    [0.000123456, 0.00013],
    [12_345_678, 13_000_000],
    [123_456, 130_000], // 13 / 10 ** -4 would be 130000.00000000001
    [0.345, 0.35], // 35 * 10 ** -2 would be 0.35000000000000003
    [10.01, 11],
    [999.9999999999999, 1000], // Math.log10 gives 3: the mantissa is 9.99…, not 99.9…
    [0, 0],
  ])('%d → %d', (value, rounded) => {
    expect(roundUpToTwoDigits(value)).toBe(rounded)
  })
})

describe('recommendFrom', () => {
  it('keeps criticalMs at least warnMs, and proposes nothing from a p99 of 0', () => {
    // p95 30 x 1.5 = 45; p99 20 x 2 = 40 (a p99 below the p95 no baseline has): raised to 45.
    expect(recommendFrom({ p95: 30, p99: 20, sampleCount: 100 })).toEqual({
      warnMs: 45,
      criticalMs: 45,
      basedOn: { p95: 30, p99: 20, sampleCount: 100 },
    })
    expect(recommendFrom({ p95: 0, p99: 0, sampleCount: 100 })).toBeUndefined()
    expect(recommendFrom({ p95: 0, p99: 1, sampleCount: 100 })).toMatchObject({
      warnMs: 0,
      criticalMs: 2,
    })
  })
})
