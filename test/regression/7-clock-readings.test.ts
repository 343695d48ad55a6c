import { describe, expect, it } from 'vitest'
import { PerformanceTracker } from '../../src/index.js'
import { type ClockFault, faultyClock } from '../helpers/clock.js'
import { logSink } from '../helpers/log-sink.js'

// Issue 7, item 2: a throwing clock made startOperation throw (200 of 200 calls); one Infinity
// reading was recorded as a duration and the baseline built from it threw an uncoded TypeError.
function setup() {
  const clock = faultyClock()
  const tracker = new PerformanceTracker({
    storagePath: null,
    clock,
    logger: logSink().logger,
    minLearningMs: 0,
  })
  return { tracker, clock }
}

describe('bad clock readings are dropped and counted, never thrown', () => {
  it('startOperation with a throwing clock returns a timer whose end records nothing', () => {
    const { tracker, clock } = setup()
    clock.failAlways('throw')
    const ids = Array.from({ length: 200 }, () => tracker.startOperation('op'))
    clock.failAlways(null)
    for (const id of ids) expect(tracker.endOperation(id)).toBeNaN()
    expect(tracker.getOperationStats('op')?.totalCount).toBe(0)
    expect(tracker.getSystemSummary().internalErrors).toBe(200)
  })

  it.each<ClockFault>(['throw', 'NaN', 'Infinity', 'backwards'])(
    'endOperation drops a %s end reading and returns NaN',
    (fault) => {
      const { tracker, clock } = setup()
      clock.stepMs = 5
      const id = tracker.startOperation('op')
      clock.failNext(fault)
      expect(tracker.endOperation(id)).toBeNaN()
      expect(tracker.getOperationStats('op')?.totalCount).toBe(0)
      expect(tracker.getSystemSummary().internalErrors).toBe(1)
    },
  )

  it.each<ClockFault>(['NaN', 'Infinity'])('endOperation drops a %s start reading', (fault) => {
    const { tracker, clock } = setup()
    clock.failNext(fault)
    const id = tracker.startOperation('op')
    expect(tracker.endOperation(id)).toBeNaN()
    expect(tracker.getOperationStats('op')?.totalCount).toBe(0)
    expect(tracker.getSystemSummary().internalErrors).toBe(1)
  })

  it.each(['wrap', 'startOperation'])(
    'one Infinity reading does not keep %s from its baseline',
    (path) => {
      const { tracker, clock } = setup()
      clock.stepMs = 2
      const timed = tracker.wrap('op', () => 1)
      const call = () => {
        if (path === 'wrap') return timed()
        return tracker.endOperation(tracker.startOperation('op'))
      }
      for (let i = 0; i < 1200; i++) {
        if (i === 50 || i === 700) clock.failNext('Infinity', 1) // the end reading
        expect(() => call()).not.toThrow()
      }
      const stats = tracker.getOperationStats('op')
      expect(stats?.totalCount).toBe(1198)
      expect(stats?.recentMax).toBe(2)
      expect(stats?.state).toBe('ok')
      expect(stats?.baseline?.sampleCount).toBe(1000)
      expect(tracker.getSystemSummary().internalErrors).toBe(2)
    },
  )
})
