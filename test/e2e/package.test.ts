import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/tmp.js'

// These run the built package (dist/) with plain node, as users do: no vitest transform.
const root = fileURLToPath(new URL('../..', import.meta.url))

function node(args: string[], cwd = root): string {
  return execFileSync(process.execPath, args, { cwd, encoding: 'utf8' })
}

/** The fixture's result line, among pino's log lines (which may be flushed after it). */
function result(output: string) {
  return output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
    .find((line) => 'add' in line)
}

describe.each(['legacy', 'standard'])('the built package with %s decorators', (mode) => {
  it('times decorated methods and restores baselines on the next run', () => {
    const script = `test/fixtures/decorators/out/${mode}/run.js`
    const file = join(tempDir(), 'baselines.json')
    const first = result(node([script, file]))
    expect(first.restored).toBe(false)
    expect(first.add).toMatchObject({ totalCount: 25, baseline: { sampleCount: 20 } })
    expect(first.reject.errorRate).toBe(1)
    expect(first.listed).toBe(8)
    expect(first.prefixed).toBe(1)
    expect(existsSync(file)).toBe(true)
    const second = result(node([script, file]))
    expect(second.restored).toBe(true)
    expect(second.add.baseline).toEqual(first.add.baseline)
  })
})

describe('the published declarations', () => {
  it('leave out every member marked @internal in src/', () => {
    const src = join(root, 'src')
    let checked = 0
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.startsWith('demo')) continue
      const text = readFileSync(join(src, file), 'utf8')
      const declared = readFileSync(join(root, 'dist', file.replace(/\.ts$/, '.d.ts')), 'utf8')
      // the member declared right after a doc comment ending in @internal
      for (const m of text.matchAll(/@internal\s*\*\/\s*(?:static\s+)?(\w+)\s*[(<]/g)) {
        expect(declared, `${m[1]} in ${file}`).not.toMatch(new RegExp(`\\b${m[1]}\\(`))
        checked++
      }
    }
    expect(checked).toBeGreaterThanOrEqual(4)
  })
})
