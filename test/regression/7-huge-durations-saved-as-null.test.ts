import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { InvalidDurationError, MAX_DURATION_MS } from '../../src/index.js'
import { fileTracker } from '../helpers/baseline-file.js'
import { tempDir } from '../helpers/tmp.js'

// Issue 7: durations >= 3.4e38 were recorded, saved as null, and the next start quarantined
// the whole file. A value that cannot be stored is refused when it is recorded.
it('refuses durations that cannot be stored, and round-trips the largest that can', async () => {
  const path = `${tempDir()}/b.json`
  const { tracker } = fileTracker(path)
  for (const huge of [3.5e38, Number.MAX_VALUE, MAX_DURATION_MS]) {
    expect(() => tracker.record('op', huge)).toThrow(InvalidDurationError)
  }
  expect(tracker.getOperationStats('op')).toBeUndefined()
  const largest = MAX_DURATION_MS - 1
  for (let i = 0; i < 10; i++) tracker.record('big', largest - i * 1e9)
  for (let i = 0; i < 10; i++) tracker.record('small', i * 1e-9)
  await tracker.close()
  expect(readFileSync(path, 'utf8')).not.toContain('null')
  const restored = fileTracker(path).tracker
  expect(restored.getOperationStats('big')?.baseline).toEqual(
    tracker.getOperationStats('big')?.baseline,
  )
  expect(restored.getOperationStats('small')?.baseline).toEqual(
    tracker.getOperationStats('small')?.baseline,
  )
})

it('drops a clock-measured duration too long to store, counted as an internal error', () => {
  const { tracker, clock } = fileTracker(`${tempDir()}/b.json`)
  const timer = tracker.startOperation('op')
  clock.advance(2 * MAX_DURATION_MS)
  expect(tracker.endOperation(timer)).toBeNaN()
  const wrapped = tracker.wrap('wrapped', () => clock.advance(2 * MAX_DURATION_MS))
  wrapped()
  expect(tracker.getOperationStats('op')?.totalCount).toBe(0)
  expect(tracker.getOperationStats('wrapped')?.totalCount).toBe(0)
  expect(tracker.getSystemSummary().internalErrors).toBe(2)
})
