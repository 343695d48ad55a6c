import { execFileSync } from 'node:child_process'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { fileTracker } from '../helpers/baseline-file.js'
import { tempDir } from '../helpers/tmp.js'

// Issue 7: temporary files of killed writers were never cleaned (15 of 100 SIGKILLs left one).
it('removes temporary and lock files of dead writers at load, and keeps a live one', () => {
  const dir = tempDir()
  const path = join(dir, 'b.json')
  const dead = Number(execFileSync(process.execPath, ['-p', 'process.pid'], { encoding: 'utf8' }))
  writeFileSync(join(dir, `b.json.${dead}-7.tmp`), '{') // an older perfwatch's name
  writeFileSync(join(dir, `b.json.${dead}-0-3-abc.0123abcd.tmp`), '{') // another host's
  writeFileSync(join(dir, `b.json.${process.pid}-0-1-live.tmp`), '{') // a live writer's
  writeFileSync(
    join(dir, 'b.json.lock'),
    JSON.stringify({ pid: dead, threadId: 0, host: hostName(), nonce: 'x' }),
  )
  writeFileSync(join(dir, 'other.json.1-1.tmp'), '{') // not ours
  fileTracker(path)
  expect(readdirSync(dir).sort()).toEqual(
    [
      `b.json.${dead}-0-3-abc.0123abcd.tmp`,
      `b.json.${process.pid}-0-1-live.tmp`,
      'other.json.1-1.tmp',
    ].sort(),
  )
})

function hostName(): string {
  return execFileSync(process.execPath, ['-p', "require('node:os').hostname()"], {
    encoding: 'utf8',
  }).trim()
}
