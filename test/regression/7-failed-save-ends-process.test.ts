import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, expect, it, vi } from 'vitest'
import { PerformanceTracker } from '../../src/index.js'
import { establish } from '../helpers/baseline-file.js'
import { tempDir } from '../helpers/tmp.js'

afterEach(() => {
  vi.useRealTimers()
})

// Issue 7: a logger whose error() throws plus one failed save ended the process (an unhandled
// rejection), and every later save failed even after the disk was fixed.
it('survives a failed save with a throwing logger, then saves by itself once the disk is fixed', async () => {
  const dir = tempDir()
  const path = join(dir, 'sub', 'b.json')
  const throwing = () => {
    throw new Error('logger down')
  }
  const tracker = new PerformanceTracker({
    storagePath: path,
    baselineSamples: 10,
    saveDelayMs: 0,
    logger: {
      info: throwing,
      warn: throwing,
      error: throwing,
      isLevelEnabled: () => true,
    } as never,
  })
  writeFileSync(join(dir, 'sub'), 'x') // the folder to create is a file: saving fails
  establish(tracker, 'op')
  await tracker.flush() // vitest fails the run on an unhandled rejection
  rmSync(join(dir, 'sub'))
  mkdirSync(join(dir, 'sub'))
  // no new change and no flush: the retry (after 1 s) saves it
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
  await vi.advanceTimersByTimeAsync(1000)
  vi.useRealTimers()
  await tracker.flush()
  expect(JSON.parse(readFileSync(path, 'utf8')).baselines.op).toBeDefined()
})
