import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { acquireLock, LockTimeoutError } from '../../src/storage/atomic-file.js'
import { tempDir } from '../helpers/tmp.js'

// Issue 11 (found by a test written for surviving mutants): a dangling symbolic link in place of
// a baseline file's lock made acquireLock retry at once, forever: stat() said the lock was gone,
// link() said it existed. The save blocked the event loop of the monitored process.
it('waits for a symbolic link in place of the lock like any lock, then gives up', async () => {
  const path = join(tempDir(), 'b.json')
  symlinkSync('missing', `${path}.lock`)
  const error = await acquireLock(path, { waitMs: 20, staleMs: 60_000 }).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(LockTimeoutError)
  expect((error as Error).message).toMatch(/\.lock is held by an unknown writer; waited \d+ ms$/)
})
