import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { type StageMetric, StageTracker, type StageTrackerOptions } from '../../src/index.js'
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

const T0 = Date.parse('2026-01-01T00:00:00.000Z')

/** A metric of `item` in `stage`, starting `startMs` after T0. */
export function metric(
  item: string,
  stage: string,
  durationMs: number,
  extra: Partial<StageMetric> = {},
  startMs = 0,
): StageMetric {
  return {
    runId: 'r',
    itemId: item,
    stage,
    status: 'success',
    error: null,
    startedAt: new Date(T0 + startMs).toISOString(),
    durationMs,
    apiCalls: {},
    itemsProcessed: 0,
    attributes: {},
    ...extra,
  }
}
