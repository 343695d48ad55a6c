import { describe, expect, it } from 'vitest'
import { type Logger, PerformanceTracker } from '../../src/index.js'
import { faultyClock } from '../helpers/clock.js'
import { logNormal } from '../helpers/random.js'
import { nextTurn } from '../helpers/tracker.js'

// Issue 7, item 10: the per-sample warning and the transition reports run inside
// Operation.record, so a failing logger or clock there reached the caller of record.
function drive(tracker: PerformanceTracker) {
  const draw = logNormal(1)
  const phases: Array<[number, number]> = [
    [3000, 1],
    [2000, 1.8],
    [3000, 1],
  ]
  const states: string[] = []
  for (const [count, factor] of phases) {
    for (let i = 0; i < count; i++) tracker.record('db.query', factor * draw())
    states.push(tracker.getOperationState('db.query') as string)
  }
  return states
}

describe('reports made while recording', () => {
  it('never pass a logger failure to the caller', async () => {
    const fail = () => {
      throw new Error('logger broke')
    }
    const logger: Logger = { info: fail, warn: fail, error: fail }
    const clock = faultyClock()
    clock.stepMs = 1 // 1,000 calls/s
    const tracker = new PerformanceTracker({
      storagePath: null,
      logger,
      clock,
      recoveryHoldMs: 0,
      minLearningMs: 0,
    })
    tracker.on('degradation', fail).on('recovery', fail).on('baseline', fail)
    expect(drive(tracker)).toEqual(['ok', 'degraded', 'ok'])
    await nextTurn()
    expect(tracker.getOperationStats('db.query')?.totalCount).toBe(8000)
    expect(tracker.getSystemSummary().internalErrors).toBeGreaterThan(4)
  })

  it('never pass a clock failure to the caller', () => {
    const clock = faultyClock()
    clock.failAlways('throw')
    const logger: Logger = { info() {}, warn() {}, error() {} }
    const tracker = new PerformanceTracker({ storagePath: null, logger, clock })
    expect(drive(tracker)).toEqual(['ok', 'degraded', 'ok'])
    expect(tracker.getSystemSummary().internalErrors).toBeGreaterThan(0)
  })
})
