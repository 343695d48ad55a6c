import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname

/** Runs the built demo (npm test builds first) in `cwd`; returns its output lines. */
async function demo(cwd: string): Promise<string[]> {
  const { stdout } = await run(process.execPath, [join(root, 'dist/demo/main.js')], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  })
  return stdout.split('\n')
}

const events = (lines: string[], kind: 'degraded' | 'recovered') =>
  lines.filter((l) => l.includes('→ event for programs:') && l.includes(` ${kind}`))

// Issue 8: the demo's "back to normal" phase raised a second degradation of db.findOrder and
// ended with it still degraded. `npm test` runs this file alone, after the rest of the suite: the
// demo times real calls, and 50 test files beside it on two cores starve it of CPU (then every
// operation really is slower, which perfwatch reports as a process slowdown). Measured on
// 2026-11-23, 20 runs alone and 10 beside a busy process: db.findOrder raised and recovered once
// in all 30, every operation ended ok in all 30, another operation raised once in 30. Again in
// the evening, with the 20-sample slices and baselines spread over their learning time: 20 of
// 22 runs clean (the code before: 14 of 16 at the same hour). The demo times real calls on a
// shared machine, so the test is retried.
describe('npm run demo', () => {
  it('shows one degradation and one recovery of the slowed operation, twice in a row', {
    timeout: 120_000,
    retry: 2,
  }, async () => {
    const dir = tempDir() // the demo writes baselines/demo.json here
    for (const pass of ['learns', 'restores']) {
      const lines = await demo(dir)
      const degraded = events(lines, 'degraded')
      const recovered = events(lines, 'recovered')
      const findOrder = (l: string) => l.includes('db.findOrder')
      expect(degraded.filter(findOrder), pass).toHaveLength(1)
      expect(recovered.filter(findOrder), pass).toHaveLength(1)
      expect(degraded, pass).toHaveLength(1) // no other operation
      // the table at the end: every operation is back to ok
      const rows = lines.filter((l) => /^│ \d/.test(l))
      expect(rows, pass).toHaveLength(3)
      for (const row of rows) expect(row, pass).toContain("'ok'")
      const summary = lines.find((l) => l.startsWith('getSystemSummary():'))
      expect(summary, pass).toMatch(
        /^getSystemSummary\(\): [1-9]\d* samples, \d+ slow, degraded now: none$/,
      )
      expect(
        lines.some((l) => l.includes('Sustained degradation of db.findOrder')),
        pass,
      ).toBe(true)
    }
  })
})
