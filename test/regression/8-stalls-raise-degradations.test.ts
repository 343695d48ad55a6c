import { describe, expect, it } from 'vitest'
import type { DegradationEvent } from '../../src/index.js'
import { logNormal, seededRandom } from '../helpers/random.js'
import { nextTurn, testTracker } from '../helpers/tracker.js'

// Issue 8: log-normal latencies (median 10 ms, σ 0.5) at 1,000 calls/s, a mature baseline, then
// 100,000 healthy samples in which every 5,000th starts a stall that adds 15 to 50 ms to the
// next 20 to 50 samples, all finishing together: 20 stalls gave 20 critical "tail" alerts.
describe('process stalls', () => {
  it('raise no degradation of the operations whose calls they delayed', async () => {
    const { tracker, clock } = testTracker()
    const degradations: DegradationEvent[] = []
    tracker.on('degradation', (e) => degradations.push(e))
    const draw = logNormal(8)
    const uniform = seededRandom(88)
    for (let i = 0; i < 3000; i++) {
      clock.advance(1)
      tracker.record('db.query', draw())
    }
    expect(tracker.getOperationState('db.query')).toBe('ok')
    let stalls = 0
    for (let i = 1; i <= 100_000; i++) {
      clock.advance(1)
      tracker.record('db.query', draw())
      if (i % 5000 !== 0) continue
      stalls++
      const stallMs = 15 + 35 * uniform()
      clock.advance(stallMs) // nothing finishes while the process is stalled
      const late = 20 + Math.floor(31 * uniform())
      for (let k = 0; k < late; k++) {
        clock.advance(0.05) // then every call in flight finishes at once
        tracker.record('db.query', draw() + stallMs)
      }
    }
    await nextTurn()
    expect(stalls).toBe(20)
    expect(degradations).toEqual([])
    expect(tracker.getOperationState('db.query')).toBe('ok')
    // the same late calls spread over 200 ms are a slowdown, and are caught
    for (let k = 0; k < 200; k++) {
      clock.advance(1)
      tracker.record('db.query', draw() + 40)
    }
    expect(tracker.getOperationState('db.query')).toBe('degraded')
  })
})
