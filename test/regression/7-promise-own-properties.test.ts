import { ChildProcess, exec } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'
import { testTracker } from '../helpers/tracker.js'

// Issue 7: the promise a wrapped function returned lost the original's own properties, so
// `promisify(exec)(…).child` was undefined.
it("keeps a native promise's own properties: promisify(exec)(…).child", async () => {
  const { tracker } = testTracker({ baselineSamples: 10, windowSize: 100 })
  const pending = tracker.wrap('exec', promisify(exec))('true')
  expect(pending.child).toBeInstanceOf(ChildProcess)
  await expect(pending).resolves.toEqual({ stdout: '', stderr: '' })
  expect(tracker.getOperationStats('exec')).toMatchObject({ totalCount: 1, successRate: 1 })
})
