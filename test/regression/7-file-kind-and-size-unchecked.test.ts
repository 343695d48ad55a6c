import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { establish, fileTracker, savedFile } from '../helpers/baseline-file.js'
import { ERROR } from '../helpers/log-sink.js'
import { tempDir } from '../helpers/tmp.js'

// Issue 7: a FIFO at the path blocked the constructor forever; files of any size were read.
it.skipIf(process.platform === 'win32')('refuses a FIFO at once and leaves it alone', async () => {
  const dir = tempDir()
  const path = join(dir, 'b.json')
  execFileSync('mkfifo', [path])
  const { tracker, lines } = fileTracker(path)
  expect(lines.filter((line) => line.level === ERROR).map((line) => line.msg)).toEqual([
    expect.stringMatching(/is not a regular file\); it is left alone/),
  ])
  establish(tracker, 'op')
  await tracker.close()
  expect(readdirSync(dir)).toEqual(['b.json'])
})

it('leaves a file over maxFileBytes alone, and saves once it is gone', async () => {
  const path = await savedFile(20)
  const text = readFileSync(path, 'utf8')
  const { tracker, lines } = fileTracker(path, { maxFileBytes: 4096 })
  expect(text.length).toBeGreaterThan(4096)
  expect(tracker.getSystemSummary().trackedOperations).toEqual([])
  expect(lines[0]?.msg).toMatch(/is \d+ bytes, more than maxFileBytes \(4096\)\); it is left alone/)
  establish(tracker, 'op')
  await tracker.flush()
  expect(readFileSync(path, 'utf8')).toBe(text)
  writeFileSync(path, '') // the operator truncates it: now it is a corrupt file, moved aside
  await tracker.close()
  expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')).baselines)).toEqual(['op'])
})
