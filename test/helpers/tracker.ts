import { PerformanceTracker, type TrackerOptions } from '../../src/index.js'
import { manualClock } from './clock.js'
import { logSink } from './log-sink.js'

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
