import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { establish, fileTracker, savedFile } from '../helpers/baseline-file.js'

// Issue 7: maxOperations did not hold for restored baselines (608,515 operations restored from
// a 200 MB file). At most maxOperations are restored; the others stay in the file.
it('restores at most maxOperations baselines and keeps the others in the file', async () => {
  const path = await savedFile(50)
  const { tracker } = fileTracker(path, { maxOperations: 10 })
  expect(tracker.getSystemSummary().trackedOperations).toHaveLength(10)
  establish(tracker, 'op0', 100) // no change: op0 has its baseline already
  tracker.resetBaseline('op1')
  await tracker.close()
  const file = JSON.parse(readFileSync(path, 'utf8'))
  expect(Object.keys(file.baselines)).toHaveLength(49)
  expect(Object.keys(file.resets)).toEqual(['op1'])
})
