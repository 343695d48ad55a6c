import {
  type BaselineEvent,
  type DegradationEvent,
  PerformanceTracker,
  type RecoveryEvent,
  type TrackerOptions,
} from '../../src/index.js'
import { manualClock } from './clock.js'
import { logSink } from './log-sink.js'
import { logNormal } from './random.js'

/**
 * A tracker as most tests want it: in memory, on a manual clock, logging into a parsed sink, and
 * maturing at `detectionSamples` whatever the clock says (`minLearningMs: 0`: tests feed a
 * sample per ms, and a 5-s learning span would be 5,000 samples). `options` override any of
 * that (a storagePath for persistence tests).
 */
export function testTracker(options: TrackerOptions = {}) {
  const clock = manualClock()
  const sink = logSink()
  const tracker = new PerformanceTracker({
    storagePath: null,
    clock,
    logger: sink.logger,
    minLearningMs: 0,
    ...options,
  })
  return { tracker, clock, lines: sink.lines }
}

/** Resolves after the work perfwatch defers with setImmediate (reports, events, refreshes). */
export const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

/**
 * `testTracker` with its degradation, recovery and baseline events collected and a `feed` that
 * records log-normal samples (median 10 ms, σ 0.5) 1 ms apart on the injected clock.
 */
export function feedingTracker(options: TrackerOptions = {}, seed = 1) {
  const { tracker, clock, lines } = testTracker(options)
  const draw = logNormal(seed)
  const events = {
    degradation: [] as DegradationEvent[],
    recovery: [] as RecoveryEvent[],
    baseline: [] as BaselineEvent[],
  }
  tracker.on('degradation', (e) => events.degradation.push(e))
  tracker.on('recovery', (e) => events.recovery.push(e))
  tracker.on('baseline', (e) => events.baseline.push(e))
  const feed = (count: number, factor = 1, name = 'db.query') => {
    for (let i = 0; i < count; i++) {
      clock.advance(1)
      tracker.record(name, factor * draw())
    }
  }
  return { tracker, clock, lines, events, feed, draw }
}
