import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/tmp.js'

const run = promisify(execFile)
const root = new URL('../../', import.meta.url).pathname

// The demo times real requests on a shared machine (like npm run demo), so it is retried.
describe('npm run demo:http', () => {
  it('drives traffic, detects the search slowdown and its recovery, and prints the dashboard', {
    timeout: 150_000,
    retry: 2,
  }, async () => {
    const cwd = tempDir() // the demo writes baselines/demo-history.db here
    const { stdout } = await run(process.execPath, [join(root, 'dist/demo/http.js'), '--exit'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 140_000,
    })
    const lines = stdout.split('\n')
    const degradations = lines.filter((l) => l.includes('→ degradation:'))
    expect(degradations.length).toBeGreaterThanOrEqual(1)
    expect(degradations[0]).toContain('GET /search')
    expect(lines.some((l) => l.includes('→ recovery: GET /search'))).toBe(true)
    expect(lines.filter((l) => /GET \/search is (ok|degraded)/.test(l))).toEqual([
      expect.stringContaining('is ok'),
      expect.stringContaining('is degraded'),
      expect.stringContaining('is ok'),
    ])
    expect(lines.some((l) => /health \d+\.\d, grade [A-F]/.test(l))).toBe(true)
    // The slow reports route leads the slowest routes.
    const slowest = lines.findIndex((l) => l.includes('slowest routes by P95'))
    expect(lines[slowest + 1]).toMatch(/GET \/reports\/:id .* (warning|slow)/)
    expect(lines.some((l) => /^Dashboard: http:\/\/127\.0\.0\.1:\d+\/perfwatch\/$/.test(l))).toBe(
      true,
    )
    expect(existsSync(join(cwd, 'baselines/demo-history.db'))).toBe(true)
  })
})
