import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
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

describe('packaging', () => {
  it('can be required from CommonJS', () => {
    const out = node(['-e', "console.log(typeof require('perfwatch').PerformanceTracker)"])
    expect(out.trim()).toBe('function')
  })

  it('installs from its tarball and works in a fresh project', { timeout: 180_000 }, () => {
    const dir = tempDir()
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>
    const files = packed[0]?.files.map((f) => f.path) ?? []
    expect(files).toContain('dist/index.js')
    expect(files).toContain('dist/index.d.ts')
    expect(files.some((f) => f.startsWith('dist/demo'))).toBe(false)
    writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "private": true }')
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        join(dir, packed[0]?.filename ?? ''),
      ],
      { cwd: dir, stdio: 'ignore' },
    )
    writeFileSync(
      join(dir, 'main.mjs'),
      [
        "import { PerformanceTracker } from 'perfwatch'",
        'const t = new PerformanceTracker({ storagePath: null })',
        "t.wrap('op', () => 1)()",
        "console.log(t.getOperationStats('op').totalCount)",
      ].join('\n'),
    )
    expect(node(['main.mjs'], dir).trim()).toBe('1')
    const required = node(['-e', "console.log(Object.keys(require('perfwatch')).length > 5)"], dir)
    expect(required.trim()).toBe('true')
    const types = readFileSync(join(dir, 'node_modules/perfwatch/dist/index.d.ts'), 'utf8')
    expect(types).toContain('PerformanceTracker')
  })
})
