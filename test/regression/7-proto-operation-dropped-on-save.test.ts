import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { establish, fileTracker } from '../helpers/baseline-file.js'
import { tempDir } from '../helpers/tmp.js'

// Issue 7: the operation named __proto__ was dropped on save.
it('saves and restores the operation named __proto__', async () => {
  const path = `${tempDir()}/b.json`
  const { tracker } = fileTracker(path)
  establish(tracker, '__proto__')
  establish(tracker, 'constructor')
  await tracker.close()
  const file = JSON.parse(readFileSync(path, 'utf8'))
  expect(Object.keys(file.baselines)).toEqual(['__proto__', 'constructor'])
  const restored = fileTracker(path).tracker
  expect(restored.getOperationStats('__proto__')?.baseline).toEqual(
    tracker.getOperationStats('__proto__')?.baseline,
  )
})
