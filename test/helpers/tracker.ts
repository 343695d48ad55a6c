import { PerformanceTracker, type TrackerOptions } from '../../src/index.js'
import { manualClock } from './clock.js'
import { logSink } from './log-sink.js'

/**
 * A tracker as most tests want it: in memory, on a manual clock, logging into a parsed sink.
 * `options` override any of that (a storagePath for persistence tests).
 */
export function testTracker(options: TrackerOptions = {}) {
  const clock = manualClock()
  const sink = logSink()
  const tracker = new PerformanceTracker({
    storagePath: null,
    clock,
    logger: sink.logger,
    ...options,
  })
  return { tracker, clock, lines: sink.lines }
}

/** Resolves after the work perfwatch defers with setImmediate (reports, events, refreshes). */
export const nextTurn = () => new Promise((resolve) => setImmediate(resolve))
