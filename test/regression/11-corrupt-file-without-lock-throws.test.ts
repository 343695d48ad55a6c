import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { fileTracker } from '../helpers/baseline-file.js'
import { ERROR } from '../helpers/log-sink.js'
import { tempDir } from '../helpers/tmp.js'

// Issue 11 (found by a test written for a surviving mutant): a corrupt baseline file whose lock
// could not be created (here the lock's temporary name is too long; a read-only folder does the
// same) made `new PerformanceTracker({ storagePath })` throw instead of logging.
it('logs a corrupt file it cannot lock, leaves it in place, and starts without baselines', () => {
  // 235 characters: the file's name fits (255 at most), the lock's temporary file name does not
  const path = join(tempDir(), `${'b'.repeat(230)}.json`)
  writeFileSync(path, 'not json')
  const { tracker, lines } = fileTracker(path)
  expect(lines.filter((line) => line.level === ERROR)).toEqual([
    expect.objectContaining({
      code: 'PERFWATCH_BASELINE_FILE',
      msg: expect.stringMatching(/will be moved aside before the next save/),
    }),
  ])
  expect(readFileSync(path, 'utf8')).toBe('not json')
  tracker.record('op', 5)
  expect(tracker.getOperationStats('op')?.sampleCount).toBe(1)
})
