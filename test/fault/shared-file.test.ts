import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/tmp.js'

// Processes and worker threads running the built package (npm test builds first) write one
// baseline file at the same time; every baseline any of them learned must be in it at the end.
const run = promisify(execFile)
const fixture = (name: string) => new URL(`../fixtures/storage/${name}`, import.meta.url).pathname

function learnedBy(stdout: string): string[] {
  return stdout
    .trim()
    .split('\n')
    .flatMap((line) => (JSON.parse(line) as { learned: string[] }).learned)
}

describe('one baseline file shared by 4 processes and 4 worker threads', () => {
  it('loses no baseline, rounds after rounds', { timeout: 120_000 }, async () => {
    const dir = tempDir()
    const path = join(dir, 'shared.json')
    const ops = 40
    const expected = new Set<string>()
    for (let round = 0; round < 3; round++) {
      const writers = [
        ...[0, 1, 2, 3].map((p) =>
          run(process.execPath, [fixture('writer.mjs'), path, `r${round}p${p}`, String(ops)]),
        ),
        run(process.execPath, [fixture('threads.mjs'), path, `r${round}w`, String(ops), '4']),
      ]
      for (const { stdout } of await Promise.all(writers)) {
        for (const name of learnedBy(stdout)) expected.add(name)
      }
      const file = JSON.parse(readFileSync(path, 'utf8'))
      const missing = [...expected].filter((name) => !(name in file.baselines))
      expect(missing).toEqual([])
    }
    // 3 rounds x 8 writers x 40 own operations, and 40 shared ones
    expect(expected.size).toBe(3 * 8 * ops + ops)
    expect(readdirSync(dir).sort()).toEqual(['shared.json'])
  })
})
