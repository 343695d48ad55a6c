import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { expect, it } from 'vitest'
import { editFile, establish, fileTracker, savedFile } from '../helpers/baseline-file.js'
import { ERROR } from '../helpers/log-sink.js'

// Issue 7: one invalid entry among 100 lost all 100 (the whole file was moved aside).
it('restores the 99 valid entries, names the invalid one and keeps it byte for byte', async () => {
  const path = await savedFile(100)
  const original = editFile(path, (file) => {
    file.baselines.op42.p95 = 'fast'
  })
  const { tracker, lines } = fileTracker(path)
  const names = tracker.getSystemSummary().trackedOperations
  expect(names).toHaveLength(99)
  expect(names).not.toContain('op42')
  const errors = lines.filter((line) => line.level === ERROR)
  expect(errors).toHaveLength(1)
  expect(errors[0]?.msg).toMatch(
    /skipped 1 invalid baseline\(s\) .*"op42" \(baseline op42: p95 is not a number/,
  )
  const kept = readdirSync(dirname(path)).filter((name) => name.startsWith('b.json.rejected-'))
  expect(kept).toHaveLength(1)
  expect(readFileSync(join(dirname(path), kept[0] as string), 'utf8')).toBe(original)
  // the next save keeps the 99 and the copy; a restart does not copy the same file twice
  establish(tracker, 'new.op')
  await tracker.close()
  expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')).baselines)).toHaveLength(100)
  expect(readdirSync(dirname(path)).filter((name) => name.includes('.rejected-'))).toEqual(kept)
})
