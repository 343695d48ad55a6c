import { describe, expect, it } from 'vitest'
import {
  allDurations,
  isFailure,
  newestSuccesses,
  successfulDurations,
} from '../../src/core/window.js'

// capacity 4 after six samples s1..s6 = 1..6 where s5 failed: [-s5, s6, s3, s4], head 2
const ring = Float64Array.of(-5, 6, 3, 4)

describe('the window ring', () => {
  it('stores failures negated, a 0 ms failure as -0', () => {
    expect([isFailure(-5), isFailure(-0), isFailure(0), isFailure(3)]).toEqual([
      true,
      true,
      false,
      false,
    ])
  })

  it('reads every duration with the count of successes', () => {
    const { values, successes } = allDurations(ring, 4)
    expect([...values]).toEqual([5, 6, 3, 4])
    expect(successes).toBe(3)
  })

  it('reads the newest samples from head backwards, skipping failures', () => {
    expect([...newestSuccesses(ring, 2, 4, 2).values]).toEqual([6]) // s6, then s5 failed
    expect(newestSuccesses(ring, 2, 4, 2).sampleCount).toBe(2)
    expect([...newestSuccesses(ring, 2, 4, 10).values]).toEqual([6, 4, 3])
    expect(newestSuccesses(ring, 2, 4, 10).sampleCount).toBe(4)
  })

  it('reads a window that is not full yet from its start', () => {
    const partial = Float64Array.of(1, -0, 3, 0)
    expect([...successfulDurations(partial, 3)]).toEqual([1, 3])
    expect([...newestSuccesses(partial, 3, 3, 2).values]).toEqual([3])
  })
})
