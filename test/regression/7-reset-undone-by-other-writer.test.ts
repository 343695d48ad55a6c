import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { establish, fileTracker } from '../helpers/baseline-file.js'
import { tempDir } from '../helpers/tmp.js'
import { nextTurn } from '../helpers/tracker.js'

// Issue 7: a resetBaseline in one tracker was undone by another's next save.
it('keeps a reset: the other writer drops its old baseline too', async () => {
  const path = `${tempDir()}/b.json`
  const a = fileTracker(path)
  establish(a.tracker, 'op', 10)
  await a.tracker.flush()
  const b = fileTracker(path)
  // p50 of 10 … 19: h = 9 · 0.5 = 4.5, 14 + 0.5 · 1 = 14.5
  expect(b.tracker.getOperationStats('op')?.baseline?.p50).toBe(14.5)
  a.tracker.resetBaseline('op')
  await a.tracker.flush()
  establish(b.tracker, 'other') // b saves: it finds the reset and takes it
  await b.tracker.flush()
  await nextTurn()
  expect(JSON.parse(readFileSync(path, 'utf8')).resets).toHaveProperty('op')
  expect(b.tracker.getOperationState('op')).toBe('learning')
  expect(b.tracker.getOperationStats('op')?.baseline).toBeUndefined()
  expect(b.lines.map((line) => line.msg)).toContain(
    'Baseline of op reset by another tracker writing the same baseline file; learning a new one',
  )
  // a baseline learned after the reset replaces the tombstone; the file keeps it when a saves
  establish(b.tracker, 'op', 30)
  await b.tracker.flush()
  establish(a.tracker, 'another')
  await a.tracker.close()
  await b.tracker.close()
  const file = JSON.parse(readFileSync(path, 'utf8'))
  expect(file.resets).toEqual({})
  expect(file.baselines.op.p50).toBe(34.5) // p50 of 30 … 39
})

it('hands a baseline accepted in one tracker to the other', async () => {
  const path = `${tempDir()}/b.json`
  const a = fileTracker(path)
  const b = fileTracker(path)
  establish(a.tracker, 'op', 10)
  establish(b.tracker, 'op', 10)
  await Promise.all([a.tracker.flush(), b.tracker.flush()])
  establish(a.tracker, 'op', 100) // slower for good, by design
  a.tracker.acceptCurrentAsBaseline('op')
  await a.tracker.flush()
  establish(b.tracker, 'other')
  await b.tracker.close()
  await a.tracker.close()
  expect(b.tracker.getOperationStats('op')?.baseline).toEqual(
    a.tracker.getOperationStats('op')?.baseline,
  )
})
