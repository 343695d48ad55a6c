import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { establish, fileTracker } from '../helpers/baseline-file.js'
import { tempDir } from '../helpers/tmp.js'

// Issue 7: two trackers (or processes) on one path lost half the baselines: the last writer won.
it('keeps the baselines of every tracker sharing the file', async () => {
  const path = `${tempDir()}/b.json`
  const a = fileTracker(path).tracker
  const b = fileTracker(path).tracker
  for (let i = 0; i < 20; i++) {
    establish(a, `a${i}`)
    establish(b, `b${i}`)
  }
  await Promise.all([a.flush(), b.flush()])
  establish(a, 'a.last')
  await a.close()
  await b.close()
  const names = Object.keys(JSON.parse(readFileSync(path, 'utf8')).baselines)
  expect(names).toHaveLength(41)
  // and the next start restores them all
  expect(fileTracker(path).tracker.getSystemSummary().trackedOperations).toHaveLength(41)
})

it('keeps the newer baseline when two trackers learned the same operation', async () => {
  const path = `${tempDir()}/b.json`
  const a = fileTracker(path).tracker
  const b = fileTracker(path).tracker
  establish(a, 'op', 10)
  await a.flush()
  await new Promise((resolve) => setTimeout(resolve, 2)) // a later establishedAt
  establish(b, 'op', 50)
  await b.flush()
  await a.flush()
  establish(a, 'other') // a saves again: its older baseline of op must not win
  await a.close()
  await b.close()
  // b's baseline, p50 of 50 … 59: h = 4.5, 54.5 (a's would be 14.5)
  expect(JSON.parse(readFileSync(path, 'utf8')).baselines.op.p50).toBe(54.5)
})
