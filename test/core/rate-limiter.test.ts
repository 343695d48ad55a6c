import { describe, expect, it } from 'vitest'
import { RateLimiter } from '../../src/core/rate-limiter.js'

describe('RateLimiter', () => {
  it('lets one event through per interval and counts the ones held back', () => {
    const limiter = new RateLimiter(1000)
    expect(limiter.take(0)).toBe(0)
    expect(limiter.take(1)).toBe(-1)
    expect(limiter.take(999)).toBe(-1)
    // exactly one interval later: let through, with the two held back
    expect(limiter.take(1000)).toBe(2)
    expect(limiter.take(1500)).toBe(-1)
    expect(limiter.drain()).toBe(1)
    expect(limiter.take(2000)).toBe(0)
  })

  it('holds an event back when the clock failed (NaN)', () => {
    const limiter = new RateLimiter(1000)
    expect(limiter.take(Number.NaN)).toBe(-1)
    expect(limiter.take(0)).toBe(1)
  })
})
