import { describe, expect, it } from 'vitest'
import { cdfOfCentroids, centroidsOf, digestOfSamples, ksDistance } from '../../src/core/digest.js'

describe('digestOfSamples', () => {
  // The samples are visited in a stride order; a stride that is a multiple of their count would
  // visit the first sample only. 7919 and 7907 are the two strides.
  it.each([7919, 7907, 1000])('digests every one of %i sorted samples', (count) => {
    const samples = Float64Array.from({ length: count }, (_, i) => i + 1)
    const digest = digestOfSamples(samples)
    expect(digest.toArray().reduce((sum, c) => sum + c.n, 0)).toBe(count)
    expect(digest.percentile(0)).toBe(1)
    expect(digest.percentile(1)).toBe(count)
    expect(Math.abs((digest.percentile(0.5) as number) / (count / 2) - 1)).toBeLessThan(0.01)
  })
})

describe('cdfOfCentroids', () => {
  // [1, 1, 2, 2, 4, 1]: N = 4, points (1, 0.125), (2, 0.5), (4, 0.875)
  const centroids = [1, 1, 2, 2, 4, 1]

  it('is 0 below the first mean and 1 above the last', () => {
    expect(cdfOfCentroids(centroids, 0.999)).toBe(0)
    expect(cdfOfCentroids(centroids, 4.001)).toBe(1)
  })

  it('passes through (mean, count before + count / 2) of each centroid', () => {
    expect(cdfOfCentroids(centroids, 1)).toBe(0.125)
    expect(cdfOfCentroids(centroids, 2)).toBe(0.5)
    expect(cdfOfCentroids(centroids, 4)).toBe(0.875)
  })

  it('is linear between them', () => {
    expect(cdfOfCentroids(centroids, 1.5)).toBe(0.3125)
    expect(cdfOfCentroids(centroids, 3)).toBe(0.6875)
    expect(cdfOfCentroids(centroids, 3.5)).toBe(0.78125)
  })

  it('takes the last of centroids with equal means', () => {
    // [5, 1, 5, 1, 6, 2]: N = 4, points (5, 0.125), (5, 0.375), (6, 0.75)
    expect(cdfOfCentroids([5, 1, 5, 1, 6, 2], 5)).toBe(0.375)
    expect(cdfOfCentroids([5, 1, 5, 1, 6, 2], 5.5)).toBe(0.5625)
  })

  it('has one step for one centroid', () => {
    expect(cdfOfCentroids([7, 10], 6.9)).toBe(0)
    expect(cdfOfCentroids([7, 10], 7)).toBe(0.5)
    expect(cdfOfCentroids([7, 10], 7.1)).toBe(1)
  })
})

describe('ksDistance', () => {
  it('is the largest CDF gap over both digests’ points', () => {
    // a: points (1, 0.125), (2, 0.5), (4, 0.875); b = [2, 2, 3, 2]: points (2, 0.25), (3, 0.75).
    // Gaps: x = 1: 0.125; x = 2: 0.25; x = 3: 0.6875 vs 0.75, 0.0625; x = 4: 0.875 vs 1, 0.125
    expect(ksDistance([1, 1, 2, 2, 4, 1], [2, 2, 3, 2])).toBe(0.25)
    expect(ksDistance([2, 2, 3, 2], [1, 1, 2, 2, 4, 1])).toBe(0.25)
  })

  it('finds the gap at a point of the second digest only', () => {
    // a: (0, 0.25), (10, 0.75); b: (5, 0.5). At x = 5: 0.5 vs 0.5; at 0: 0.25 vs 0; at 10: 0.75 vs 1
    expect(ksDistance([0, 1, 10, 1], [5, 2])).toBe(0.25)
    // a: (0, 0.5); b: (1, 0.05), (2, 0.15), (3, 0.45), (4, 0.75), (5, 0.9): largest at x = 1,
    // a point of b only, where a is already 1
    expect(ksDistance([0, 4], [1, 1, 2, 1, 3, 5, 4, 1, 5, 2])).toBeCloseTo(0.95, 12)
  })

  it('is 0 for the same digest and close to 1 for disjoint ones', () => {
    const a = centroidsOf(digestOfSamples(Float64Array.from({ length: 500 }, (_, i) => i)))
    expect(ksDistance(a, a)).toBe(0)
    const b = centroidsOf(digestOfSamples(Float64Array.from({ length: 500 }, (_, i) => 1000 + i)))
    expect(ksDistance(a, b)).toBeGreaterThan(0.99)
    expect(ksDistance(a, b)).toBeLessThanOrEqual(1)
  })
})
