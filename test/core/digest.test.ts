import { describe, expect, it } from 'vitest'
import { digestOfSamples } from '../../src/core/digest.js'

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
