import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { fileTracker } from '../helpers/baseline-file.js'
import { tempDir } from '../helpers/tmp.js'

// Issue 7: 497 of 1,000 back-to-back quarantines were lost to same-millisecond names.
it('keeps every file it moves aside, even many in one millisecond', () => {
  const dir = tempDir()
  const path = join(dir, 'b.json')
  for (let i = 0; i < 1000; i++) {
    writeFileSync(path, `not json ${i}`)
    fileTracker(path)
  }
  const aside = readdirSync(dir).filter((name) => name.startsWith('b.json.corrupt-'))
  expect(aside).toHaveLength(1000)
  const contents = new Set(aside.map((name) => readFileSync(join(dir, name), 'utf8')))
  expect(contents.size).toBe(1000)
}, 30_000) // 1,000 synchronous loads: 1.5 s alone, over 5 s on a busy 2-core machine
