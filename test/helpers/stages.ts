import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { StageTracker, type StageTrackerOptions } from '../../src/index.js'
import { manualClock } from './clock.js'
import { logSink } from './log-sink.js'
import { tempDir } from './tmp.js'
import { testTracker } from './tracker.js'

/**
 * A StageTracker as most tests want it: files in a fresh temp folder, a manual clock, a log sink,
 * and its own in-memory PerformanceTracker on the same clock.
 */
export function testStages(options: StageTrackerOptions = {}) {
  const clock = manualClock()
  const sink = logSink()
  const { tracker } = testTracker({ clock })
  const outputDir = join(tempDir(), 'runs')
  const stages = new StageTracker({
    outputDir,
    clock,
    logger: sink.logger,
    tracker,
    ...options,
  })
  return { stages, clock, lines: sink.lines, tracker, outputDir }
}

/** Every file under `folder`, relative to it, sorted. */
export function filesUnder(folder: string): string[] {
  return (
    readdirSync(folder, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[]
  )
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort()
}
